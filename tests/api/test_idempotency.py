"""`Idempotency-Key` on the API's creating requests (store/services/idempotency.py): a retry gets the
first answer and no second change; the same key for another request is refused (422); the key is
stored in the change's own transaction; answers holding a secret take no key. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from tenantctl.store.models import IdempotencyKey, Tenant, User
from tenantctl.store.types import utcnow
from tests.api.conftest import bearer

pytestmark = pytest.mark.usefixtures("backend")
CUSTOMER = {"name": "Idem GmbH", "kind": "customer"}


def _tenants(store, name="Idem GmbH"):
    with store.transaction(write=False) as s:
        return s.exec(select(Tenant).where(Tenant.name == name)).all()


def test_a_retry_gets_the_first_answer_and_makes_no_second_change(world, http, token, store):
    h = {**bearer(token("rita.reseller")), "Idempotency-Key": "5f0c7d1e-1"}
    first = http.post("/tenants", json=CUSTOMER, headers=h)
    again = http.post("/tenants", json=CUSTOMER, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-content-type-options"] == "nosniff"
    assert len(_tenants(store)) == 1
    from tenantctl.store.services import idempotency

    with store.transaction(write=False) as s:  # the stored change is found by its key, with its answer
        rita = s.exec(select(User).where(User.login == "rita.reseller")).one()
        kept = idempotency.find(s, rita.id, "5f0c7d1e-1")
    assert kept is not None and kept.status == 201 and json.loads(kept.answer) == first.json()
    assert kept.request == "POST /api/v1/tenants" and "5f0c7d1e-1" not in kept.key  # only its hash


def test_the_same_key_for_another_request_is_422_and_changes_nothing(world, http, token, store):
    h = {**bearer(token("rita.reseller")), "Idempotency-Key": "k-2"}
    assert http.post("/tenants", json=CUSTOMER, headers=h).status_code == 201
    other = http.post("/tenants", json={**CUSTOMER, "name": "Andere GmbH"}, headers=h)
    assert other.status_code == 422
    assert other.json()["error"]["message"].startswith("this Idempotency-Key was used for another request")
    assert _tenants(store, "Andere GmbH") == []
    elsewhere = http.post("/users", json={"tenant": "idem-gmbh", "first_name": "A", "last_name": "B",
                                          "email": "a@b.example"}, headers=h)
    assert elsewhere.status_code == 422


def test_keys_are_per_user_and_live_24_hours(world, http, token, store):
    key = {"Idempotency-Key": "shared-key"}
    assert http.post("/tenants", json=CUSTOMER, headers={**bearer(token("rita.reseller")), **key}).status_code == 201
    theirs = http.post("/tenants", json={"name": "Beta Kunde", "kind": "customer"},
                       headers={**bearer(token("bert.beta")), **key})
    assert theirs.status_code == 201  # another user's key of the same spelling is theirs alone
    with store.transaction() as s:  # a day later the key is forgotten: the request runs again
        s.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
    again = http.post("/tenants", json=CUSTOMER, headers={**bearer(token("rita.reseller")), **key})
    assert again.status_code == 409 and "idempotent-replayed" not in again.headers  # the tenant exists now
    assert len(_tenants(store)) == 1


def test_a_refused_request_keeps_no_key(world, http, token, store):
    h = {**bearer(token("mia.meier")), "Idempotency-Key": "k-3"}  # a member changes nothing
    refused = http.post("/users", json={"tenant": "mueller", "first_name": "A", "last_name": "B",
                                         "email": "a@b.example"}, headers=h)
    assert refused.status_code == 403, refused.text
    with store.transaction(write=False) as s:
        assert s.exec(select(IdempotencyKey)).all() == []


def test_answers_with_a_secret_take_no_key(world, http, token, store):
    h = {**bearer(token("rita.reseller")), "Idempotency-Key": "k-4"}
    r = http.post("/tokens", json={"name": "ci"}, headers=h)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == ("POST /api/v1/tokens takes no Idempotency-Key: its answer holds a secret "
                                            "that is shown once and never stored")
    r = http.post("/invitations", json={"kind": "member", "tenant": "acme", "email": "neu@acme.example"}, headers=h)
    assert r.status_code == 400
    with store.transaction(write=False) as s:
        assert s.exec(select(IdempotencyKey)).all() == []


def test_a_malformed_key_is_422(world, http, token):
    r = http.post("/tenants", json=CUSTOMER, headers={**bearer(token("rita.reseller")), "Idempotency-Key": "x" * 256})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["error"]["message"]
