"""`tenantctl login` / `tenantctl logout`: get a token from a server with login and password (or
take one from stdin), keep it as a named context (0600, in the user config folder) for remote
mode; revoke and forget it."""

from __future__ import annotations

import socket
import sys
from typing import Any

import typer

from tenantctl.cli import options, output, state
from tenantctl.store.errors import InvalidInput, PermissionDenied, Unauthenticated, Unreachable, UsageError


def _refuse_as(what: str) -> None:
    """A login is made with one's own password; nobody logs in (or out) as someone else."""
    import os

    if state.FLAGS.get("actor") is not None or os.environ.get("TENANTCTL_ACTOR") is not None:
        raise PermissionDenied(f"{what} does not act as anyone: --as is for commands on the store",
                               hint=f"drop --as; {what} uses your own login and password")


def _lines() -> list[str]:
    return sys.stdin.read().splitlines()


def _ask(prompt: str, hide: bool, stdin: list[str] | None, what: str) -> str:
    if stdin is not None:
        if not stdin or not stdin[0].strip():
            raise InvalidInput(f"no {what} on stdin", hint="pipe the token as one line" if what == "token"
                               else "pipe the login and the password as two lines")
        return stdin.pop(0) if hide else stdin.pop(0).strip()
    return str(typer.prompt(prompt, hide_input=hide, err=True))


def login(
    ctx: typer.Context,
    server: str | None = typer.Option(None, "--server", metavar="URL", help="The tenantctl server (tenantctl serve)."),
    with_token: bool = typer.Option(False, "--with-token",
                                    help="Read an API token from stdin (a CI secret) instead of login and password."),
    context: str | None = typer.Option(None, "--context", metavar="NAME",
                                       help="Save the login as this context (default: the server's host name)."),
    name: str | None = typer.Option(None, "--name", help="Name of the token (default: cli@<this host>)."),
    expires_in: str = typer.Option("90d", "--expires-in", help="Lifetime of the token (at most 366d)."),
    insecure_http: bool = typer.Option(False, "--insecure-http",
                                       help="Allow a plain http:// server that is not this machine (the password and "
                                            "the token then travel unencrypted; kept for this server)."),
    json: bool = options.JSON,
) -> None:
    """Log in to a server with login and password (asked, or two lines on stdin; never arguments),
    or with an existing token (--with-token, on stdin). The login is saved as a named context
    (0600) and becomes the current one; commands use it until tenantctl logout.

    Example: tenantctl login --server https://admin.platform.example --with-token < token.txt
    """
    from tenantctl.cli import remote

    _refuse_as("login")
    if ctx.args:
        raise UsageError("login, password and token are never accepted as arguments (they would stay in the "
                         "shell history)", hint="answer the prompts, or pipe them on stdin")
    saved = state.REMOTE
    url = server or state.FLAGS.get("server") or (saved.server if saved else None)
    if not url:
        raise UsageError("which server?", hint="tenantctl login --server URL")
    target = remote.Remote(remote.normalise_server(url), None,
                           insecure_http=insecure_http or bool(state.FLAGS.get("insecure_http")))
    # before a password or token is asked for
    remote.check_transport(target, "the API token" if with_token else "the login and password")
    label = (context or remote.selected_name() or (saved.context if saved and saved.server == target.server else None)
             or remote.context_name_for(target.server))
    _check_context_name(label)
    stdin = None if sys.stdin.isatty() else _lines()
    if with_token:
        raw = _ask("API token", True, stdin, "token").strip()
        # the token is checked before it is saved: a typo is said now, not at the next command
        checking = remote.Remote(target.server, raw, insecure_http=target.insecure_http)
        data: dict[str, Any] = remote.Client(checking).request("GET", "/auth/status")["data"]
        token = data["token"]
        data = {"user": data["user"], "name": token["name"], "id": token["id"], "expires_at": token["expires_at"],
                "read_only": token["read_only"]}
    else:
        ident = _ask("Login or e-mail", False, stdin, "login")
        password = _ask("Password", True, stdin, "password")
        body = {"login": ident, "password": password, "name": name or f"cli@{socket.gethostname()}"[:40],
                "expires_in": expires_in}
        data = remote.Client(target, anonymous=True).request("POST", "/auth/token", body=body)["data"]
        raw = data.pop("token")
    path = remote.save(remote.Remote(target.server, raw, label, data["user"], target.insecure_http), label)
    data = {"context": label, "server": target.server, **data}
    output.status(f"logged in to {target.server} as {data['user']}; token {data['name']!r} saved as context "
                  f"{label!r} (now current) in {path}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


def _check_context_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", name):
        raise InvalidInput(f"context name {name!r} is not usable",
                           hint="use letters, digits, '.', '_' and '-' (at most 63), e.g. prod or acme-staging")


def logout(json: bool = options.JSON) -> None:
    """Revoke the token of the current context (or --context NAME) on its server and forget it.

    Example: tenantctl logout
    """
    from tenantctl.cli import remote

    _refuse_as("logout")
    saved = remote.load_saved()
    if saved is None or saved.context is None:
        raise UsageError("not logged in", hint="tenantctl login --server URL")
    revoked: dict[str, Any] | None = None
    try:
        revoked = remote.Client(saved).request("DELETE", "/tokens/current")["data"]
    except Unauthenticated:
        pass  # revoked or expired already: nothing left to revoke
    except Unreachable as exc:
        raise Unreachable(f"{exc.message}; the token was not revoked and stays saved",
                          hint="run tenantctl logout again once the server is reachable") from None
    remote.forget(saved.context)
    others = sorted(remote.load_contexts()["contexts"])
    after = (f"; other saved contexts: {', '.join(others)} (tenantctl context use NAME)" if others
             else "; commands work on the local store again")
    output.status(f"logged out of {saved.server} (context {saved.context!r})"
                  + (f"; token {revoked['name']!r} revoked" if revoked else "") + after)
    output.show({"server": saved.server, "context": saved.context, "revoked": revoked}, lambda c, d: None,
                json_mode=json)


def register(root: typer.Typer) -> None:
    root.command("login", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(login)
    root.command("logout")(logout)
