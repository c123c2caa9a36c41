"""Saved logins as named contexts (kubectl contexts, `gh auth switch`): `login --with-token`,
`context list | use | add | remove`, `--context` / TENANTCTL_CONTEXT; `whoami` / `auth status`
in both modes; and what a command says once nothing is saved and there is no local store."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

NO_DB = {"TENANTCTL_DATABASE_URL": None}


def _saved() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "tenantctl" / "contexts.json"


def _login(cli: Any, url: str, raw: str, *args: str) -> Any:
    return cli("login", "--server", url, "--with-token", *args, "--json", input=raw + "\n", env=NO_DB)


def test_login_with_token_checks_saves_0600_and_whoami_tells_all(world: Any, cli: Any, api_server: Any,
                                                                 token: Any) -> None:
    raw = token("rita.reseller", "ci")
    bad = _login(cli, api_server.url, raw[:-2] + "xx")
    assert bad.exit_code == 9 and not _saved().exists()  # a wrong token is said now and never saved
    r = _login(cli, api_server.url, raw, "--context", "acme")
    assert r.exit_code == 0, r.stdout
    assert (r.data["context"], r.data["user"], r.data["name"]) == ("acme", "rita.reseller", "ci")
    assert stat.S_IMODE(_saved().stat().st_mode) == 0o600
    assert json.loads(_saved().read_text()) == {"current": "acme", "contexts": {"acme": {
        "server": api_server.url, "token": raw, "user": "rita.reseller"}}}
    me = cli("whoami", "--json", env=NO_DB)
    assert me.exit_code == 0, me.stdout
    data = me.data
    assert (data["mode"], data["server"], data["context"], data["user"]) == (
        "remote", api_server.url, "acme", "rita.reseller")
    assert data["token"]["name"] == "ci" and data["token"]["expires_at"] and data["token"]["read_only"] is False
    assert data["memberships"] == [{"tenant": "acme", "kind": "reseller", "role": "admin"}]
    assert data["rights"] == ["admin of reseller acme: it, its customers and their users"]
    assert cli("auth", "status", "--json", env=NO_DB).data == data
    human = cli("whoami", env=NO_DB)
    assert "rita.reseller" in human.stdout and 'token          ci (' in human.stdout
    assert "- admin of reseller acme: it, its customers and their users" in human.stdout
    assert raw not in human.stdout + me.stdout  # the token itself is never printed


def test_contexts_switch_per_command_and_for_good(world: Any, cli: Any, api_server: Any, token: Any) -> None:
    assert _login(cli, api_server.url, token("rita.reseller"), "--context", "acme").exit_code == 0
    added = cli("context", "add", "customer", "--server", api_server.url, "--json",
                input=token("max.mueller") + "\n", env=NO_DB)
    assert added.exit_code == 0 and added.data == {"name": "customer", "server": api_server.url,
                                                   "user": "max.mueller", "current": False}
    listed = cli("context", "list", "--json", env=NO_DB).data
    assert [(c["name"], c["user"], c["current"]) for c in listed] == [("acme", "rita.reseller", True),
                                                                      ("customer", "max.mueller", False)]
    assert "token" not in str(listed)
    assert cli("context", "list", "-q", env=NO_DB).stdout == "acme\ncustomer\n"

    def user(*args: str, env: dict[str, Any] | None = None) -> str:
        r = cli(*args, "whoami", "--json", env={**NO_DB, **(env or {})})
        assert r.exit_code == 0, r.stdout
        return str(r.data["user"])

    assert user() == "rita.reseller"
    assert user("--context", "customer") == "max.mueller"
    assert user(env={"TENANTCTL_CONTEXT": "customer"}) == "max.mueller"
    unknown = cli("--context", "nope", "tenant", "list", env=NO_DB)
    assert unknown.exit_code == 2 and "no context named 'nope' (acme, customer)" in unknown.stderr
    assert cli("context", "use", "customer", env=NO_DB).exit_code == 0
    assert user() == "max.mueller"
    # none current: the local store (this test's), acting as the operator
    assert cli("context", "use", "-", env=NO_DB).exit_code == 0
    local = cli("whoami", "--json")
    assert local.data["mode"] == "local" and local.data["actor"].startswith("operator:")
    assert local.data["store"].startswith(("sqlite:///", "postgresql"))


def test_context_remove_asks_and_keeps_the_token_valid(world: Any, cli: Any, api_server: Any, token: Any) -> None:
    raw = token("rita.reseller")
    assert _login(cli, api_server.url, raw, "--context", "acme").exit_code == 0
    asked = cli("context", "remove", "acme", "--json", env=NO_DB)
    assert asked.exit_code == 3 and "acme" in json.loads(_saved().read_text())["contexts"]
    assert cli("context", "remove", "acme", "--yes", env=NO_DB).exit_code == 0
    assert json.loads(_saved().read_text()) == {"current": None, "contexts": {}}
    still = cli("--server", api_server.url, "whoami", "--json", env={**NO_DB, "TENANTCTL_TOKEN": raw})
    assert still.exit_code == 0 and still.data["user"] == "rita.reseller"
    assert cli("context", "remove", "acme", "--yes", env=NO_DB).exit_code == 8


def test_after_logout_the_next_command_points_to_login(world: Any, cli: Any, api_server: Any, token: Any,
                                                       tmp_path: Path) -> None:
    assert _login(cli, api_server.url, token("rita.reseller")).exit_code == 0
    r = cli("logout", env=NO_DB)
    assert r.exit_code == 0 and "commands work on the local store again" in r.stderr
    # a reseller's laptop: no store here either
    r = cli("tenant", "list", env={"TENANTCTL_DATABASE_URL": None, "TENANTCTL_HOME": str(tmp_path / "empty")})
    assert r.exit_code == 10
    assert "to work through a server: tenantctl login --server URL" in " ".join(r.stderr.split())


def test_a_saved_login_of_earlier_versions_is_the_default_context(world: Any, cli: Any, api_server: Any,
                                                                  token: Any) -> None:
    old = _saved().with_name("credentials.json")
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"server": api_server.url, "token": token("rita.reseller")}))
    assert cli("whoami", "--json", env=NO_DB).data["context"] == "default"
    assert cli("context", "use", "default", env=NO_DB).exit_code == 0  # the next save takes it over
    assert not old.exists() and json.loads(_saved().read_text())["current"] == "default"


@pytest.mark.parametrize("login, rights", [
    ("max.mueller", ["admin of mueller: it and its users"]),
    ("mia.meier", ["member of mueller: reads it, changes nothing"]),
])
def test_whoami_locally_names_the_store_and_the_rights(world: Any, ok: Any, login: str, rights: list[str]) -> None:
    data = ok("whoami", as_=login)
    assert (data["mode"], data["actor"], data["user"], data["rights"]) == ("local", login, login, rights)


def test_doctor_in_remote_mode_checks_server_token_and_expiry(world: Any, cli: Any, api_server: Any,
                                                              ok: Any) -> None:
    raw = ok("token", "create", "--name", "short", "--expires-in", "3d", as_="rita.reseller")["token"]
    env = {**NO_DB, "TENANTCTL_TOKEN": raw}
    r = cli("--server", api_server.url, "doctor", "--json", env=env)
    assert r.exit_code == 0, r.stdout
    checks = {c["check"]: c for c in r.data["checks"]}
    assert checks["server"]["detail"] == api_server.url
    assert checks["token"]["detail"].startswith("'short' (") and checks["token"]["detail"].endswith(
        "of rita.reseller")
    assert checks["token expiry"]["warning"] is True and "tenantctl login" in checks["token expiry"]["detail"]
    assert checks["rights"]["detail"] == "admin of reseller acme: it, its customers and their users"
    bad = cli("--server", api_server.url, "doctor", env={**NO_DB, "TENANTCTL_TOKEN": raw[:-2] + "xx"})
    assert bad.exit_code == 1 and "FAIL token:" in bad.stdout
    down = cli("--server", "http://127.0.0.1:9", "doctor", env=env)
    assert down.exit_code == 1 and "FAIL server reachable: cannot reach the server" in down.stdout
