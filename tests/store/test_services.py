"""Tenant, user and membership services on SQLite and PostgreSQL (the `backend` fixture)."""

import pytest
from sqlmodel import select

from tenantctl.store.errors import Conflict, InvalidInput, NotFound
from tenantctl.store.models import AuditEvent, Connection, Membership, Tenant, User
from tenantctl.store.services import memberships, tenants, users


@pytest.fixture(autouse=True)
def _both(backend):
    return backend


def test_customer_under_reseller_gets_active_connection(world, ctx_for, store):
    with ctx_for() as ctx:
        t = tenants.create_tenant(ctx, "Bäckerei Weiß KG", "customer", reseller="acme", customer_number="0042",
                                  currency="chf", billing="reseller")
    with store.transaction(write=False) as s:
        conn = s.exec(select(Connection).where(Connection.customer_id == t.id)).one()
        reseller = s.get(Tenant, conn.reseller_id)
    assert (t.key, conn.state, conn.customer_number, conn.currency, conn.billing, reseller.key) == (
        "baeckerei-weiss-kg", "active", "0042", "CHF", "reseller", "acme")


def test_key_collision_gets_suffix_and_explicit_key_must_be_free(world, ctx_for):
    with ctx_for() as ctx:
        a = tenants.create_tenant(ctx, "Müller & Söhne GmbH", "reseller")
        b = tenants.create_tenant(ctx, "Mueller Soehne GmbH", "reseller")
    assert (a.key, b.key) == ("mueller-soehne-gmbh", "mueller-soehne-gmbh-2")
    with pytest.raises(Conflict, match="tenant key 'acme' is taken"), ctx_for() as ctx:
        tenants.create_tenant(ctx, "Another", "reseller", key="acme")


def test_customer_under_customer_refused(world, ctx_for, store):
    message = "'mueller' is a customer: a customer can only be created under a reseller"
    with pytest.raises(InvalidInput, match=message), ctx_for() as ctx:
        tenants.create_tenant(ctx, "Sub GmbH", "customer", reseller="mueller")
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Sub GmbH")).first() is None


def test_currency_fixed_once_set(world, ctx_for):
    with ctx_for() as ctx:
        out = tenants.update_tenant(ctx, "other", currency="USD")
    assert out["currency"] == "USD" and out["changed"] == {"currency": [None, "USD"]}
    with pytest.raises(Conflict, match="fixed at USD"), ctx_for() as ctx:
        tenants.update_tenant(ctx, "other", currency="EUR")
    with pytest.raises(InvalidInput, match="unknown currency 'XYZ'"), ctx_for() as ctx:
        tenants.update_tenant(ctx, "mueller", currency="XYZ")


def test_login_collisions(world, ctx_for):
    with ctx_for() as ctx:
        u2 = users.create_user(ctx, "mueller", "Max", "Mueller", "max2@mueller.example")
        u3 = users.create_user(ctx, "other", "Max", "Müller", "max3@other.example")
    assert (u2.login, u3.login) == ("max.mueller2", "max.mueller3")


def test_duplicate_email_any_case_hints_membership(world, ctx_for, store):
    with pytest.raises(Conflict, match="already exists") as err, ctx_for() as ctx:
        users.create_user(ctx, "other", "Maximilian", "M", "MAX@Mueller.Example")
    assert "member add" in (err.value.hint or "")
    with store.transaction(write=False) as s:
        assert s.exec(select(User).where(User.first_name == "Maximilian")).first() is None


def test_one_user_many_tenants(world, ctx_for, store):
    with ctx_for() as ctx:
        memberships.add_member(ctx, "MAX@mueller.example", "other", "admin")
    with ctx_for("max.mueller") as ctx:
        seen = {t["key"] for t in tenants.list_tenants(ctx).items}
    assert seen == {"mueller", "other"}


def test_last_admin_cannot_be_removed_or_demoted(world, ctx_for, store):
    with pytest.raises(Conflict, match="max.mueller is the last admin of tenant 'mueller'"), ctx_for() as ctx:
        memberships.remove_member(ctx, "max.mueller", "mueller")
    with pytest.raises(Conflict, match="last admin"), ctx_for() as ctx:
        memberships.add_member(ctx, "max.mueller", "mueller", "member")
    with ctx_for() as ctx:  # with a second admin it works
        memberships.add_member(ctx, "mia.meier", "mueller", "admin")
        memberships.remove_member(ctx, "max.mueller", "mueller")
    with store.transaction(write=False) as s:
        roles = s.exec(select(Membership.role).join(Tenant).where(Tenant.key == "mueller")).all()
    assert roles == ["admin"]


def test_email_change_bumps_credential_version(world, ctx_for):
    with ctx_for() as ctx:
        before = users.find_user_row(ctx.session, "mia.meier").credential_version
        out = users.update_user(ctx, "mia.meier", email="Mia.Meier@Mueller.example")
        after = users.find_user_row(ctx.session, "mia.meier")
    assert out["changed"]["email"] == ["mia@mueller.example", "Mia.Meier@mueller.example"]
    assert after.credential_version == before + 1
    assert after.email_key == "mia.meier@mueller.example"


def test_disable_and_enable(world, ctx_for):
    with ctx_for() as ctx:
        assert users.set_enabled(ctx, "mia.meier", False)["status"] == "disabled"
        assert users.set_enabled(ctx, "mia.meier", True)["status"] == "invited"  # no password yet


def test_every_change_is_audited(world, ctx_for, store):
    with ctx_for("rita.reseller") as ctx:
        tenants.update_tenant(ctx, "mueller", name="Müller & Söhne GmbH & Co. KG")
    with store.transaction(write=False) as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.actor, event.action, event.object_key) == ("rita.reseller", "tenant.update", "mueller")
    assert event.details == {"changed": {"name": ["Müller & Söhne GmbH", "Müller & Söhne GmbH & Co. KG"]}}


def test_unknown_tenant(world, ctx_for):
    with pytest.raises(NotFound, match="tenant 'nope' not found"), ctx_for() as ctx:
        tenants.show_tenant(ctx, "nope")


def test_search_is_case_insensitive_and_pages(world, ctx_for):
    with ctx_for() as ctx:
        page = tenants.list_tenants(ctx, search="MÜLLER")
        assert [t["key"] for t in page.items] == ["mueller"]
        page = tenants.list_tenants(ctx, search="10001")  # customer number
        assert [t["key"] for t in page.items] == ["mueller"]
        page = users.list_users(ctx, search="MUELLER.EXAMPLE", limit=1, offset=1)
        assert (len(page.items), page.total) == (1, 2)
        assert page.items[0]["login"] == "mia.meier"
        page = users.list_users(ctx, search="100%")  # wildcards are literal
        assert page.total == 0
