"""The CLI in remote mode: which server, which token, and the HTTP client that turns the API's
envelope back into the same data and the same errors (and so the same exit codes) as local mode.

Imports nothing of the store but its error classes: remote mode must not load SQLAlchemy."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tenantctl.cli import state
from tenantctl.store import errors
from tenantctl.store.errors import InvalidInput, TenantctlError, Unauthenticated, Unreachable, UsageError

API = "/api/v1"
TIMEOUT = 60.0  # an import of a large file is planned and written within one request
SERVER_HINT = "check --server / TENANTCTL_SERVER and that tenantctl serve runs there"


@dataclass(frozen=True)
class Remote:
    server: str
    token: str | None
    context: str | None = None  # the saved context it came from, if any
    user: str | None = None
    insecure_http: bool = False  # --insecure-http: plain http:// to a host that is not this machine


def config_folder() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("tenantctl"))


def contexts_file() -> Path:
    """Where the saved logins live (0600, in the user config folder): named contexts, each with
    its server, token and user, and which one is current (kubectl's contexts, `gh auth switch`)."""
    return config_folder() / "contexts.json"


LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    import ipaddress

    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_transport(remote: Remote, what: str = "the API token") -> None:
    """Nothing secret goes over plain http:// to another machine unless the caller says so."""
    parts = urlsplit(remote.server)
    if parts.scheme == "http" and not remote.insecure_http and not is_loopback(parts.hostname or ""):
        raise UsageError(f"refusing to send {what} in clear over http:// to {parts.hostname}: anyone on the "
                         "network path could read it and act as you",
                         hint="use the server's https:// address, or add --insecure-http if the network is "
                              "trusted (a test setup)")


def credentials_file() -> Path:
    """The one saved login of earlier versions: read as the context "default" until the next save."""
    return config_folder() / "credentials.json"


def normalise_server(url: str) -> str:
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"--server {url!r} is not an http(s) URL", hint="e.g. --server https://admin.platform.example")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError("the server URL must not hold a login, a token or a query",
                         hint="pass the token in TENANTCTL_TOKEN or run tenantctl login")
    if text.endswith(API):
        text = text[: -len(API)]
    return text


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the saved logins {path}: {exc}",
                         hint="delete the file, then run tenantctl login") from None


def load_contexts() -> dict[str, Any]:
    """{"current": name or None, "contexts": {name: {"server", "token", "user"}}}."""
    path = contexts_file()
    raw = _read_json(path)
    if raw is None:
        old = _read_json(credentials_file())
        if isinstance(old, dict) and old.get("server") and old.get("token"):
            return {"current": "default", "contexts": {"default": {"server": old["server"], "token": old["token"]}}}
        return {"current": None, "contexts": {}}
    contexts = raw.get("contexts") if isinstance(raw, dict) else None
    if not isinstance(contexts, dict) or not all(isinstance(c, dict) and c.get("server") and c.get("token")
                                                 for c in contexts.values()):
        raise UsageError(f"the saved logins {path} are damaged", hint="delete the file, then run tenantctl login")
    current = raw.get("current")
    return {"current": current if current in contexts else None, "contexts": contexts}


def write_contexts(data: dict[str, Any]) -> Path:
    """All or nothing, 0600 in a 0700 folder whatever the umask (the file holds live tokens)."""
    from tenantctl.store.files import private_dir, write_private

    path = contexts_file()
    private_dir(path.parent)
    text = json.dumps(data, indent=2).encode("utf-8")
    write_private(path, lambda fh: fh.write(text))
    credentials_file().unlink(missing_ok=True)  # taken over as "default"
    return path


def selected_name() -> str | None:
    """The context this command uses: --context, TENANTCTL_CONTEXT, else the current one."""
    return state.FLAGS.get("context") or os.environ.get("TENANTCTL_CONTEXT") or None


def load_saved() -> Remote | None:
    """The selected context (an unknown name given explicitly is refused), or None."""
    data = load_contexts()
    name = selected_name()
    if name is not None and name not in data["contexts"]:
        known = ", ".join(sorted(data["contexts"])) or "none saved"
        raise UsageError(f"no context named {name!r} ({known})", hint="see tenantctl context list")
    name = name or data["current"]
    if name is None:
        return None
    c = data["contexts"][name]
    return Remote(str(c["server"]), str(c["token"]), name, c.get("user"), bool(c.get("insecure_http", False)))


def current_context_name() -> str | None:
    return state.REMOTE.context if state.REMOTE is not None else None


def save(remote: Remote, name: str) -> Path:
    """Save `remote` as context `name` (replacing one of that name) and make it current."""
    data = load_contexts()
    data["contexts"][name] = {"server": remote.server, "token": remote.token, "user": remote.user,
                              **({"insecure_http": True} if remote.insecure_http else {})}
    data["current"] = name
    return write_contexts(data)


def forget(name: str) -> bool:
    data = load_contexts()
    if data["contexts"].pop(name, None) is None:
        return False
    if data["current"] == name:
        data["current"] = None
    write_contexts(data)
    return True


def context_name_for(server: str) -> str:
    """A new context's default name: the server's host (admin.platform.example)."""
    return urlsplit(server).hostname or "default"


