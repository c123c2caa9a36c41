"""Personal API tokens: created for the acting user and shown once, only a hash stored, listed
without secrets, revoked by their owner or the operator, and authenticating with the user's
current rights."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.actor import person_of
from tenantctl.store.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from tenantctl.store.models import ApiToken, AuditEvent
from tenantctl.store.services import api_tokens
from tenantctl.store.types import utcnow


def _create(ok: Any, as_: str, *args: str) -> dict[str, Any]:
    return ok("token", "create", *args, as_=as_)


def test_create_prints_the_token_once_and_stores_only_its_hash(world, ok, store):
    data = _create(ok, "rita.reseller", "--name", "ci", "--expires-in", "30d", "--read-only")
    token = data["token"]
    assert token.startswith(f"tctl_{data['id']}_") and len(token) > 40
    assert data["user"] == "rita.reseller" and data["name"] == "ci" and data["read_only"] is True
    assert data["state"] == "active" and data["created_by"] == "rita.reseller"
    with store.transaction(write=False) as s:
        row = s.get(ApiToken, data["id"])
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(row.model_dump())
        assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).one()
        assert event.object_key == "rita.reseller/ci" and token not in str(event.details)
    listed = ok("token", "list", as_="rita.reseller")
    assert [t["name"] for t in listed] == ["ci"]
    assert all("token" not in t and "token_hash" not in t for t in listed)


def test_human_output_warns_that_the_token_is_shown_once(world, cli):
    r = cli("token", "create", "--name", "laptop", as_="rita.reseller")
    assert r.exit_code == 0
    assert "token: tctl_" in r.stdout and "shown only this once" in r.stderr


def test_the_operator_without_as_owns_no_token(world, cli):
    r = cli("token", "create", "--json")
    assert r.exit_code == 4 and "tenantctl --as LOGIN token create" in r.json()["error"]["hint"]


@pytest.mark.parametrize("value", ["0d", "400d", "soon", "-1d"])
def test_bad_lifetimes_are_refused(world, cli, value):
    r = cli("token", "create", "--expires-in", value, "--json", as_="rita.reseller")
    assert r.exit_code == 4, r.stdout


def test_owner_and_operator_revoke_others_do_not_see(world, ok, cli):
    mine = _create(ok, "rita.reseller", "--name", "ci")
    other = cli("token", "revoke", str(mine["id"]), "--yes", "--json", as_="bert.beta")
    assert other.exit_code == 8  # another user's token does not exist for them
    assert cli("token", "list", "--all", "--json", as_="bert.beta").exit_code == 9
    everyone = ok("token", "list", "--all")
    assert [(t["user"], t["name"]) for t in everyone] == [("rita.reseller", "ci")]
    assert [t["id"] for t in ok("token", "list", "--user", "rita@acme.example")] == [mine["id"]]
    revoked = ok("token", "revoke", str(mine["id"]), "--yes")
    assert revoked["state"] == "revoked" and revoked["changed"] is True
    assert revoked["revoked_by"].startswith("operator:")
    assert ok("token", "list", as_="rita.reseller") == []
    assert [t["state"] for t in ok("token", "list", "--inactive", as_="rita.reseller")] == ["revoked"]
    again = ok("token", "revoke", str(mine["id"]), "--yes", as_="rita.reseller")
    assert again["changed"] is False


def test_authenticate_uses_current_rights(world, ok, ctx_for, store):
    token = _create(ok, "rita.reseller", "--name", "ci")["token"]
    with store.transaction() as s:
        actor, _ = api_tokens.authenticate(s, token)
    assert actor.label == 'rita.reseller via token "ci"' and actor.reseller_ids and not actor.is_operator
    # the reseller tenant suspended: its admin (in no other active tenant) is refused on the next request
    ok("tenant", "suspend", "acme", "--yes")
    with store.transaction() as s, pytest.raises(PermissionDenied, match="no active tenant"):
        api_tokens.authenticate(s, token)
    ok("tenant", "activate", "acme")
    ok("user", "create", "--tenant", "acme", "--first-name", "Anna", "--last-name", "Admin",
       "--email", "anna@acme.example", "--role", "admin")  # rita is no longer the last admin
    ok("user", "disable", "rita.reseller", "--yes")
    with store.transaction() as s, pytest.raises(Unauthenticated):
        api_tokens.authenticate(s, token)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),   # wrong secret
    lambda t: t.replace("tctl_", "tctl_9"),              # unknown id
    lambda t: t[5:],                                     # no prefix
    lambda t: "",
])
def test_wrong_tokens_are_unauthenticated(world, ok, store, mangle):
    token = _create(ok, "rita.reseller")["token"]
    with store.transaction() as s, pytest.raises(Unauthenticated) as exc:
        api_tokens.authenticate(s, mangle(token))
    assert exc.value.message == api_tokens.BAD_TOKEN


def test_expired_and_revoked_tokens_are_dead(world, ok, store):
    token = _create(ok, "rita.reseller", "--expires-in", "1h")["token"]
    with store.transaction() as s:
        api_tokens.authenticate(s, token)
        with pytest.raises(Unauthenticated):
            api_tokens.authenticate(s, token, now=utcnow() + timedelta(hours=1, seconds=1))
    tid = int(token.split("_")[1])
    ok("token", "revoke", str(tid), "--yes", as_="rita.reseller")
    with store.transaction() as s, pytest.raises(Unauthenticated):
        api_tokens.authenticate(s, token)


def test_name_rules(world, ctx_for):
    with ctx_for("rita.reseller") as ctx:
        assert api_tokens.create(ctx)["name"] == "default"
        with pytest.raises(InvalidInput):
            api_tokens.create(ctx, name="x" * 41)
        with pytest.raises(PermissionDenied):
            api_tokens.list_tokens(ctx, user="bert.beta")
    with ctx_for() as ctx, pytest.raises(NotFound):
        api_tokens.list_tokens(ctx, user="nobody")


def test_audit_filter_by_login_finds_changes_made_with_a_token(world, ok, store):
    token = _create(ok, "rita.reseller", "--name", "ci")["token"]
    from tenantctl.store.context import Ctx
    from tenantctl.store.services import tenants

    with store.transaction() as s:
        actor, _ = api_tokens.authenticate(s, token)
        tenants.create_tenant(Ctx(s, actor, _settings()), "Neu GmbH", "customer")
    events = ok("audit", "list", "--actor", "rita.reseller", "--action", "tenant.create")
    assert [e["actor"] for e in events] == ['rita.reseller via token "ci"']


def _settings() -> Any:
    from tenantctl.store.settings import load_settings

    return load_settings()


def test_import_runs_belong_to_the_person_not_the_token(world, ok, store, tmp_path):
    from tenantctl.store.actor import resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.imports import runs as imports
    from tenantctl.store.models import ImportRun

    with store.transaction() as s:
        s.add(ImportRun(file_name="k.csv", file_hash="0" * 64, actor='rita.reseller via token "ci"', mode="upsert",
                        state="done"))
        s.add(ImportRun(file_name="b.csv", file_hash="1" * 64, actor='bert.beta via token "ci"', mode="upsert",
                        state="done"))
    with store.transaction() as s:
        ctx = Ctx(s, resolve_actor(s, "rita.reseller"), _settings())
        items, total = imports.list_runs(ctx)
        assert [i["file"] for i in items] == ["k.csv"] and total == 1
        assert imports.show_run(ctx, items[0]["id"])["file"] == "k.csv"
    assert person_of('rita.reseller via token "x"') == "rita.reseller"
    assert person_of("operator:root") == "operator:root"


@pytest.mark.usefixtures("cli_mode")
@pytest.mark.parametrize("name", ["current", "Current", "2026", "007"])
def test_a_name_that_revoke_would_read_otherwise_is_refused(world, cli, store, name):
    """`token revoke NAME` must reach the token named so: digits are read as an id, and over HTTP
    DELETE /tokens/current revokes the request's own token."""
    r = cli("token", "create", "--name", name, "--json", as_="rita.reseller")
    assert r.exit_code == 4, r.stderr
    error = r.json()["error"]
    assert error["message"].startswith(f"token name {name!r} is ") and "--name" in error["hint"]
    with store.transaction(write=False) as s:  # (remote mode: the session's own token is there)
        assert [row.name for row in s.exec(select(ApiToken)).all() if row.name.casefold() == name.casefold()] == []


