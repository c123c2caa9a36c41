"""Issue 9's rules (part A), each through the CLI, with the store unchanged after every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

# -- a user is changed only by whoever manages all of them ----------------------------------------

@pytest.mark.parametrize("argv", [
    ("password", "send-link", "anna.agentur", "--print-link"),
    ("user", "disable", "anna.agentur", "--yes"),
    ("user", "update", "anna.agentur", "--last-name", "Renamed"),
    ("user", "update", "anna.agentur", "--email", "anna@evil.example"),
])
def test_agency_user_is_not_changed_by_one_of_her_tenants(attack_world, cli, unchanged, argv):
    for who in ("max.mueller", "rita.reseller", "otto.other"):
        snap = unchanged()
        r = cli(*argv, "--json", as_=who)
        assert r.exit_code == 9 and "may not change user 'anna.agentur'" in r.json()["error"]["message"]
        snap()


def test_the_operator_changes_the_agency_user(attack_world, ok):
    assert ok("user", "update", "anna.agentur", "--last-name", "Neu")["changed"] == {"last_name": ["Agentur", "Neu"]}


# -- attaching a person from outside the actor's scope needs consent --------------------------------

def test_member_add_of_a_visible_but_not_managed_user_is_refused_with_the_invitation_hint(
        attack_world, cli, ok, unchanged):
    ok("tenant", "create", "Zweit GmbH", "--kind", "customer", "--key", "zweit", as_="rita.reseller")
    snap = unchanged()
    r = cli("member", "add", "anna.agentur", "--tenant", "zweit", "--json", as_="rita.reseller")
    assert r.exit_code == 9 and "needs their consent" in r.json()["error"]["message"]
    assert "tenantctl invite create --kind member" in r.json()["error"]["hint"]
    snap()
    ok("member", "add", "mia.meier", "--tenant", "zweit", as_="rita.reseller")  # fully managed: allowed


def test_hidden_users_are_not_described_by_uniqueness_errors(attack_world, cli, unchanged):
    snap = unchanged()
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "O", "--last-name", "P",
            "--email", "ops@example.com", "--json", as_="max.mueller")
    err = r.json()["error"]
    assert r.exit_code == 5 and err["message"] == "the e-mail address ops@example.com cannot be used for a new account"
    assert "olga" not in r.stdout and "member add" not in r.stdout
    snap()


# -- accepting needs the account's consent ----------------------------------------------------------

def test_member_invitation_for_an_existing_user_needs_that_user(attack_world, cli, ok, unchanged):
    token = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "otto@other.example",
               "--role", "admin", as_="max.mueller")["token"]
    snap = unchanged()
    for who in (None, "max.mueller", "mia.meier"):
        r = cli("invite", "accept", "--json", input=token + "\n", as_=who)
        assert r.exit_code == 9, (who, r.stdout)
    snap()
    assert ok("invite", "accept", input=token + "\n", as_="otto.other")["user"] == "otto.other"


# -- every command resolves the actor ---------------------------------------------------------------

SETUP_COMMANDS = [("db", "status"), ("db", "upgrade"), ("config", "show"), ("doctor",),
                  ("mail", "preview", "password_link_initial"), ("mail", "test", "--to", "x@example.com"),
                  ("import", "template", "t.xlsx")]


@pytest.mark.parametrize("argv", SETUP_COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("who", ["max.mueller", "nobody.here", "disabled"])
def test_setup_commands_refuse_a_non_operator_actor(attack_world, cli, ok, unchanged, argv, who, tmp_path):
    if who == "disabled":
        ok("user", "disable", "mia.meier", "--yes")
        who = "mia.meier"
    snap = unchanged()
    r = cli(*argv, "--json", as_=who)
    assert r.exit_code == 9, r.stdout
    snap()
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize("argv", [("tenant", "list"), ("config", "show"), ("init",), ("db", "status")],
                         ids=lambda a: " ".join(a))
def test_an_empty_actor_fails_closed(attack_world, cli, unchanged, argv, monkeypatch):
    snap = unchanged()
    r = cli("--as", "", *argv, "--json")
    assert r.exit_code == 9 and r.json()["error"]["message"] == "cannot act as an empty login"
    monkeypatch.setenv("TENANTCTL_ACTOR", " ")
    r = cli(*argv, "--json")
    assert r.exit_code == 9 and r.json()["error"]["message"] == "cannot act as an empty login"
    snap()


def test_the_operator_admin_runs_setup_commands(attack_world, ok):
    assert ok("db", "status", as_="olga.peters")["state"] == "current"


# -- status gates -----------------------------------------------------------------------------------

def test_admins_of_a_suspended_tenant_have_no_rights(attack_world, cli, ok, unchanged):
    ok("tenant", "suspend", "mueller", "--yes")
    snap = unchanged()
    r = cli("user", "update", "mia.meier", "--last-name", "X", "--json", as_="max.mueller")
    assert r.exit_code == 9 and "belongs to no active tenant" in r.json()["error"]["message"]
    # the agency user keeps the rights of her other, active tenant only
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "N", "--last-name", "N",
            "--email", "n@mueller.example", "--json", as_="anna.agentur")
    assert r.exit_code == 8
    snap()


def test_a_suspended_reseller_cannot_approve_connections(attack_world, cli, ok, unchanged, monkeypatch):
    monkeypatch.setenv("TENANTCTL_REGISTRATION_APPROVAL", "0")
    link = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")["link"]
    conn = ok("invite", "accept", "--organisation", "Neu GmbH", "--first-name", "N", "--last-name", "Eu",
              "--email", "n@neu.example", input=link)["connection"]
    ok("tenant", "suspend", "acme", "--yes")
    snap = unchanged()
    r = cli("connection", "approve", str(conn), "--json", as_="rita.reseller")
    assert r.exit_code == 9
    snap()


def test_a_user_without_membership_cannot_log_in_and_their_links_die(attack_world, cli, ok, links_of):
    ok("password", "send-link", "mia.meier", "--no-send")
    [link] = links_of("mia.meier")
    assert link.voided_at is None
    ok("member", "remove", "mia.meier", "--tenant", "mueller", "--yes")
    [link] = links_of("mia.meier")
    assert link.void_reason == "no_membership"


def test_login_refused_when_every_tenant_is_suspended(attack_world, cli, ok, store):
    from tenantctl.store import passwords as pw
    from tenantctl.store.lookup import find_user_row

    with store.transaction() as s:
        user = find_user_row(s, "mia.meier")
        user.password_hash = pw.hash_password("ein-langes-passwort-42")
        user.status = "active"
        s.add(user)
    r = cli("auth", "login", "mia.meier", "--password-stdin", "--json", input="ein-langes-passwort-42\n")
    assert r.exit_code == 0, r.stdout
    ok("tenant", "suspend", "mueller", "--yes")
    r = cli("auth", "login", "mia.meier", "--password-stdin", "--json", input="ein-langes-passwort-42\n")
    assert r.exit_code == 9 and "login failed" in r.json()["error"]["message"]


@pytest.mark.parametrize("argv", [("member", "remove", "max.mueller", "--tenant", "mueller", "--yes"),
                                  ("member", "add", "max.mueller", "--tenant", "mueller", "--role", "member"),
                                  ("user", "disable", "max.mueller", "--yes")], ids=lambda a: " ".join(a[:2]))
def test_the_last_admin_is_kept_on_every_path(world, cli, unchanged, argv):
    snap = unchanged()
    for who in (None, "rita.reseller"):
        r = cli(*argv, "--json", as_=who)
        assert r.exit_code == 5 and r.json()["error"]["message"] == "max.mueller is the last admin of tenant 'mueller'"
    snap()


# -- commercial terms belong to the reseller --------------------------------------------------------

@pytest.mark.parametrize("option", [("--customer-number", "999"), ("--billing", "reseller"), ("--currency", "CHF")])
def test_customer_admin_cannot_set_commercial_terms(world, cli, ok, unchanged, option):
    snap = unchanged()
    r = cli("tenant", "update", "mueller", *option, "--json", as_="max.mueller")
    assert r.exit_code == 9 and "set by the admins of reseller 'acme'" in r.json()["error"]["message"]
    snap()
    if option[0] != "--currency":  # EUR is fixed once set
        assert ok("tenant", "update", "mueller", *option, as_="rita.reseller")["changed"]


# -- import undo re-checks the actor's current rights ----------------------------------------------

def test_a_demoted_admin_cannot_undo_its_import(world, cli, ok, unchanged, tmp_path: Path):
    from tests.imports.conftest import basic_workbook

    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")), as_="rita.reseller")["run"]
    ok("user", "create", "--tenant", "acme", "--first-name", "Zweite", "--last-name", "Admin",
       "--email", "z@acme.example", "--role", "admin")
    ok("member", "add", "rita.reseller", "--tenant", "acme", "--role", "member")  # demoted by the operator
    snap = unchanged()
    r = cli("import", "undo", str(run), "--yes", "--json", as_="rita.reseller")
    assert r.exit_code == 9 and "undo re-checks your current rights" in r.json()["error"]["message"]
    snap()
    ok("import", "undo", str(run), "--yes")  # the operator still can



@pytest.mark.parametrize("cli_mode", ["local", "remote"])
def test_a_demoted_admin_cannot_undo_its_tenant_only_import(backend, cli_mode, world, cli, ok, unchanged, store,
                                                           tmp_path: Path):
    """A run that only renamed a tenant (no user, no connection): only the tenant check stands
    between a demoted admin and the undo (rights are read when the undo runs, on both faces)."""
    from tests.imports.conftest import TENANT_HEADER, write_xlsx

    book = write_xlsx(tmp_path / "mandanten.xlsx", {"Mandanten": [
        TENANT_HEADER, ["mueller", "Müller & Söhne GmbH & Co. KG", "customer", "acme", "10001", "EUR", "de"]]})
    data = ok("import", "run", str(book), as_="rita.reseller")
    assert data["counts"]["tenants_update"] == 1 and data["counts"]["users_create"] == 0
    ok("user", "create", "--tenant", "acme", "--first-name", "Zweite", "--last-name", "Admin",
       "--email", "z@acme.example", "--role", "admin")
    ok("member", "add", "rita.reseller", "--tenant", "acme", "--role", "member")  # demoted by the operator
    snap = unchanged()
    r = cli("import", "undo", str(data["run"]), "--yes", "--json", as_="rita.reseller")
    assert r.exit_code == 9, (r.stdout, r.stderr)
    assert r.json()["error"]["message"] == ("rita.reseller may no longer change tenant 'mueller'; "
                                            "undo re-checks your current rights")
    snap()
    assert ok("import", "undo", str(data["run"]), "--yes")["undone"]["restored"] == 1  # the operator can
    assert ok("tenant", "show", "mueller")["name"] == "Müller & Söhne GmbH"

# -- the importer obeys the same rules ------------------------------------------------------------

def _users_file(tmp_path: Path, *rows: list[str]) -> Path:
    from tests.imports.conftest import USER_HEADER, write_xlsx

    return write_xlsx(tmp_path / "users.xlsx", {"Benutzer": [USER_HEADER, *[list(r) for r in rows]]})


def test_import_cannot_attach_an_agency_user_without_consent(attack_world, cli, ok, tmp_path):
    ok("tenant", "create", "Zweit GmbH", "--kind", "customer", "--key", "zweit", as_="rita.reseller")
    book = _users_file(tmp_path, ["Anna", "Agentur", "anna@agentur.example", "zweit", "member"])
    r = cli("import", "run", str(book), "--json", as_="rita.reseller")
    assert r.exit_code == 4
    assert "adding them needs their consent" in str(r.json()["error"]["details"])
    assert ok("user", "show", "anna.agentur")["memberships"] == [
        {"tenant": "mueller", "tenant_name": "Müller & Söhne GmbH", "kind": "customer", "role": "admin"},
        {"tenant": "other", "tenant_name": "Other Customer KG", "kind": "customer", "role": "admin"}]


def test_import_cannot_demote_the_last_admin(world, cli, tmp_path, store):
    from sqlmodel import select

    from tenantctl.store.models import Membership, User

    book = _users_file(tmp_path, ["Max", "Müller", "max@mueller.example", "mueller", "member"])
    r = cli("import", "run", str(book), "--json", as_="rita.reseller")
    assert r.exit_code == 4 and "max.mueller is the last admin of the tenant" in str(r.json()["error"]["details"])
    with store.transaction(write=False) as s:
        role = s.exec(select(Membership.role).join(User, User.id == Membership.user_id)
                      .where(User.login == "max.mueller")).one()
    assert role == "admin"
