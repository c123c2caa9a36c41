"""tenantctl password send-link / password set / auth login through the CLI."""

from __future__ import annotations

import pytest
from mailhelpers import link_of, read_eml
from sqlmodel import select

from tenantctl.store.models import AuditEvent, OutboxMail, PasswordLink, User

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

PW = "Korrekt-Pferd-Batterie-9"


def _rows(store, model):
    with store.transaction(write=False) as s:
        return list(s.exec(select(model)))


def _token(ok, login="max.mueller", *extra):
    data = ok("password", "send-link", login, "--print-link", *extra)
    return data["links"][0]["link"].split("token=")[1]


def test_send_link_selections(world, ok, store):
    one = ok("password", "send-link", "max.mueller")
    assert [(r["login"], r["purpose"], r["mailed"]) for r in one["links"]] == [("max.mueller", "initial", True)]
    several = ok("password", "send-link", "max@mueller.example", "otto.other", "--no-send")
    assert [r["login"] for r in several["links"]] == ["max.mueller", "otto.other"]
    assert several["delivery"] is None
    tenant = ok("password", "send-link", "--tenant", "mueller", "--purpose", "reset", "--no-send")
    assert sorted(r["login"] for r in tenant["links"]) == ["max.mueller", "mia.meier"]
    assert {r["purpose"] for r in tenant["links"]} == {"reset"}
    nopw = ok("password", "send-link", "--without-password", "--no-send")
    assert len(nopw["links"]) == 6
    states = [m.state for m in _rows(store, OutboxMail)]
    assert states.count("sent") == 1 and states.count("queued") == 10
    # every user has exactly one open link: the newest superseded the older ones
    links = _rows(store, PasswordLink)
    open_ = [link for link in links if link.voided_at is None and link.used_at is None]
    assert len(open_) == 6 and {link.void_reason for link in links if link.voided_at} == {"superseded"}


def test_send_link_scope(world, cli, ok):
    r = cli("password", "send-link", "otto.other", "--json", as_="rita.reseller")
    assert r.exit_code == 8 and r.json()["error"]["code"] == "not_found"
    data = ok("password", "send-link", "--without-password", "--dry-run", as_="rita.reseller")
    assert sorted(r["login"] for r in data["links"]) == ["max.mueller", "mia.meier", "rita.reseller"]


def test_send_link_purpose_default_depends_on_password(world, ok, cli):
    token = _token(ok)
    assert cli("password", "set", "--password-stdin", input=f"{token}\n{PW}\n").exit_code == 0
    data = ok("password", "send-link", "max.mueller", "mia.meier", "--dry-run")
    assert [(r["login"], r["purpose"]) for r in data["links"]] == [("max.mueller", "reset"), ("mia.meier", "initial")]


def test_dry_run_changes_nothing(world, ok, store):
    before = (len(_rows(store, PasswordLink)), len(_rows(store, OutboxMail)), len(_rows(store, AuditEvent)))
    data = ok("password", "send-link", "--tenant", "mueller", "--dry-run")
    assert data["dry_run"] is True and len(data["links"]) == 2
    assert data["links"][0]["language"] == "de" and data["links"][0]["tenant"] == "mueller"
    assert (len(_rows(store, PasswordLink)), len(_rows(store, OutboxMail)), len(_rows(store, AuditEvent))) == before


def test_disabled_users(world, cli, ok, store):
    ok("user", "disable", "mia.meier", "--yes")
    r = cli("password", "send-link", "max.mueller", "mia.meier", "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == "user mia.meier is disabled; no link was sent to anyone"
    assert _rows(store, PasswordLink) == []
    r = cli("password", "send-link", "--tenant", "mueller", "--no-send")
    assert r.exit_code == 0
    assert "skipped mia.meier: the user is disabled" in r.stderr
    data = ok("password", "send-link", "--tenant", "mueller", "--no-send")
    assert data["skipped"] == ["mia.meier"] and [x["login"] for x in data["links"]] == ["max.mueller"]


def test_print_link_prints_once_and_mails_nothing(world, ok, store, outbox_dir):
    data = ok("password", "send-link", "max.mueller", "--print-link")
    link = data["links"][0]["link"]
    assert link.startswith("https://platform.example/password/set?token=")
    assert _rows(store, OutboxMail) == [] and not outbox_dir.exists()
    assert [x.token_hash is not None for x in _rows(store, PasswordLink)] == [True]


def test_print_link_also_mail_sends_the_same_link(world, ok, outbox_dir):
    data = ok("password", "send-link", "max.mueller", "--print-link", "--also-mail")
    printed = data["links"][0]["link"].split("token=")[1]
    assert data["delivery"]["sent"] == 1
    assert link_of(read_eml(outbox_dir)[0]) == printed


def test_also_mail_needs_print_link(world, cli):
    r = cli("password", "send-link", "max.mueller", "--also-mail")
    assert r.exit_code == 2 and "--also-mail only goes with --print-link" in r.stderr


def test_send_link_needs_a_selection(world, cli):
    r = cli("password", "send-link", "--json")
    assert r.exit_code == 2 and "name at least one user" in r.json()["error"]["message"]


def test_set_password_from_stdin_and_token_file(world, cli, ok, tmp_path, store):
    token = _token(ok)
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}\n{PW}\n")
    assert r.exit_code == 0, r.stdout
    assert r.data == {"login": "max.mueller", "status": "active", "password_changed_at": r.data["password_changed_at"]}
    token2 = _token(ok, "mia.meier")
    f = tmp_path / "token.txt"
    f.write_text(f"https://platform.example/password/set?token={token2}\n")
    assert ok("password", "set", "--token-file", str(f), "--password-stdin", input=f"{PW}\n")["login"] == "mia.meier"
    assert {u.login: u.status for u in _rows(store, User)}["mia.meier"] == "active"


