"""Commands that scripts can re-run: --if-not-exists, duplicate names, exact look-ups, link and
mail state, scoped mail lists, --unless-open, chosen logins, audit filters (issue 11)."""

import json
import re

import pytest
from sqlmodel import select

from tenantctl.store.models import AuditEvent, PasswordLink, Tenant, User

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP


@pytest.fixture
def base(ok, db_url):
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    ok("tenant", "create", "ACME Reseller AG", "--kind", "reseller", "--key", "acme")
    ok("tenant", "create", "Beta Partner GmbH", "--kind", "reseller", "--key", "beta")
    ok("user", "create", "--tenant", "acme", "--first-name", "Rita", "--last-name", "Reseller",
       "--email", "rita@acme.example", "--role", "admin")
    ok("user", "create", "--tenant", "beta", "--first-name", "Bert", "--last-name", "Beta",
       "--email", "bert@beta.example", "--role", "admin")
    ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme", "--customer-number", "10001",
       "--currency", "EUR", "--external-id", "crm-1")
    ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Max", "--last-name", "Müller",
       "--email", "max@mueller.example", "--role", "admin")
    return "rita.reseller"


def tenant_count(store):
    with store.transaction(write=False) as s:
        return len(s.exec(select(Tenant)).all())


# -- --if-not-exists ---------------------------------------------------------------------------------

def test_tenant_create_if_not_exists_is_unchanged_for_an_equal_tenant(base, ok, cli, store):
    before = tenant_count(store)
    data = ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme",
              "--customer-number", "10001", "--currency", "EUR", "--if-not-exists")
    assert (data["key"], data["action"]) == ("mueller-gmbh", "unchanged")
    assert tenant_count(store) == before
    # found by its customer number, even with the name left as it was written by a colleague
    r = cli("tenant", "create", "MÜLLER GMBH", "--kind", "customer", "--reseller", "acme",
            "--customer-number", "10001", "--if-not-exists", "--json")
    assert r.exit_code == 5
    err = r.json()["error"]
    assert err["details"]["differences"] == {"name": {"stored": "Müller GmbH", "given": "MÜLLER GMBH"}}
    assert "name: 'Müller GmbH' stored, 'MÜLLER GMBH' given" in err["message"]


def test_tenant_create_if_not_exists_names_every_difference_and_writes_nothing(base, cli, store):
    before = tenant_count(store)
    r = cli("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme", "--currency", "CHF",
            "--language", "en", "--if-not-exists", "--json")
    assert r.exit_code == 5
    assert r.json()["error"]["details"]["differences"] == {
        "currency": {"stored": "EUR", "given": "CHF"}, "language": {"stored": "de", "given": "en"}}
    assert tenant_count(store) == before


def test_tenant_create_if_not_exists_creates_a_missing_tenant(base, ok):
    data = ok("tenant", "create", "Neu GmbH", "--kind", "customer", "--reseller", "acme", "--if-not-exists")
    assert (data["key"], data["action"], data["reseller"]) == ("neu-gmbh", "created", "acme")


def test_tenant_create_if_not_exists_as_reseller_admin_uses_its_reseller(base, ok):
    data = ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--if-not-exists", as_=base)
    assert (data["key"], data["action"]) == ("mueller-gmbh", "unchanged")


def test_same_name_under_another_resellers_scope_is_not_revealed(base, ok):
    # beta's admin cannot see acme's Müller GmbH: its own customer of that name is created
    data = ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--if-not-exists", as_="bert.beta")
    assert (data["key"], data["action"], data["reseller"]) == ("mueller-gmbh-2", "created", "beta")


