"""Lists show exactly what the object commands show (store/actor.py: one scope function per kind),
locally and over HTTP: a reseller's member or billing user, for whom a customer is "not found",
finds no customer through the connections or the audit log either; a reseller does not learn
which other reseller's admin created a person they share."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("cli_mode")


@pytest.fixture
def staff(world, ctx_for):
    from tenantctl.store.services import users

    with ctx_for() as ctx:
        users.create_user(ctx, "acme", "Mona", "Member", "mona@acme.example", role="member")
        users.create_user(ctx, "acme", "Bill", "Billing", "bill@acme.example", role="billing")
    return ("mona.member", "bill.billing")


def test_a_resellers_member_sees_no_customer_through_connections_or_audit(staff, cli, ok):
    made = ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Neu GmbH",
              "--email", "chefin@neu.example", as_="rita.reseller")
    [conn] = [c for c in ok("connection", "list", as_="rita.reseller") if c["customer"] == "mueller"]
    for login in staff:
        assert cli("tenant", "show", "mueller", "--json", as_=login).exit_code == 8  # not found: out of scope
        assert ok("connection", "list", as_=login) == []
        assert cli("connection", "show", str(conn["id"]), "--json", as_=login).exit_code == 8
        events = ok("audit", "list", "--limit", "0", as_=login)
        text = json.dumps(events)
        assert "chefin@neu.example" not in text and "Neu GmbH" not in text and "mueller" not in text
        assert cli("invite", "show", str(made["id"]), "--json", as_=login).exit_code == 8
    # the reseller's admin and the customer's own people still see theirs
    assert any(e["object_type"] == "invitation" for e in ok("audit", "list", as_="rita.reseller"))
    assert [c["reseller"] for c in ok("connection", "list", as_="mia.meier")] == ["acme"]
    assert ok("connection", "show", str(conn["id"]), as_="mia.meier")["customer"] == "mueller"


def test_another_resellers_admin_is_not_named_as_creator_of_a_shared_person(world, ctx_for, ok):
    from tenantctl.store.services import memberships, users

    with ctx_for("rita.reseller") as ctx:
        users.create_user(ctx, "mueller", "Sam", "Shared", "sam@shared.example")
    with ctx_for() as ctx:
        memberships.add_member(ctx, "sam.shared", "other", "member")
    assert ok("user", "show", "sam.shared", as_="rita.reseller")["created_by"] == "rita.reseller"
    assert ok("user", "show", "sam.shared", as_="bert.beta")["created_by"] == "(another organisation)"
    [sam] = [u for u in ok("user", "list", "--tenant", "other", as_="bert.beta") if u["login"] == "sam.shared"]
    assert sam["created_by"] == "(another organisation)"
    assert ok("user", "show", "sam.shared")["created_by"] == "rita.reseller"  # the operator sees everything
