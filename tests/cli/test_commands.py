"""The CLI end to end (in process): each command's output, exit code and the database after it."""

import json
import re

import pytest
from sqlmodel import select

from tenantctl.store.models import AuditEvent, Connection, Membership, Tenant, User

pytestmark = pytest.mark.usefixtures("cli_mode")


@pytest.fixture
def s1(ok, db_url):
    """Scenario S1 driven through the CLI: operator, reseller, two customers, five users."""
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    ok("tenant", "create", "ACME Reseller AG", "--kind", "reseller", "--key", "acme")
    ok("user", "create", "--tenant", "acme", "--first-name", "Rita", "--last-name", "Schröder",
       "--email", "rita@acme.example", "--role", "admin")
    rita = "rita.schroeder"
    ok("tenant", "create", "Müller & Söhne GmbH", "--kind", "customer", "--customer-number", "10001",
       "--currency", "EUR", as_=rita)
    ok("tenant", "create", "Bäckerei Weiß KG", "--kind", "customer", "--billing", "reseller", as_=rita)
    ok("user", "create", "--tenant", "mueller-soehne-gmbh", "--first-name", "Max", "--last-name", "Müller",
       "--email", "max@mueller.example", "--role", "admin", as_=rita)
    ok("user", "create", "--tenant", "mueller-soehne-gmbh", "--first-name", "Zoë", "--last-name", "Łukasiewicz",
       "--email", "zoe@mueller.example", as_=rita)
    ok("user", "create", "--tenant", "baeckerei-weiss-kg", "--first-name", "José María", "--last-name", "O'Brien",
       "--email", "jose@weiss.example", "--role", "admin", as_=rita)
    return rita


def test_s1_builds_the_store(s1, store):
    with store.transaction(write=False) as s:
        tenants = {t.key: t for t in s.exec(select(Tenant)).all()}
        logins = set(s.exec(select(User.login)).all())
        conns = s.exec(select(Connection)).all()
        memberships = s.exec(select(Membership)).all()
        actors = set(s.exec(select(AuditEvent.actor)).all())
    assert {k: t.kind for k, t in tenants.items()} == {
        "platform-operator": "operator", "acme": "reseller", "mueller-soehne-gmbh": "customer",
        "baeckerei-weiss-kg": "customer"}
    assert logins == {"olga.peters", "rita.schroeder", "max.mueller", "zoe.lukasiewicz", "jose-maria.obrien"}
    assert {(c.customer_number, c.currency, c.billing, c.state) for c in conns} == {
        ("10001", "EUR", "customer", "active"), (None, None, "reseller", "active")}
    assert len(memberships) == 5
    assert "rita.schroeder" in actors and any(a.startswith("operator:") for a in actors)


def test_json_is_one_document_and_stderr_empty(s1, cli):
    r = cli("tenant", "list", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    doc = json.loads(r.stdout)
    assert doc["meta"] == {"total": 4, "limit": 100, "offset": 0}
    assert [t["key"] for t in doc["data"]] == ["platform-operator", "acme", "baeckerei-weiss-kg", "mueller-soehne-gmbh"]
    assert doc["data"][3] | {"created_at": None} == {
        "key": "mueller-soehne-gmbh", "name": "Müller & Söhne GmbH", "kind": "customer", "status": "active",
        "language": "de", "external_id": None, "created_at": None, "created_by": "rita.schroeder",
        "reseller": "acme", "customer_number": "10001", "currency": "EUR", "billing": "customer",
        "connection_state": "active"}


def test_user_json_never_shows_the_hash(s1, ok):
    user = ok("user", "show", "max@MUELLER.example")
    assert user["login"] == "max.mueller" and user["has_password"] is False
    assert "password_hash" not in json.dumps(user)
    assert user["memberships"] == [{"tenant": "mueller-soehne-gmbh", "tenant_name": "Müller & Söhne GmbH",
                                    "kind": "customer", "role": "admin"}]


def test_human_output_tables_and_paging(s1, cli):
    r = cli("user", "list", "--limit", "2")
    assert r.exit_code == 0
    assert "jose-maria.obrien" in r.stdout and "max.mueller" in r.stdout and "olga.peters" not in r.stdout
    assert r.stderr.strip() == "showing 2 of 5; use --offset 2"
    r = cli("user", "list", "--limit", "2", "--offset", "4")
    assert "zoe.lukasiewicz" in r.stdout and r.stderr.strip() == "showing 1 of 5"


def test_user_data_is_printed_literally(ok, cli, db_url):
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    ok("tenant", "create", "[bold]x[/bold] & [red]y", "--kind", "reseller")
    r = cli("tenant", "list")
    assert "[bold]x[/bold] & [red]y" in r.stdout
    assert "\x1b[" not in r.stdout  # not a terminal: no colour codes either


COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;[0-9;]+|9[0-7])m")