def test_set_refuses_password_arguments(world, cli, ok, store):
    token = _token(ok)
    for args in ([PW], ["--password", PW], [token, PW], [f"--password={PW}"]):
        r = cli("password", "set", *args, "--json", input=f"{token}\n{PW}\n")
        assert r.exit_code == 2, args
        err = r.json()["error"]
        assert "never accepted as arguments" in err["message"] and "--password-stdin" in err["hint"]
        assert PW not in r.stdout
    assert all(u.password_hash is None for u in _rows(store, User))


def test_set_bad_inputs(world, cli, ok, store):
    token = _token(ok)
    r = cli("password", "set", "--password-stdin", "--json", input="")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "no token on stdin"
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}\n")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "no password on stdin"
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}\n\n")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "the password on stdin is empty"
    r = cli("password", "set", "--json", input=f"{token}\n")
    assert r.exit_code == 2 and "--password-stdin" in r.json()["error"]["hint"]
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}\nmax.mueller-geheim\n")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "the password must not contain your login"
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}x\n{PW}\n")
    assert r.exit_code == 4 and r.json()["error"] == {
        "code": "invalid_input", "message": "this password link is invalid or has expired",
        "hint": "ask for a new link (tenantctl password send-link LOGIN)"}
    r = cli("password", "set", "--token-file", "/nonexistent/t", "--password-stdin", "--json", input=f"{PW}\n")
    assert r.exit_code == 4 and "cannot read the token file" in r.json()["error"]["message"]
    assert all(u.password_hash is None for u in _rows(store, User))
    assert ok("password", "set", "--password-stdin", input=f"{token}\n{PW}\n")["login"] == "max.mueller"


def test_auth_login(world, cli, ok):
    token = _token(ok)
    ok("password", "set", "--password-stdin", input=f"{token}\n{PW}\n")
    reset = _token(ok, "max.mueller", "--purpose", "reset")
    data = ok("auth", "login", "max.mueller", "--password-stdin", input=f"{PW}\n")
    assert data["login"] == "max.mueller" and data["links_voided"] == 1
    r = cli("password", "set", "--password-stdin", "--json", input=f"{reset}\nGanz-Neues-Passwort-1\n")
    assert r.exit_code == 4  # the login killed the open link
    errors = set()
    for who, pw in (("max.mueller", "falsch-falsch-falsch"), ("nobody", PW), ("mia.meier", PW)):
        r = cli("auth", "login", who, "--password-stdin", "--json", input=f"{pw}\n")
        assert r.exit_code == 9
        errors.add(r.stdout)
    assert len(errors) == 1 and "unknown login or wrong password" in errors.pop()
    r = cli("auth", "login", "max.mueller", PW, "--json")
    assert r.exit_code == 2 and "never accepted as arguments" in r.json()["error"]["message"]
    r = cli("auth", "login", "max.mueller", "--json", input=f"{PW}\n")
    assert r.exit_code == 2  # no terminal, no --password-stdin
    r = cli("auth", "login", "max.mueller", "--password-stdin", "--json", input="")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "no password on stdin"


def test_no_command_sets_or_reads_a_password(world, cli):
    import re

    from typer.main import get_command

    from tenantctl.cli.main import app

    root = get_command(app)
    seen = []

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])
        for p in getattr(cmd, "params", []):
            seen.extend((" ".join(path), o) for o in p.opts)

    walk(root, [])
    # the only password-related options: reading it from stdin, and selecting users without one
    offending = [s for s in seen if re.search(r"pass", s[1]) and s[1] not in {"--password-stdin", "--without-password"}]
    assert offending == []
    assert ("password set", "--password-stdin") in seen and ("auth login", "--password-stdin") in seen