def configured() -> Remote | None:
    """Remote mode is on with --server / TENANTCTL_SERVER, or with a saved context (--context,
    TENANTCTL_CONTEXT, else the current one; until logout). The token: TENANTCTL_TOKEN, else the
    context's (only for the server it was saved for)."""
    flag = state.FLAGS.get("server") or os.environ.get("TENANTCTL_SERVER")
    env_token = os.environ.get("TENANTCTL_TOKEN") or None
    insecure = bool(state.FLAGS.get("insecure_http"))
    saved = load_saved()
    if flag:
        server = normalise_server(flag)
        same = saved is not None and saved.server == server
        if saved and same:
            return Remote(server, env_token or saved.token, saved.context, saved.user if not env_token else None,
                          insecure_http=insecure or saved.insecure_http)
        return Remote(server, env_token, insecure_http=insecure)
    if saved is not None:  # a login made with --insecure-http keeps that choice for its server
        return Remote(saved.server, env_token or saved.token, saved.context, saved.user if not env_token else None,
                      insecure_http=insecure or saved.insecure_http)
    if env_token:
        raise UsageError("TENANTCTL_TOKEN is set but no server", hint="set TENANTCTL_SERVER or pass --server URL")
    return None


def refuse_local_options() -> None:
    """--as and --db make no sense over HTTP: the token is the actor, the server holds the store."""
    for flag, key, env in (("--as", "actor", "TENANTCTL_ACTOR"), ("--db", "database_url", "TENANTCTL_DATABASE_URL")):
        if state.FLAGS.get(key):
            raise UsageError(f"{flag} is not used in remote mode (the token is the actor, the server holds the store)",
                             hint=f"drop {flag}, or run without --server on the store's machine")
        if os.environ.get(env):
            raise UsageError(f"{env} is set, but remote mode does not use it",
                             hint=f"unset {env}, or run without --server on the store's machine")


ERROR_CLASSES: dict[str, type[TenantctlError]] = {}


def _error_classes() -> dict[str, type[TenantctlError]]:
    if not ERROR_CLASSES:
        for obj in vars(errors).values():
            if isinstance(obj, type) and issubclass(obj, TenantctlError):
                ERROR_CLASSES[obj.code] = obj
    return ERROR_CLASSES


def error_from(payload: Any, status: int) -> TenantctlError:
    """The server's error envelope as the store error the local command would have raised."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(err, dict) or "code" not in err:
        return Unreachable(f"the server answered HTTP {status} without a tenantctl error", hint=SERVER_HINT)
    if err["code"] == "rate_limited":  # the server is busy for this token: like a busy store, exit 7
        return Unreachable(str(err.get("message", "")), hint=err.get("hint"))
    cls = _error_classes().get(str(err["code"]), TenantctlError)
    return cls(str(err.get("message", "")), hint=err.get("hint"), details=err.get("details"))


class Client:
    def __init__(self, remote: Remote, *, anonymous: bool = False) -> None:
        import httpx

        if not remote.token and not anonymous:
            raise Unauthenticated("no API token for remote mode",
                                  hint=f"run tenantctl login --server {remote.server}, or set TENANTCTL_TOKEN")
        check_transport(remote, "the API token" if remote.token else "the login and password")
        self.remote = remote
        self._httpx = httpx
        self.http = httpx.Client(base_url=remote.server + API, timeout=TIMEOUT,
                                 headers={"User-Agent": "tenantctl-cli",
                                          **({"Authorization": f"Bearer {remote.token}"} if remote.token else {})})

    def request(self, method: str, path: str, *, query: dict[str, Any] | None = None,
                body: dict[str, Any] | None = None, content: Any = None,
                headers: dict[str, str] | None = None) -> dict[str, Any]:
        params = {k: _param(v) for k, v in (query or {}).items() if v is not None and v is not False and v != []}
        try:
            resp = self.http.request(method, path, params=params, json=body, content=content, headers=headers)
        except self._httpx.HTTPError as exc:
            raise Unreachable(f"cannot reach the server at {self.remote.server}: {exc or type(exc).__name__}",
                              hint=SERVER_HINT) from None
        try:
            payload = resp.json()
        except ValueError:
            raise Unreachable(f"the server at {self.remote.server} answered HTTP {resp.status_code}, not JSON",
                              hint=SERVER_HINT) from None
        if resp.status_code >= 400:
            raise error_from(payload, resp.status_code)
        if not isinstance(payload, dict) or "data" not in payload:
            raise InvalidInput("the server's answer has no data", hint=SERVER_HINT)
        if payload.get("warnings"):
            from tenantctl.cli.runtime import _warn, delivery_pending
            from tenantctl.store.errors import PENDING

            _warn([str(w) for w in payload["warnings"]])
            for w in payload["warnings"]:
                if str(w).startswith(PENDING):
                    delivery_pending(str(w))  # exit 6, as the local command
        return payload

    def close(self) -> None:
        self.http.close()


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


_client: Client | None = None


def client() -> Client:
    """One client per process (the CLI runs one command; tests reset it through state.reset())."""
    global _client
    remote = configured()
    assert remote is not None
    if _client is None or _client.remote != remote:
        _client = Client(remote)
    return _client
