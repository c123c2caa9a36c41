"""Authorization over HTTP, with a token per actor kind: a reseller's token never sees or changes
another reseller's data; customers' tokens stay in their tenant; members only read. Every refused
request answers 404 (outside the scope) or 403 (inside it, but too weak) and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.conftest import bearer

OUTSIDERS = ["bert.beta", "otto.other"]  # another reseller's admin, another reseller's customer's admin

# Requests on ACME's world (reseller acme, its customer mueller with max and mia).
ACME_READS = [
    ("GET", "/tenants/mueller"), ("GET", "/tenants/acme"), ("GET", "/users/max.mueller"),
    ("GET", "/users/rita@acme.example"), ("GET", "/tenants/mueller/members"), ("GET", "/connections/{conn}"),
    ("GET", "/invitations/{inv}"), ("GET", "/imports/{run}"), ("GET", "/audit?tenant=mueller"),
    ("GET", "/tenants?reseller=acme"),
]
ACME_WRITES = [
    ("PATCH", "/tenants/mueller", {"name": "Gekapert GmbH"}),
    ("POST", "/tenants/mueller/suspend", None),
    ("POST", "/tenants", {"name": "Unter ACME", "kind": "customer", "reseller": "acme"}),
    ("POST", "/users", {"tenant": "mueller", "first_name": "Eve", "last_name": "Evil", "email": "eve@evil.example"}),
    ("PATCH", "/users/max.mueller", {"email": "max@evil.example"}),
    ("POST", "/users/max.mueller/disable", None),
    ("PUT", "/tenants/mueller/members/bert.beta", {"role": "admin"}),
    ("DELETE", "/tenants/mueller/members/mia.meier", None),
    ("POST", "/invitations", {"kind": "partner", "origin": "acme", "customer_name": "X GmbH"}),
    ("POST", "/invitations", {"kind": "member", "origin": "mueller", "email": "eve@evil.example", "role": "admin"}),
    ("POST", "/invitations/{inv}/revoke", None),
    ("POST", "/invitations/{inv}/reissue", None),
    ("POST", "/connections/{conn}/reject", {"reason": "weg"}),
    ("DELETE", "/connections/{conn}", None),
    ("POST", "/password-links", {"users": ["max.mueller"], "print_link": True}),
    ("POST", "/password-links", {"tenant": "mueller", "print_link": True}),
    ("POST", "/imports/{run}/undo", None),
    ("DELETE", "/tokens/{tok}", None),
]


@pytest.fixture
def acme(world: dict[str, str], http: Any, token: Any, ok: Any, store: Any, tmp_path: Any) -> dict[str, Any]:
    """ACME's objects: a connection, an invitation, an import run and a token, all made by rita."""
    rita = token("rita.reseller")
    inv = http.post("/invitations", json={"kind": "partner", "origin": "acme", "customer_name": "Neu GmbH"},
                    headers=bearer(rita)).json()["data"]["id"]
    csv = "Schlüssel;Name;Art;Reseller\nimportiert;Importiert GmbH;customer;acme\n".encode()
    run = http.post("/imports", params={"filename": "t.csv", "sheet": "tenants"}, content=csv,
                    headers=bearer(rita)).json()
    assert "data" in run, run
    with store.engine.connect() as conn:
        connection = conn.execute(text("SELECT c.id FROM connection c JOIN tenant t ON t.id = c.customer_id "
                                       "WHERE t.key = 'mueller'")).scalar()
    tok = int(rita.split("_")[1])
    return {"rita": rita, "inv": inv, "run": run["data"]["run"], "conn": connection, "tok": tok}


def _snapshot(store: Any) -> str:
    tables = ["tenant", "user_account", "membership", "connection", "invitation", "password_link", "import_run",
              "api_token", "outbox_mail"]
    with store.engine.connect() as conn:
        return json.dumps({t: [list(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                           for t in tables})


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_see_nothing_of_acme(acme, http, token, outsider):
    t = token(outsider)
    for method, path in ACME_READS:
        r = http.request(method, path.format(**acme), headers=bearer(t))
        if path.startswith("/audit"):
            assert r.status_code == 404, (path, r.text)  # the tenant filter names a tenant out of scope
        elif "?" in path:
            assert r.status_code == 404, (path, r.text)
        else:
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "not_found"
    listed = json.dumps([http.get(p, headers=bearer(t)).json()["data"]
                         for p in ("/tenants", "/users", "/connections", "/invitations", "/imports", "/audit",
                                   "/tokens")])
    for secret in ("mueller", "acme", "rita.reseller", "max.mueller", "Neu GmbH", "importiert"):
        assert secret not in listed, secret


@pytest.mark.parametrize("actor", [*OUTSIDERS, "mia.meier"])
def test_nobody_outside_or_below_changes_acme(acme, http, token, store, actor):
    t = token(actor)
    before = _snapshot(store)
    for method, path, body in ACME_WRITES:
        r = http.request(method, path.format(**acme), json=body, headers=bearer(t))
        assert r.status_code in {403, 404}, (actor, method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] in {"not_found", "permission_denied"}
    after = _snapshot(store)
    # only the tokens' last-use stamps may differ
    assert _without_token_use(before) == _without_token_use(after)


def _without_token_use(snapshot: str) -> dict[str, Any]:
    doc = json.loads(snapshot)
    doc["api_token"] = [row[:7] + row[8:] for row in doc["api_token"]]
    return doc


def test_the_owner_and_the_operator_may(acme, http, token):
    for t in (acme["rita"], token(None)):
        for method, path in ACME_READS:
            r = http.request(method, path.format(**acme), headers=bearer(t))
            assert r.status_code == 200, (method, path, r.text)
    r = http.patch("/tenants/mueller", json={"external_id": "K-1"}, headers=bearer(acme["rita"]))
    assert r.status_code == 200 and r.json()["data"]["changed"] == {"external_id": [None, "K-1"]}


def test_a_customer_admin_stays_in_its_tenant(acme, http, token):
    t = token("max.mueller")
    assert http.get("/tenants/mueller", headers=bearer(t)).status_code == 200
    assert [x["key"] for x in http.get("/tenants", headers=bearer(t)).json()["data"]] == ["mueller"]
    assert http.get("/tenants/other", headers=bearer(t)).status_code == 404
    assert http.get("/users/otto.other", headers=bearer(t)).status_code == 404
    r = http.post("/tenants", json={"name": "Eigene GmbH", "kind": "customer", "reseller": "acme"},
                  headers=bearer(t))
    assert r.status_code == 404  # its reseller is not in its scope
    r = http.post("/tenants", json={"name": "Eigene GmbH", "kind": "reseller"}, headers=bearer(t))
    assert r.status_code == 403