def test_second_tenant_of_the_same_name_is_refused_unless_allowed(base, ok, cli, store):
    before = tenant_count(store)
    r = cli("tenant", "create", "müller gmbh", "--kind", "customer", "--reseller", "acme")
    assert r.exit_code == 5
    assert "a tenant named 'müller gmbh' already exists under reseller 'acme': 'mueller-gmbh'" in r.stderr
    assert "--allow-duplicate-name" in r.stderr
    assert tenant_count(store) == before
    data = ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme", "--allow-duplicate-name")
    assert data["key"] == "mueller-gmbh-2"
    # under another reseller the name is free
    assert ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "beta",
              "--allow-duplicate-name")["reseller"] == "beta"
    r = cli("tenant", "create", "ACME Reseller AG", "--kind", "reseller")
    assert r.exit_code == 5 and "among resellers" in r.stderr


def test_user_create_if_not_exists(base, ok, cli, store):
    args = ("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Max", "--last-name", "Müller",
            "--email", "MAX@mueller.example", "--if-not-exists")
    data = ok(*args)
    assert (data["login"], data["action"]) == ("max.mueller", "unchanged")
    r = cli(*args, "--role", "member", "--json")
    assert r.exit_code == 5
    assert r.json()["error"]["details"]["differences"] == {"role": {"stored": "admin", "given": "member"}}
    r = cli("user", "create", "--tenant", "acme", "--first-name", "Maximilian", "--last-name", "Müller",
            "--email", "max@mueller.example", "--if-not-exists", "--json")
    assert r.exit_code == 5
    assert r.json()["error"]["details"]["differences"] == {
        "first_name": {"stored": "Max", "given": "Maximilian"},
        "membership": {"stored": None, "given": "acme (member)"}}
    data = ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Mia", "--last-name", "Meier",
              "--email", "mia@mueller.example", "--if-not-exists")
    assert (data["login"], data["action"]) == ("mia.meier", "created")


def test_app_create_if_not_exists(base, ok, cli):
    assert ok("app", "create", "Lohnbuchhaltung", "--if-not-exists")["action"] == "created"
    assert ok("app", "create", "Lohnbuchhaltung", "--if-not-exists")["action"] == "unchanged"
    r = cli("app", "create", "Lohn", "--key", "lohnbuchhaltung", "--if-not-exists", "--json")
    assert r.exit_code == 5 and r.json()["error"]["details"]["differences"]["name"]["stored"] == "Lohnbuchhaltung"


# -- exact look-ups --------------------------------------------------------------------------------

def test_tenant_show_by_customer_number_and_external_id(base, ok, cli):
    assert ok("tenant", "show", "--customer-number", "10001")["key"] == "mueller-gmbh"
    assert ok("tenant", "show", "--customer-number", "10001", "--reseller", "acme")["key"] == "mueller-gmbh"
    assert ok("tenant", "show", "--external-id", "crm-1")["key"] == "mueller-gmbh"
    # exact, not a search: a prefix finds nothing
    r = cli("tenant", "show", "--customer-number", "1000")
    assert r.exit_code == 8 and "no tenant with customer number '1000'" in r.stderr
    # outside the actor's scope: not found
    assert cli("tenant", "show", "--external-id", "crm-1", as_="bert.beta").exit_code == 8
    r = cli("tenant", "show", "mueller-gmbh", "--external-id", "crm-1")
    assert r.exit_code == 2 and "exactly one of KEY, --customer-number or --external-id" in r.stderr


def test_customer_number_used_at_two_resellers_asks_for_the_reseller(base, ok, cli):
    ok("tenant", "create", "Other KG", "--kind", "customer", "--reseller", "beta", "--customer-number", "10001")
    r = cli("tenant", "show", "--customer-number", "10001")
    assert r.exit_code == 4 and "2 tenants have customer number '10001'" in r.stderr and "--reseller" in r.stderr
    assert ok("tenant", "show", "--customer-number", "10001", "--reseller", "beta")["key"] == "other-kg"


def test_user_show_by_email_is_exact(base, ok, cli):
    assert ok("user", "show", "--email", "MAX@Mueller.example")["login"] == "max.mueller"
    r = cli("user", "show", "--email", "max@mueller")
    assert r.exit_code == 8
    assert cli("user", "show", "--email", "max@mueller.example", as_="bert.beta").exit_code == 8


