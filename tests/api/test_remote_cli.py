"""The CLI in remote mode itself: the switches (--server, TENANTCTL_SERVER/TOKEN, a saved login),
what it refuses (--as, --db, local-only commands), login/logout, and that it never loads the ORM."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.api.test_http import _set_password


def _remote(cli, server, token, *args, **kw):
    env = {"TENANTCTL_TOKEN": token, "TENANTCTL_DATABASE_URL": None, **kw.pop("env", {})}
    return cli("--server", server.url, *args, env=env, **kw)


def test_as_and_db_are_refused(world, cli, api_server, token):
    t = token("rita.reseller")
    r = _remote(cli, api_server, t, "--as", "max.mueller", "tenant", "list", "--json")
    assert r.exit_code == 2 and "--as is not used in remote mode" in r.json()["error"]["message"]
    r = cli("--server", api_server.url, "--db", "sqlite:///x.db", "tenant", "list", env={"TENANTCTL_TOKEN": t})
    assert r.exit_code == 2 and "--db is not used in remote mode" in r.stderr
    r = cli("--server", api_server.url, "tenant", "list", env={"TENANTCTL_TOKEN": t})  # the test's env has the URL
    assert r.exit_code == 2 and "TENANTCTL_DATABASE_URL is set" in r.stderr


def test_local_only_commands_say_so(world, cli, api_server, token):
    t = token("rita.reseller")
    for args in (["init"], ["db", "status"], ["mail", "show", "1"], ["mail", "test", "--to", "x@y.example"],
                 ["mail", "preview", "test"], ["password", "set", "--password-stdin"]):
        r = _remote(cli, api_server, t, *args, input="x\ny\n")
        assert r.exit_code == 2, (args, r.stdout, r.stderr)
        assert "is local-only" in r.stderr, args


def test_no_token_and_unreachable_server(world, cli, api_server):
    r = cli("--server", api_server.url, "tenant", "list", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 9 and "tenantctl login --server" in r.stderr
    r = cli("--server", "http://127.0.0.1:9", "tenant", "list",
            env={"TENANTCTL_DATABASE_URL": None, "TENANTCTL_TOKEN": "tctl_1_" + "a" * 43})
    assert r.exit_code == 7 and "cannot reach the server" in r.stderr
    r = cli("--server", "ftp://x", "tenant", "list", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 2
    r = cli("--server", "http://user:tctl_x@host", "tenant", "list", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 2 and "must not hold" in r.stderr


def test_server_and_token_from_the_environment(world, cli, api_server, token, ok):
    env = {"TENANTCTL_SERVER": api_server.url, "TENANTCTL_TOKEN": token("rita.reseller"),
           "TENANTCTL_DATABASE_URL": None}
    r = cli("tenant", "list", "--json", env=env)
    assert r.exit_code == 0 and r.stdout == cli("tenant", "list", "--json", as_="rita.reseller").stdout


def test_login_saves_the_token_0600_and_logout_revokes_it(world, cli, api_server, tmp_path, store):
    _set_password("rita.reseller", "Sehr-geheimes-Passwort-17")
    no_db = {"TENANTCTL_DATABASE_URL": None}
    r = cli("login", "--server", api_server.url, "rita.reseller", env=no_db)
    assert r.exit_code == 2 and "never accepted as arguments" in r.stderr
    r = cli("login", "--server", api_server.url, "--name", "laptop", "--json",
            input="rita.reseller\nwrong\n", env=no_db)
    assert r.exit_code == 9 and r.json()["error"]["code"] == "unauthenticated"
    r = cli("login", "--server", api_server.url, "--name", "laptop", "--json",
            input="rita.reseller\nSehr-geheimes-Passwort-17\n", env=no_db)
    assert r.exit_code == 0, r.stdout
    assert r.data["user"] == "rita.reseller" and "token" not in r.data
    saved = Path(os.environ["XDG_CONFIG_HOME"]) / "tenantctl" / "contexts.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    doc = json.loads(saved.read_text())["contexts"]["127.0.0.1"]
    assert doc["server"] == api_server.url and doc["token"].startswith("tctl_")
    # logged in: commands go to the server without --server
    r = cli("tenant", "list", "--json", env=no_db)
    assert r.exit_code == 0 and [t["key"] for t in r.data] == ["acme", "mueller"]
    r = cli("--as", "olga.peters", "tenant", "list", env=no_db)
    assert r.exit_code == 2
    r = cli("logout", "--json", env=no_db)
    assert r.exit_code == 0 and r.data["revoked"]["state"] == "revoked"
    assert json.loads(saved.read_text()) == {"current": None, "contexts": {}}
    assert cli("logout", env=no_db).exit_code == 2  # not logged in
    r = cli("--server", api_server.url, "tenant", "list", env={**no_db, "TENANTCTL_TOKEN": doc["token"]})
    assert r.exit_code == 9 and "revoked" in r.stderr


def test_remote_mode_never_imports_the_orm(world, api_server, token, tmp_path):
    """A real process: `tenantctl tenant list` over HTTP loads neither SQLAlchemy nor SQLModel."""
    probe = ("import sys, runpy\n"
             "sys.argv = ['tenantctl', 'tenant', 'list', '--json']\n"
             "from tenantctl.cli.main import app\n"
             "code = app(standalone_mode=False)\n"
             "print('ORM:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy','sqlmodel'})),"
             " file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k not in {"TENANTCTL_DATABASE_URL"}}
    env.update(TENANTCTL_SERVER=api_server.url, TENANTCTL_TOKEN=token("rita.reseller"))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert [t["key"] for t in json.loads(done.stdout)["data"]] == ["acme", "mueller"]
    assert done.stderr.strip().endswith("ORM:"), done.stderr


def test_token_commands_over_http(world, cli, api_server, token):
    t = token("rita.reseller")
    made = _remote(cli, api_server, t, "token", "create", "--name", "second", "--read-only", "--json")
    assert made.exit_code == 0 and made.data["token"].startswith("tctl_") and made.data["read_only"] is True
    listed = _remote(cli, api_server, t, "token", "list", "--json")
    assert [x["name"] for x in listed.data] == ["test", "second"]
    assert 'created_by' in listed.data[1] and listed.data[1]["created_by"] == 'rita.reseller via token "test"'
    # a read-only token cannot make tokens, and the second cannot revoke the first's siblings of others
    r = _remote(cli, api_server, made.data["token"], "token", "create", "--json")
    assert r.exit_code == 9 and r.json()["error"]["message"] == "this token is read-only"
    r = _remote(cli, api_server, t, "token", "list", "--all", "--json")
    assert r.exit_code == 9
    r = _remote(cli, api_server, t, "token", "revoke", str(made.data["id"]), "--yes", "--json")
    assert r.exit_code == 0 and r.data["state"] == "revoked"


def test_plain_http_to_another_machine_is_refused_unless_insecure_http(world, cli, api_server, token,
                                                                        monkeypatch, tmp_path):
    """0.0.0.0 is not a loopback address, yet Linux connects it to this machine: the test server."""
    t = token("rita.reseller")
    elsewhere = api_server.url.replace("127.0.0.1", "0.0.0.0")
    r = cli("--server", elsewhere, "tenant", "list", "--json",
            env={"TENANTCTL_TOKEN": t, "TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 2
    error = r.json()["error"]
    assert error["message"] == ("refusing to send the API token in clear over http:// to 0.0.0.0: anyone on the "
                                "network path could read it and act as you")
    assert "--insecure-http" in error["hint"]
    r = cli("--insecure-http", "--server", elsewhere, "tenant", "list", "--json",
            env={"TENANTCTL_TOKEN": t, "TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 0, r.stderr
    assert {x["key"] for x in r.data} >= {"acme", "mueller"}
    # login: refused before the password is asked for; with --insecure-http the choice is kept
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    from tests.api.test_http import _set_password

    _set_password("rita.reseller", "Korrekt-Pferd-Batterie-42")
    r = cli("login", "--server", elsewhere, input="rita.reseller\nKorrekt-Pferd-Batterie-42\n",
            env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 2 and "refusing to send the login and password in clear" in r.stderr
    r = cli("login", "--server", elsewhere, "--insecure-http", input="rita.reseller\nKorrekt-Pferd-Batterie-42\n",
            env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 0, r.stderr
    r = cli("tenant", "list", "--json", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 0, r.stderr


def test_loopback_names_are_this_machine():
    from tenantctl.cli.remote import is_loopback

    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]", "app.localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.com", "localhost.example.com"))