@pytest.mark.usefixtures("cli_mode")
def test_revoke_by_name_asks_first_and_refuses_an_ambiguous_name(world, ok, cli, store):
    mine = _create(ok, "rita.reseller", "--name", "ci")
    bert = _create(ok, "bert.beta", "--name", "ci")
    # destructive: without a terminal and without --yes nothing is revoked (exit 3)
    asked = cli("token", "revoke", "ci", "--json", as_="rita.reseller")
    assert asked.exit_code == 3 and asked.json()["error"]["hint"] == "add --yes"
    # a name means the caller's own token; bert's "ci" is untouched
    revoked = ok("token", "revoke", "ci", "--yes", as_="rita.reseller")
    assert (revoked["id"], revoked["state"]) == (mine["id"], "revoked")
    with store.transaction(write=False) as s:
        assert s.get(ApiToken, bert["id"]).revoked_at is None
    # a name no live token of the caller has
    gone = cli("token", "revoke", "ci", "--yes", "--json", as_="rita.reseller")
    assert gone.exit_code == 8 and gone.json()["error"]["message"] == "no active token named 'ci'"


def test_the_operator_revokes_by_name_and_user(world, ok, cli, store):
    rita = _create(ok, "rita.reseller", "--name", "ci")
    bert = _create(ok, "bert.beta", "--name", "ci")
    two = cli("token", "revoke", "ci", "--yes", "--json")
    assert two.exit_code == 5
    assert two.json()["error"]["message"] == (f"2 active tokens are named 'ci': {rita['id']} (rita.reseller), "
                                              f"{bert['id']} (bert.beta)")
    assert ok("token", "revoke", "ci", "--user", "bert.beta", "--yes")["id"] == bert["id"]
    refused = cli("token", "revoke", "ci", "--user", "bert.beta", "--yes", "--json", as_="rita.reseller")
    assert refused.exit_code == 9
    with store.transaction(write=False) as s:
        assert s.get(ApiToken, rita["id"]).revoked_at is None
