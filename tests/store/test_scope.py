"""Each role against each command family (tenant, user, member, audit). Out of scope answers
"not found"; in scope but without the right role answers "permission denied"."""

import pytest

from tenantctl.store.errors import NotFound, PermissionDenied
from tenantctl.store.services import audit, memberships, tenants, users

ROLES = ["operator", "reseller_admin", "customer_admin", "customer_member"]
# which tenants each role sees in the world fixture
SEES = {
    "operator": {"platform", "acme", "beta", "mueller", "other"},
    "reseller_admin": {"acme", "mueller"},
    "customer_admin": {"mueller"},
    "customer_member": {"mueller"},
}


@pytest.fixture(autouse=True)
def _both(backend):
    return backend


@pytest.mark.parametrize("role", ROLES)
def test_tenant_visibility(world, ctx_for, role):
    with ctx_for(world[role]) as ctx:
        assert {t["key"] for t in tenants.list_tenants(ctx).items} == SEES[role]
        for key in {"platform", "acme", "beta", "mueller", "other"} - SEES[role]:
            with pytest.raises(NotFound):
                tenants.show_tenant(ctx, key)


@pytest.mark.parametrize("role", ROLES)
def test_user_visibility(world, ctx_for, role):
    expected = {
        "operator": {"olga.peters", "rita.reseller", "bert.beta", "max.mueller", "mia.meier", "otto.other"},
        "reseller_admin": {"rita.reseller", "max.mueller", "mia.meier"},
        "customer_admin": {"max.mueller", "mia.meier"},
        "customer_member": {"max.mueller", "mia.meier"},
    }[role]
    with ctx_for(world[role]) as ctx:
        assert {u["login"] for u in users.list_users(ctx, limit=None).items} == expected
        if role != "operator":
            with pytest.raises(NotFound):
                users.get_user(ctx, "otto.other")


def test_reseller_admin_creates_customers_only_under_itself(world, ctx_for):
    with ctx_for("rita.reseller") as ctx:
        t = tenants.create_tenant(ctx, "Neukunde GmbH", "customer")  # defaults to its reseller
        assert tenants.describe(ctx.session, t)["reseller"] == "acme"
        with pytest.raises(NotFound):
            tenants.create_tenant(ctx, "Fremd GmbH", "customer", reseller="beta")
        with pytest.raises(PermissionDenied):
            tenants.create_tenant(ctx, "Reseller 2", "reseller")


@pytest.mark.parametrize("role", ["customer_admin", "customer_member"])
def test_customers_cannot_create_tenants(world, ctx_for, role):
    with ctx_for(world[role]) as ctx:
        with pytest.raises(PermissionDenied):
            tenants.create_tenant(ctx, "X GmbH", "reseller")
        with pytest.raises(NotFound):  # their reseller is not in their scope
            tenants.create_tenant(ctx, "X GmbH", "customer", reseller="acme")


@pytest.mark.parametrize(("role", "allowed"), [("operator", True), ("reseller_admin", True),
                                               ("customer_admin", True), ("customer_member", False)])
def test_changing_a_customer(world, ctx_for, role, allowed):
    with ctx_for(world[role]) as ctx:
        if allowed:
            tenants.update_tenant(ctx, "mueller", language="en")
            users.create_user(ctx, "mueller", "Neu", "Person", f"neu.{role}@mueller.example")
            memberships.add_member(ctx, "mia.meier", "mueller", "billing")
        else:
            with pytest.raises(PermissionDenied):
                tenants.update_tenant(ctx, "mueller", language="en")
            with pytest.raises(PermissionDenied):
                users.create_user(ctx, "mueller", "Neu", "Person", "neu@mueller.example")
            with pytest.raises(PermissionDenied):
                memberships.add_member(ctx, "max.mueller", "mueller", "member")


@pytest.mark.parametrize("role", ["reseller_admin", "customer_admin", "customer_member"])
def test_out_of_scope_changes_are_not_found(world, ctx_for, role):
    with ctx_for(world[role]) as ctx:
        with pytest.raises(NotFound):
            tenants.update_tenant(ctx, "other", language="en")
        with pytest.raises(NotFound):
            users.create_user(ctx, "other", "A", "B", "ab@other.example")
        with pytest.raises(NotFound):
            users.update_user(ctx, "otto.other", first_name="Hacked")
        with pytest.raises(NotFound):
            memberships.list_members(ctx, "other")
        with pytest.raises(NotFound):
            audit.list_events(ctx, tenant="other")


def test_customer_admin_cannot_change_a_user_who_also_works_elsewhere(world, ctx_for):
    with ctx_for() as ctx:
        memberships.add_member(ctx, "otto.other", "mueller", "member")
    with ctx_for("max.mueller") as ctx:
        assert users.get_user(ctx, "otto.other").login == "otto.other"  # visible
        with pytest.raises(PermissionDenied, match="may not change user 'otto.other'") as err:
            users.set_enabled(ctx, "otto.other", False)
    assert "outside your scope" in err.value.hint


@pytest.mark.parametrize("role", ROLES)
def test_audit_scope(world, ctx_for, role):
    with ctx_for(world[role]) as ctx:
        tenant_keys = {e["tenant"] for e in audit.list_events(ctx, limit=None).items}
    assert tenant_keys <= SEES[role] | ({None} if role == "operator" else set())
    assert "mueller" in tenant_keys


def test_unknown_and_disabled_actor(world, ctx_for):
    with pytest.raises(PermissionDenied, match="no such user"), ctx_for("nobody") as _:
        pass
    with ctx_for() as ctx:
        users.set_enabled(ctx, "mia.meier", False)
    with pytest.raises(PermissionDenied, match="the user is disabled"), ctx_for("mia.meier") as _:
        pass


def test_reseller_sees_but_cannot_manage_a_customer_awaiting_accreditation(world, ctx_for, store):
    from sqlmodel import select

    from tenantctl.store.models import Connection, Tenant

    with store.transaction() as s:
        mueller = s.exec(select(Tenant).where(Tenant.key == "mueller")).one()
        conn = s.exec(select(Connection).where(Connection.customer_id == mueller.id)).one()
        conn.state = "requested"
        s.add(conn)
    with ctx_for("rita.reseller") as ctx:
        assert tenants.show_tenant(ctx, "mueller")["key"] == "mueller"
        with pytest.raises(PermissionDenied):
            tenants.update_tenant(ctx, "mueller", language="en")
        with pytest.raises(PermissionDenied):
            users.create_user(ctx, "mueller", "Neu", "Person", "neu@mueller.example")
