"""The authorization matrix of tests/security/test_matrix.py over HTTP: every command that has an
API counterpart, run by the CLI in remote mode with a token per actor kind, against `tenantctl
serve`'s app on loopback, must give the exit code the matrix expects locally, and leave the store
unchanged after every refusal. Tokens of users who may not act (disabled; only in suspended,
pending or rejected tenants) and tokens that authenticate nobody are refused like their --as."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.security.test_matrix import (  # noqa: F401  (fixtures used by name)
    ALL_KINDS,
    MATRIX,
    OK,
    STATE_YAML,
    STDIN,
    World,
    _changed,
    _fast_hasher,
    _sqlite_fingerprint,
    case_files,
    expected_for,
    sqlite_world,
    takes_json,
)

# The nouns with an API counterpart (docs/api.md); their store-only verbs stay local.
API_NOUNS = {"tenant", "user", "member", "invite", "connection", "password", "import", "apply", "app", "audit",
             "token", "mail", "whoami", "auth"}
LOCAL_ONLY = {"password set", "invite accept", "import template", "mail preview", "mail retry", "mail send",
              "mail show", "mail test", "auth login"}
API_COMMANDS = sorted(c for c in MATRIX if c.split()[0] in API_NOUNS and c not in LOCAL_ONLY)
# Over HTTP the operator is an admin of the operator tenant (olga), a user: she owns tokens.
HTTP_EXPECTED = {("token create", "operator"): OK}
OPERATOR = "olga.peters"


def _token(store: Any, who: str | None) -> str:
    from apiserver import token_for

    if not who:  # "" (empty --as) and the unknown login: a token that authenticates nobody
        return "tctl_999999_" + "x" * 43
    return token_for(store, who, "matrix")


@pytest.mark.parametrize("command", API_COMMANDS)
def test_matrix_over_http(command: str, sqlite_world: World, _api_server: Any, tmp_path: Path,  # noqa: F811
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tenantctl.cli.main import app
    from tenantctl.store.settings import load_settings

    monkeypatch.setattr("tenantctl.store.services.api_tokens.label_for", lambda login, name: login)
    problems = []
    for kind, who in ALL_KINDS.items():
        case = tmp_path / kind
        db = case_files(sqlite_world, case)
        url = f"sqlite:///{db}"
        _api_server.use(load_settings(environ={"TENANTCTL_DATABASE_URL": url, "TENANTCTL_HOME": str(case / "home"),
                                               "TENANTCTL_EXCLUSIVE_RESELLER": "0"}))
        token = _token(_api_server.runtime.store, OPERATOR if who is None else who)
        before = _sqlite_fingerprint(db)
        argv, _ = MATRIX[command]
        fill = {**sqlite_world.handles, "tmp": str(case)}
        args = [a.format(**fill) for a in argv] + (["--json"] if takes_json(command) else [])
        stdin = STDIN.get(command, "").format(**fill) or None
        env = {k: None for k in ("TENANTCTL_DATABASE_URL", "TENANTCTL_ACTOR")}
        env.update(TENANTCTL_SERVER=_api_server.url, TENANTCTL_TOKEN=token, TENANTCTL_HOME=str(case / "client"),
                   XDG_CONFIG_HOME=str(case / "xdg"))
        result = CliRunner().invoke(app.for_args(args), args, input=stdin, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        code, said = result.exit_code, (result.stdout or result.stderr)[:300]
        want = HTTP_EXPECTED.get((command, kind), expected_for(command)[kind])
        if str(code) != want:
            problems.append(f"{kind} ({who!r}): exit {code}, expected {want}: {said}")
        elif want != OK:
            after = _sqlite_fingerprint(db)
            before.pop("api_token", None), after.pop("api_token", None)  # last-use stamps of the token
            if changed := _changed(before, after, command):
                problems.append(f"{kind} ({who!r}): refused with {code} but the store changed: {changed}")
    _api_server.runtime.close()
    assert not problems, f"{command} over HTTP:\n" + "\n".join(problems)


# The matrix's other commands, by why they do not go over HTTP. Local-only ones are refused in
# remote mode with "is local-only" (exit 2) before anything runs; login/logout are remote mode's own;
# the import template is written without store or server, in either mode.
LOCAL_COMMANDS = {"auth login", "completion", "config show", "db backup", "db copy", "db prune", "db status",
                  "db upgrade", "export", "worker",
                  "init", "invite accept", "mail preview", "mail retry",
                  "mail send", "mail show", "mail test", "password set", "serve"}
REMOTE_OWN = {"login", "logout", "doctor", "context list", "context use", "context add", "context remove"}
OFFLINE = {"import template"}


def test_every_matrix_command_is_classified_for_remote_mode() -> None:
    assert set(API_COMMANDS) | LOCAL_COMMANDS | REMOTE_OWN | OFFLINE == set(MATRIX)
    assert not (set(API_COMMANDS) & LOCAL_COMMANDS) and not (LOCAL_COMMANDS & REMOTE_OWN)


@pytest.mark.parametrize("command", sorted(LOCAL_COMMANDS))
def test_local_only_commands_are_refused_over_http(command: str, sqlite_world: World,  # noqa: F811
                                                   _api_server: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tenantctl.cli.main import app
    from tenantctl.store.settings import load_settings

    source = Path(sqlite_world.url.removeprefix("sqlite:///"))
    db = tmp_path / "home" / "tenantctl.db"
    db.parent.mkdir()
    shutil.copy(source, db)
    (tmp_path / "state.yaml").write_text(STATE_YAML, encoding="utf-8")
    _api_server.use(load_settings(environ={"TENANTCTL_DATABASE_URL": f"sqlite:///{db}"}))
    token = _token(_api_server.runtime.store, "rita.reseller")
    before = _sqlite_fingerprint(db)
    argv, _ = MATRIX[command]
    args = [a.format(**{**sqlite_world.handles, "tmp": str(tmp_path)}) for a in argv]
    env = {"TENANTCTL_DATABASE_URL": None, "TENANTCTL_ACTOR": None, "TENANTCTL_SERVER": _api_server.url,
           "TENANTCTL_TOKEN": token, "TENANTCTL_HOME": str(tmp_path / "client"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    stdin = STDIN.get(command, "").format(**sqlite_world.handles) or None
    result = CliRunner().invoke(app.for_args(args), args, input=stdin, env=env)
    _api_server.runtime.close()
    assert result.exit_code == 2, (command, result.stdout, result.stderr)
    assert "is local-only" in result.stderr, (command, result.stderr)
    after = _sqlite_fingerprint(db)
    before.pop("api_token", None), after.pop("api_token", None)
    assert before == after