# -- link and mail state, --unless-open, scoped mail list ------------------------------------------------

def test_user_show_has_open_links_and_last_mails(base, ok, store):
    data = ok("user", "show", "max.mueller")
    assert (data["open_links"], data["last_mails"]) == ([], [])
    ok("password", "send-link", "max.mueller")
    data = ok("user", "show", "max.mueller")
    (link,) = data["open_links"]
    assert link["purpose"] == "initial" and link["expires_at"] > link["created_at"]
    assert "token" not in json.dumps(data)
    (mail,) = data["last_mails"]
    assert (mail["template"], mail["state"], mail["attempts"], mail["last_error"]) == (
        "password_link_initial", "sent", 1, None)
    ok("password", "send-link", "max.mueller")  # supersedes the first link
    data = ok("user", "show", "max.mueller")
    assert len(data["open_links"]) == 1 and data["open_links"][0]["id"] != link["id"]
    assert len(data["last_mails"]) == 2


def test_send_link_unless_open_leaves_users_with_an_open_link_alone(base, ok, store):
    ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Mia", "--last-name", "Meier",
       "--email", "mia@mueller.example")
    ok("password", "send-link", "max.mueller")
    data = ok("password", "send-link", "--tenant", "mueller-gmbh", "--unless-open")
    assert [x["login"] for x in data["links"]] == ["mia.meier"]
    assert data["skipped_open"] == ["max.mueller"]
    data = ok("password", "send-link", "--tenant", "mueller-gmbh", "--unless-open")
    assert data["links"] == [] and sorted(data["skipped_open"]) == ["max.mueller", "mia.meier"]
    with store.transaction(write=False) as s:
        assert len(s.exec(select(PasswordLink)).all()) == 2


def test_mail_list_to_and_user_scoped_to_managed_users(base, ok, cli):
    ok("password", "send-link", "max.mueller", "bert.beta")
    assert [m["to"] for m in ok("mail", "list", "--to", "MAX@mueller.example")] == ["max@mueller.example"]
    assert [m["to"] for m in ok("mail", "list", "--user", "bert.beta")] == ["bert@beta.example"]
    # acme's admin sees the mails of its customer's users, not beta's
    assert [m["to"] for m in ok("mail", "list", as_=base)] == ["max@mueller.example"]
    assert ok("mail", "list", "--to", "bert@beta.example", as_=base) == []
    assert cli("mail", "list", "--user", "bert.beta", as_=base).exit_code == 8
    ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Mia", "--last-name", "Meier",
       "--email", "mia@mueller.example", "--role", "member")
    assert cli("mail", "list", as_="mia.meier").exit_code == 9


# -- chosen and derived logins --------------------------------------------------------------------------

def test_user_create_with_a_chosen_login(base, ok, cli):
    data = ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Thomas", "--last-name", "Müller",
              "--email", "thomas@mueller.example", "--login", "T.Mueller")
    assert data["login"] == "t.mueller"
    for bad, message in (("admin", "the login 'admin' is reserved"), ("max mueller", "is not valid"),
                         ("max.mueller", "login 'max.mueller' is taken")):
        r = cli("user", "create", "--tenant", "mueller-gmbh", "--first-name", "X", "--last-name", "Y",
                "--email", f"{bad.replace(' ', '')}@x.example", "--login", bad)
        assert r.exit_code in (4, 5) and message in r.stderr, (bad, r.stderr)


