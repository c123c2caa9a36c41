"""With exclusive_reseller off a customer can work with two resellers; each sees its own customer
number, currency and billing for it, never the other's: tenant list, tenant show, the exact
look-up, the search, export (xlsx and -o yaml) and the API (store/actor.py sees_commercial_terms)."""

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

ACME_TERMS = {"reseller": "acme", "customer_number": "10001", "currency": "EUR", "billing": "customer"}
BETA_TERMS = {"reseller": "beta", "customer_number": "B-77", "currency": "CHF", "billing": "reseller"}


@pytest.fixture
def shared(world, ctx_for, monkeypatch):
    """mueller (acme's customer 10001, EUR) works with beta too: beta's customer B-77, CHF, billed to beta."""
    from tenantctl.store.actor import get_tenant
    from tenantctl.store.services import connections

    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "off")
    with ctx_for() as ctx:
        beta, mueller = (get_tenant(ctx.session, ctx.actor, k) for k in ("beta", "mueller"))
        connections.connect(ctx, beta, mueller, state="active", customer_number="B-77", currency="CHF",
                            billing="reseller")
    return world


def terms(row):
    return {k: row[k] for k in ("reseller", "customer_number", "currency", "billing")}


def test_each_reseller_sees_its_own_terms_for_a_shared_customer(backend, shared, ok, cli):
    for who, mine, theirs in (("bert.beta", BETA_TERMS, ACME_TERMS), ("rita.reseller", ACME_TERMS, BETA_TERMS)):
        listed = {t["key"]: t for t in ok("tenant", "list", "--kind", "customer", as_=who)}
        assert terms(listed["mueller"]) == mine, who
        shown = ok("tenant", "show", "mueller", as_=who)
        assert terms(shown) == mine
        assert [(c["partner"], c["customer_number"], c["currency"]) for c in shown["connections"]] == [
            (mine["reseller"], mine["customer_number"], mine["currency"])]
        assert ok("tenant", "show", "--customer-number", mine["customer_number"], as_=who)["key"] == "mueller"
        for args in (("tenant", "list"), ("tenant", "show", "mueller"), ("tenant", "list", "--search", "muell")):
            out = cli(*args, "--json", as_=who).stdout
            assert theirs["customer_number"] not in out and theirs["currency"] not in out, (who, args)


def test_another_resellers_customer_number_finds_nothing(backend, shared, cli, ok):
    r = cli("tenant", "show", "--customer-number", "10001", "--json", as_="bert.beta")
    assert r.exit_code == 8 and r.json()["error"]["message"] == "no tenant with customer number '10001'"
    r = cli("tenant", "list", "--search", "10001", "--json", as_="bert.beta")
    assert r.exit_code == 0 and r.json()["data"] == []
    assert [t["key"] for t in ok("tenant", "list", "--search", "B-77", as_="bert.beta")] == ["mueller"]


def test_exports_carry_the_actors_own_terms(shared, ok, cli, tmp_path):
    r = cli("export", "-o", "yaml", as_="bert.beta")
    assert r.exit_code == 0, r.stderr
    doc = yaml.safe_load(r.stdout)
    [mueller] = [t for t in doc["tenants"] if t["key"] == "mueller"]
    assert {k: mueller.get(k) for k in ("reseller", "customer_number", "currency", "billing")} == BETA_TERMS
    assert "10001" not in r.stdout and "EUR" not in r.stdout
    ok("export", str(tmp_path / "k.json"), as_="bert.beta")
    exported = (tmp_path / "k.json").read_text(encoding="utf-8")
    assert "B-77" in exported and "10001" not in exported
    # the export applies back unchanged for the second reseller: its own terms, its own connection
    (tmp_path / "beta.yaml").write_text(r.stdout, encoding="utf-8")
    assert ok("apply", "-f", str(tmp_path / "beta.yaml"), "--dry-run", as_="bert.beta")["action"] == "unchanged"


def test_the_customer_and_the_operator_still_see_terms(shared, ok):
    for who in (None, "max.mueller"):
        shown = ok("tenant", "show", "mueller", as_=who)
        assert terms(shown) in (ACME_TERMS, BETA_TERMS), who
