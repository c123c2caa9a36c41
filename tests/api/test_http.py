"""The /api/v1 surface itself: authentication (Bearer only; revoked, expired and disabled die at
once), read-only tokens, the envelope and status codes, rate and size limits, OpenAPI, and the
audit attribution of every change made with a token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.models import ApiToken, AuditEvent, ImportRun, Tenant
from tenantctl.store.types import utcnow
from tests.api.conftest import bearer


def test_no_token_wrong_token_or_token_in_the_url_is_401(world, http, token):
    t = token("rita.reseller")
    for headers, params in [({}, {}), (bearer("tctl_1_" + "A" * 43), {}), ({"Authorization": f"Basic {t}"}, {}),
                            ({}, {"token": t}), ({}, {"access_token": t})]:
        r = http.get("/tenants", headers=headers, params=params)
        assert r.status_code == 401, (headers, params)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"]["code"] == "unauthenticated"


def test_the_envelope_is_the_clis(world, http, token, ok):
    r = http.get("/tenants", headers=bearer(token("rita.reseller")), params={"limit": 1})
    assert r.status_code == 200
    doc = r.json()
    assert doc["meta"] == {"total": 2, "limit": 1, "offset": 0}
    assert doc["data"] == ok("tenant", "list", "--limit", "1", as_="rita.reseller")


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/tenants/other", None, 404, "not_found"),                    # out of scope answers not found
    ("GET", "/tenants/nope", None, 404, "not_found"),
    ("POST", "/tenants", {"name": "X", "kind": "reseller"}, 403, "permission_denied"),
    ("POST", "/tenants", {"name": "X", "kind": "customer", "currency": "EURO"}, 422, "invalid_input"),
    ("POST", "/tenants", {"name": "X", "kind": "planet"}, 422, "invalid_input"),
    ("POST", "/users", {"tenant": "mueller", "first_name": "M", "last_name": "M", "email": "max@mueller.example"},
     409, "conflict"),
    ("GET", "/no/such/path", None, 404, "not_found"),
])
def test_error_codes_map_to_statuses(world, http, token, method, path, body, status, code):
    r = http.request(method, path, json=body, headers=bearer(token("rita.reseller")))
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and "hint" in err


def test_revoked_expired_and_disabled_die_on_the_next_request(world, http, token, ok, store):
    t = token("rita.reseller")
    assert http.get("/tenants", headers=bearer(t)).status_code == 200
    tid = int(t.split("_")[1])
    ok("token", "revoke", str(tid), "--yes")
    r = http.get("/tenants", headers=bearer(t))
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]

    t2 = token("rita.reseller")
    with store.transaction() as s:
        row = s.get(ApiToken, int(t2.split("_")[1]))
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    r = http.get("/tenants", headers=bearer(t2))
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]

    t3 = token("mia.meier")
    assert http.get("/users/mia.meier", headers=bearer(t3)).status_code == 200
    ok("user", "disable", "mia.meier", "--yes")
    r = http.get("/users/mia.meier", headers=bearer(t3))
    assert r.status_code == 401 and "disabled" in r.json()["error"]["message"]


def test_rights_are_the_users_current_ones(world, http, token, ok):
    t = token("rita.reseller")
    assert http.patch("/tenants/mueller", json={"external_id": "A-1"}, headers=bearer(t)).status_code == 200
    ok("tenant", "suspend", "acme", "--yes")  # a suspended reseller's admin has no rights over its customers
    r = http.patch("/tenants/mueller", json={"external_id": "A-2"}, headers=bearer(t))
    assert r.status_code == 403 and "no active tenant" in r.json()["error"]["message"], r.text
    ok("tenant", "activate", "acme")
    assert http.get("/tenants/mueller", headers=bearer(t)).status_code == 200
    ok("user", "create", "--tenant", "acme", "--first-name", "Anna", "--last-name", "Admin",
       "--email", "anna@acme.example", "--role", "admin")
    ok("member", "remove", "rita.reseller", "--tenant", "acme", "--yes")  # the membership is gone
    assert http.get("/tenants/mueller", headers=bearer(t)).status_code == 403
    assert http.get("/tenants/acme", headers=bearer(t)).status_code == 403


def test_read_only_tokens_read_but_never_write(world, http, api_server, store):
    from tenantctl.store.actor import resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.services import api_tokens
    from tenantctl.store.settings import load_settings

    with store.transaction() as s:
        t = api_tokens.create(Ctx(s, resolve_actor(s, "rita.reseller"), load_settings()), name="ro",
                              read_only=True)["token"]
    assert http.get("/tenants", headers=bearer(t)).status_code == 200
    r = http.post("/tenants", json={"name": "Neu GmbH", "kind": "customer"}, headers=bearer(t))
    assert r.status_code == 403 and r.json()["error"]["message"] == "this token is read-only"
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Neu GmbH")).first() is None
    # an import's dry-run changes nothing: a read-only token (a CI check of a customer file) may plan
    csv = b"Name;Art;Reseller;Kundennummer\nNeu GmbH;customer;acme;777\n"
    planned = http.post("/imports", params={"filename": "kunden.csv", "dry_run": "true"}, content=csv,
                        headers=bearer(t))
    assert planned.status_code == 200, planned.text
    assert planned.json()["data"]["counts"]["tenants_create"] == 1 and planned.json()["data"]["run"] is None
    written = http.post("/imports", params={"filename": "kunden.csv"}, content=csv, headers=bearer(t))
    assert written.status_code == 403 and written.json()["error"]["message"] == "this token is read-only"
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Neu GmbH")).first() is None
        assert s.exec(select(ImportRun)).first() is None


def test_every_change_is_attributed_to_the_token(world, http, token, store):
    t = token("rita.reseller", "ci")
    r = http.post("/tenants", json={"name": "Neu GmbH", "kind": "customer"}, headers=bearer(t))
    assert r.status_code == 201 and r.json()["data"]["created_by"] == 'rita.reseller via token "ci"'
    with store.transaction(write=False) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "tenant.create",
                                                AuditEvent.object_key == "neu-gmbh")).one()
        used = s.get(ApiToken, int(t.split("_")[1]))
    assert event.actor == 'rita.reseller via token "ci"'
    assert used.last_used_at is not None


def test_rate_limit_per_token(world, http, token, api_server):
    from tenantctl.store.settings import load_settings
    from tenantctl.web.limits import Limits
    from tenantctl.web.security import RateLimiter

    api_server.use(load_settings(), Limits(api_token=RateLimiter(3, 60)))
    t, other = token("rita.reseller"), token("bert.beta")
    codes = [http.get("/apps", headers=bearer(t)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = http.get("/apps", headers=bearer(t))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    assert http.get("/apps", headers=bearer(other)).status_code == 200  # per token


def test_size_limits(world, http, token, api_server, monkeypatch):
    from tenantctl.store.settings import load_settings

    monkeypatch.setenv("TENANTCTL_IMPORT_MAX_MB", "1")
    api_server.use(load_settings())
    t = token("rita.reseller")
    big = b"x" * ((1 << 20) + 10)
    r = http.post("/imports", params={"filename": "kunden.csv"}, content=big, headers=bearer(t))
    assert r.status_code == 413
    assert r.json()["error"]["message"] == "kunden.csv is 1 MB; the import reads at most 1 MB"

    def chunks() -> Any:  # no Content-Length: refused while it streams in
        for _ in range(20):
            yield b"y" * (1 << 17)

    r = http.post("/imports", params={"filename": "kunden.csv"}, content=chunks(), headers=bearer(t))
    assert r.status_code == 413
    r = http.post("/tenants", content=b'{"name": "' + b"n" * 70_000 + b'"}',
                  headers={**bearer(t), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "invalid_input"


def test_openapi_document(world, http):
    r = http.get("/openapi.json")  # /api/v1/openapi.json
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    for path in ["/tenants", "/tenants/{key}", "/users", "/tenants/{key}/members/{ident}", "/invitations",
                 "/invitations/{inv_id}/reissue", "/connections/{conn_id}/request-info", "/password-links",
                 "/imports", "/imports/{run_id}/undo", "/apps", "/audit", "/tokens", "/auth/token", "/auth/login"]:
        assert "/api/v1" + path in paths, path
    assert all(p.startswith("/api/v1/") for p in paths)  # the pages are not part of it
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    body = doc["components"]["schemas"]["TenantCreate"]["properties"]
    assert body["name"]["examples"] == ["Müller & Söhne GmbH"]


def test_login_endpoint_and_logout(world, http):
    _set_password("rita.reseller", "Sehr-geheimes-Passwort-17")
    bad = http.post("/auth/token", json={"login": "rita.reseller", "password": "wrong"})
    unknown = http.post("/auth/token", json={"login": "nobody", "password": "wrong"})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json()["error"]["message"] == unknown.json()["error"]["message"]
    r = http.post("/auth/token", json={"login": "rita@acme.example", "password": "Sehr-geheimes-Passwort-17",
                                       "name": "laptop"})
    assert r.status_code == 201, r.text
    t = r.json()["data"]["token"]
    assert http.get("/tenants", headers=bearer(t)).status_code == 200
    out = http.delete("/tokens/current", headers=bearer(t))
    assert out.status_code == 200 and out.json()["data"]["state"] == "revoked"
    assert http.get("/tenants", headers=bearer(t)).status_code == 401


def _set_password(login: str, password: str) -> None:
    from tenantctl.store.db import Store
    from tenantctl.store.models import User
    from tenantctl.store.passwords import hash_password
    from tenantctl.store.settings import load_settings

    store = Store(load_settings().database_url)
    with store.transaction() as s:
        u = s.exec(select(User).where(User.login == login)).one()
        u.password_hash = hash_password(password)
        u.status = "active"
        s.add(u)
    store.dispose()


def test_every_route_docs_api_names_exists(world, http):
    """docs/api.md's table of CLI commands and HTTP calls names only routes the API has."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    table = [line for line in doc.splitlines() if line.startswith("| `")]
    named = set()
    for line in table:
        http_cell = line.rsplit("|", 2)[1]
        for method, path in re.findall(r"(GET|POST|PUT|PATCH|DELETE) (/[^\s`?(]*)", http_cell):
            named.add((method, re.sub(r"\{[^}]+\}", "{}", path)))
    routes = {(m.upper(), re.sub(r"\{[^}]+\}", "{}", p.removeprefix("/api/v1")))
              for p, ops in http.get("/openapi.json").json()["paths"].items() for m in ops}
    assert len(named) > 20
    assert named <= routes, named - routes