def test_derived_logins_are_the_same_through_commands_and_import(base, ok, cli, tmp_path):
    from tests.imports.conftest import write_xlsx

    names = [("Thomas", "Müller"), ("Thomas", "Mueller"), ("José María", "O'Brien"), ("Zoë", "Łukasiewicz"),
             ("Thomas", "Mu\u0308ller"), ("  Thomas ", " Müller "), ("Ærøskøbing", "Straße")]
    for i, (first, last) in enumerate(names):
        ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", first, "--last-name", last,
           "--email", f"cmd{i}@mueller.example")
    rows = [[first, last, f"imp{i}@mueller.example", "mueller-gmbh", "member"] for i, (first, last) in enumerate(names)]
    book = write_xlsx(tmp_path / "u.xlsx", {"Benutzer": [["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"], *rows]})
    ok("import", "run", str(book))
    logins = {u["email"]: u["login"] for u in ok("user", "list", "--limit", "0")}
    by_command = [logins[f"cmd{i}@mueller.example"] for i in range(len(names))]
    by_import = [logins[f"imp{i}@mueller.example"] for i in range(len(names))]
    assert by_command[:3] == ["thomas.mueller", "thomas.mueller2", "jose-maria.obrien"]
    # the same derivation: each import login is the command's base with the next free suffix
    strip = [login.rstrip("0123456789") for login in by_command]
    assert [login.rstrip("0123456789") for login in by_import] == strip


# -- links never cut ----------------------------------------------------------------------------------

def test_print_link_is_one_line_outside_the_table_on_a_narrow_terminal(base, ok, cli, monkeypatch):
    from tenantctl.cli import output

    monkeypatch.setattr(output, "_width", lambda stream: 40)
    r = cli("password", "send-link", "max.mueller", "--print-link")
    assert r.exit_code == 0
    (line,) = [x for x in r.stdout.splitlines() if "token=" in x]
    login, url = line.split(" ")
    assert login == "max.mueller" and url.startswith("https://platform.example/password/set?token=")
    assert len(url.split("token=")[1]) > 40


def test_identifiers_in_tables_are_not_cut(base, ok, cli, monkeypatch):
    from tenantctl.cli import output

    long_mail = "maximilian.alexander.friedrich@example-very-long-domain-name.example"
    ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Maximilian-Alexander-Friedrich",
       "--last-name", "von Hohenzollern-Sigmaringen", "--email", long_mail)
    monkeypatch.setattr(output, "_width", lambda stream: 60)
    out = cli("user", "list").stdout
    assert "maximilian-alexander-friedrich.von-hohenzollern-sigmaringen" in out
    assert long_mail in out and "…" not in out


# -- audit filters --------------------------------------------------------------------------------------

def test_audit_list_action_prefix_user_and_object(base, ok, store):
    ok("member", "add", "max.mueller", "--tenant", "acme")
    ok("tenant", "update", "mueller-gmbh", "--name", "Müller & Co GmbH")
    actions = {e["action"] for e in ok("audit", "list", "--action", "tenant.", "--limit", "0")}
    assert actions == {"tenant.create", "tenant.update"}
    assert {e["action"] for e in ok("audit", "list", "--action", "tenant")} == actions
    about_max = ok("audit", "list", "--user", "max@mueller.example")
    assert [(e["action"], e["object"]) for e in about_max] == [("member.add", "max.mueller@acme"),
                                                                ("user.create", "max.mueller")]
    assert [e["action"] for e in ok("audit", "list", "--object", "tenant:mueller-gmbh")] == [
        "tenant.update", "tenant.create"]
    assert [e["action"] for e in ok("audit", "list", "--object", "mueller-gmbh")] == [
        "tenant.update", "tenant.create"]
    with store.transaction(write=False) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "tenant.update")).one()


# -- shell completion -----------------------------------------------------------------------------------