def test_no_color_honoured_on_a_forced_terminal(ok, cli, db_url):
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    coloured = cli("tenant", "show", "nope", env={"FORCE_COLOR": "1"})
    assert COLOUR.search(coloured.stderr)  # the error is red on a terminal...
    plain = cli("tenant", "show", "nope", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.exit_code == 8 and not COLOUR.search(plain.stderr)  # ...and not with NO_COLOR


def test_search_filters_and_reseller_filter(s1, ok):
    assert [t["key"] for t in ok("tenant", "list", "--search", "WEISS")] == ["baeckerei-weiss-kg"]
    customers = ok("tenant", "list", "--reseller", "acme")
    assert [t["key"] for t in customers] == ["baeckerei-weiss-kg", "mueller-soehne-gmbh"]
    assert [t["key"] for t in ok("tenant", "list", "--kind", "reseller")] == ["acme"]
    members = ok("user", "list", "--tenant", "mueller-soehne-gmbh")
    assert [u["login"] for u in members] == ["max.mueller", "zoe.lukasiewicz"]
    assert [u["login"] for u in ok("user", "list", "--search", "ZOE@")] == ["zoe.lukasiewicz"]


def test_reseller_admin_sees_only_its_world(s1, ok, cli):
    ok("tenant", "create", "Fremd Reseller", "--kind", "reseller", "--key", "fremd")
    assert {t["key"] for t in ok("tenant", "list", as_=s1)} == {"acme", "baeckerei-weiss-kg", "mueller-soehne-gmbh"}
    r = cli("tenant", "show", "fremd", "--json", as_=s1)
    assert r.exit_code == 8 and r.json()["error"]["code"] == "not_found"


def test_member_add_list_remove(s1, ok, cli, store):
    # S7: the agency person (an existing user) joins a second tenant; one login, two memberships
    out = ok("member", "add", "jose@weiss.example", "--tenant", "mueller-soehne-gmbh", "--role", "member")
    assert out["changed"] == {"role": [None, "member"]}
    assert ok("member", "add", "jose@weiss.example", "--tenant", "mueller-soehne-gmbh")["changed"] == {}
    assert [m["login"] for m in ok("member", "list", "--tenant", "mueller-soehne-gmbh")] == [
        "jose-maria.obrien", "max.mueller", "zoe.lukasiewicz"]
    r = cli("member", "remove", "jose-maria.obrien", "--tenant", "mueller-soehne-gmbh")
    assert r.exit_code == 3 and "add --yes" in r.stderr  # no terminal: needs --yes
    ok("member", "remove", "jose-maria.obrien", "--tenant", "mueller-soehne-gmbh", "--yes")
    with store.transaction(write=False) as s:
        assert len(s.exec(select(Membership).where(Membership.user_id == select(User.id).where(
            User.login == "jose-maria.obrien").scalar_subquery())).all()) == 1


def test_suspend_needs_yes_and_activate(s1, ok, cli, store):
    r = cli("tenant", "suspend", "mueller-soehne-gmbh")
    assert r.exit_code == 3
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant.status).where(Tenant.key == "mueller-soehne-gmbh")).one() == "active"
    assert ok("tenant", "suspend", "mueller-soehne-gmbh", "--yes")["status"] == "suspended"
    assert ok("tenant", "activate", "mueller-soehne-gmbh")["status"] == "active"
    r = cli("tenant", "suspend", "mueller-soehne-gmbh", "--yes", as_="max.mueller")
    assert r.exit_code == 9 and "your own tenant" in r.stderr


def test_user_update_disable_enable(s1, ok, cli):
    out = ok("user", "update", "zoe.lukasiewicz", "--last-name", "Weiß", "--language", "en")
    assert out["changed"] == {"last_name": ["Łukasiewicz", "Weiß"], "language": ["de", "en"]}
    assert out["login"] == "zoe.lukasiewicz"  # the login stays
    assert ok("user", "disable", "zoe.lukasiewicz", "--yes")["status"] == "disabled"
    r = cli("tenant", "list", as_="zoe.lukasiewicz")
    assert r.exit_code == 9 and "disabled" in r.stderr
    assert ok("user", "enable", "zoe.lukasiewicz")["status"] == "invited"


def test_tenant_update_and_show(s1, ok):
    out = ok("tenant", "update", "baeckerei-weiss-kg", "--customer-number", "10002", "--currency", "eur")
    assert out["changed"] == {"customer_number": [None, "10002"], "currency": [None, "EUR"]}
    shown = ok("tenant", "show", "acme")
    assert [(c["partner"], c["state"]) for c in shown["connections"]] == [
        ("mueller-soehne-gmbh", "active"), ("baeckerei-weiss-kg", "active")]
    assert shown["members"] == 1


def test_audit_list_filters(s1, ok):
    events = ok("audit", "list", "--actor", "rita.schroeder", "--action", "tenant")
    assert [(e["action"], e["object"]) for e in events] == [
        ("tenant.create", "baeckerei-weiss-kg"), ("tenant.create", "mueller-soehne-gmbh")]
    events = ok("audit", "list", "--tenant", "baeckerei-weiss-kg", "--since", "1d")
    assert {e["action"] for e in events} == {"tenant.create", "connection.create", "user.create"}
    assert ok("audit", "list", "--since", "2999-01-01") == []
    oldest = ok("audit", "list", "--since", "01.01.2000", "--action", "user.create", "--limit", "0")[-1]
    assert oldest["object"] == "olga.peters"


def test_init_is_idempotent(s1, ok, store):
    again = ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga",
               "--admin-last-name", "Peters")
    assert again["created"] == [] and again["admin"] == "olga.peters"
    with store.transaction(write=False) as s:
        assert len(s.exec(select(Tenant).where(Tenant.kind == "operator")).all()) == 1
        assert len(s.exec(select(User).where(User.login == "olga.peters")).all()) == 1


def test_operator_admin_acts_as_operator(s1, ok):
    assert len(ok("tenant", "list", as_="olga.peters")) == 4