def test_wrong_tokens_are_limited_per_client_not_per_token(world, http, token, api_server):
    from tenantctl.store.settings import load_settings
    from tenantctl.web.limits import Limits
    from tenantctl.web.security import RateLimiter

    api_server.use(load_settings(), Limits(api_token=RateLimiter(1, 60), token_client=RateLimiter(3, 60)))
    t = token("rita.reseller")
    forged = t[: t.rindex("_") + 1] + "A" * 43  # the real token's id, a wrong secret
    codes = [http.get("/apps", headers=bearer(forged)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # the real token's own budget is untouched (the forged calls counted against the client)
    api_server.app.state.limits.token_client.reset()
    assert http.get("/apps", headers=bearer(t)).status_code == 200  # its budget of 1 was still there
    assert http.get("/apps", headers=bearer(t)).status_code == 429  # and now it is used


def test_token_login_is_rate_limited_per_account(world, http, api_server):
    from tenantctl.store.settings import load_settings
    from tenantctl.web.limits import Limits
    from tenantctl.web.security import RateLimiter

    api_server.use(load_settings(), Limits(login_account=RateLimiter(3, 900)))
    codes = [http.post("/auth/token", json={"login": "rita.reseller", "password": f"guess-{i}"}).status_code
             for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert http.post("/auth/token", json={"login": "bert.beta", "password": "x"}).status_code == 401


def test_a_member_ending_in_an_encoded_slash_is_no_member_not_a_redirect(world, http, token):
    """`members/a%2F` reaches the server as `members/a/`: no member has a slash in its login or
    address, so the answer is 404 with the error document, never a 307 to another resource."""
    headers = bearer(token(None))
    for method in ("GET", "DELETE"):
        r = http.request(method, "/tenants/acme/members/max.mueller%2F", headers=headers)
        assert r.status_code == 404, (method, r.status_code, r.headers.get("location"))
        assert r.json()["error"]["code"] == "not_found"
    assert http.get("/tenants/acme/members", headers=headers).status_code == 200