def _complete(cli_env, words, shell="bash"):
    import os
    import subprocess
    import sys

    env = {**os.environ, **cli_env, "_TENANTCTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env.update(COMP_WORDS=" ".join(words), COMP_CWORD=str(len(words) - 1))
    else:
        env["_TYPER_COMPLETE_ARGS"] = " ".join(words)
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    out = subprocess.run([sys.executable, "-c", "from tenantctl.cli.main import main; main()"], env=env,
                         capture_output=True, text=True, timeout=60)
    return out.stdout


def test_completion_of_nouns_verbs_options_keys_and_logins_in_scope(base, ok, db_url):
    ok("tenant", "create", "Anders AG", "--kind", "customer", "--reseller", "beta")
    env = {"TENANTCTL_DATABASE_URL": db_url}
    assert _complete(env, ["tenantctl", "ten"]).split() == ["tenant"]
    assert "show" in _complete(env, ["tenantctl", "tenant", "sh"]).split()
    assert _complete(env, ["tenantctl", "tenant", "create", "--if"]).split() == ["--if-not-exists"]
    assert _complete(env, ["tenantctl", "tenant", "show", "a"]).split() == ["acme", "anders-ag"]
    # --as on the completed line narrows to that actor's scope
    assert _complete(env, ["tenantctl", "--as", "rita.reseller", "tenant", "show", "a"]).split() == ["acme"]
    assert _complete(env, ["tenantctl", "user", "show", "m"]).split() == ["max.mueller"]
    assert _complete(env, ["tenantctl", "--as", "bert.beta", "user", "show", "m"]).split() == []
    assert "max.mueller" in _complete(env, ["tenantctl", "user", "show", "m"], shell="zsh")
    assert "max.mueller" in _complete(env, ["tenantctl", "user", "show", "m"], shell="fish")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(cli, shell):
    r = cli("completion", shell)
    assert r.exit_code == 0 and "_TENANTCTL_COMPLETE=complete_" + shell in r.stdout
    r = cli("completion", "tcsh")
    assert r.exit_code == 2 and "use one of bash, zsh, fish" in r.stderr


def test_actions_of_member_and_user_commands(base, ok):
    assert ok("member", "add", "max.mueller", "--tenant", "acme")["action"] == "created"
    assert ok("member", "add", "max.mueller", "--tenant", "acme")["action"] == "unchanged"
    assert ok("member", "add", "max.mueller", "--tenant", "acme", "--role", "billing")["action"] == "updated"
    assert ok("member", "remove", "max.mueller", "--tenant", "acme", "--yes")["action"] == "deleted"
    assert ok("user", "update", "max.mueller", "--language", "en")["action"] == "updated"
    assert ok("user", "update", "max.mueller", "--language", "en")["action"] == "unchanged"
    assert ok("tenant", "update", "mueller-gmbh", "--billing", "reseller")["changed"] == {
        "billing": ["customer", "reseller"]}
    with_user = ok("user", "show", "max.mueller")
    assert [User.__name__, with_user["status"]] == ["User", "invited"]


def test_invite_create_if_not_exists(base, ok, cli):
    args = ("invite", "create", "--kind", "member", "--tenant", "mueller-gmbh", "--email", "gast@example.com",
            "--role", "member", "--if-not-exists")
    first = ok(*args)
    assert first["action"] == "created" and first["link"]
    again = ok(*args)
    assert (again["id"], again["action"]) == (first["id"], "unchanged") and "link" not in again
    r = cli(*args[:-2], "admin", "--if-not-exists", "--json")
    assert r.exit_code == 5
    assert r.json()["error"]["details"]["differences"] == {"role": {"stored": "member", "given": "admin"}}
    ok("invite", "revoke", str(first["id"]))
    assert ok(*args)["action"] == "created"  # a revoked invitation is not the same one


def test_tenant_show_reads_a_mail_identity_as_people_do(base, ok, cli):
    """Human output: no `None`s; the platform's identity where the reseller set none. JSON unchanged."""
    r = cli("tenant", "show", "acme")
    assert r.exit_code == 0 and "None" not in r.stdout
    assert re.search(r"^mail\s+platform default\s*$", r.stdout, re.M), r.stdout
    assert ok("tenant", "show", "acme")["mail"] == {"sender_name": None, "reply_to": None, "signature": None}
    ok("tenant", "update", "acme", "--mail-reply-to", "service@acme.example")
    r = cli("tenant", "show", "acme")
    assert "None" not in r.stdout
    assert "reply to: service@acme.example (platform default for sender name, signature)" in \
        " ".join(r.stdout.split()), r.stdout
    assert "mail" not in {line.split()[0] for line in cli("tenant", "show", "mueller-gmbh").stdout.splitlines()
                          if line.strip()}
