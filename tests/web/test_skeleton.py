"""The server's frame: the login check API, errors mapped to HTTP in one place, headers, body bound,
`tenantctl serve` refusing several workers on SQLite."""

from __future__ import annotations

from typing import Any

import pytest

from tenantctl.store.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SchemaError,
    Unreachable,
    UsageError,
)
from tenantctl.web.errors import TooManyRequests, error_body, status_of


def set_password(ctx_for: Any, login: str, password: str) -> None:
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    with ctx_for() as ctx:
        user = get_user(ctx, login)
        link = passwords.issue_links(ctx, [user], mail=False)[0]
        token = passwords.mint_now(ctx, [link])[link.id]
    with ctx_for() as ctx:
        passwords.redeem(ctx, token, password)


@pytest.mark.parametrize(("err", "status"), [
    (UsageError("x"), 400), (InvalidInput("x"), 422), (Conflict("x"), 409), (NotFound("x"), 404),
    (PermissionDenied("x"), 403), (Unreachable("x"), 503), (SchemaError("x"), 503), (TooManyRequests(3), 429),
])
def test_each_error_class_has_one_status(err: Any, status: int) -> None:
    assert status_of(err) == status
    assert error_body(err)["error"]["code"] == err.code


def test_login_check_ok_wrong_and_unknown(backend: str, world: dict[str, str], ctx_for: Any, client: Any) -> None:
    set_password(ctx_for, "max.mueller", "Korrekt-Pferd-Batterie-42")
    r = client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "Korrekt-Pferd-Batterie-42"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["login"] == "max.mueller"
    assert [m["tenant"] for m in data["memberships"]] == ["mueller"]
    wrong = client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"login": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": {
        "code": "permission_denied", "message": "login failed: unknown login or wrong password",
        "hint": "check the login and the password"}}


def test_login_check_refuses_bad_json(client: Any) -> None:
    r = client.post("/api/v1/auth/login", json={"login": "x"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    assert "password: Field required" in r.json()["error"]["message"]


def test_security_headers_on_pages_and_api(client: Any) -> None:
    for r in (client.get("/"), client.post("/api/v1/auth/login", json={})):
        assert r.headers["referrer-policy"] == "no-referrer"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp
        assert csp.startswith("default-src 'none'")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in r.headers  # only with --behind-proxy on https


def test_hsts_only_behind_a_proxy_on_https(make_client: Any) -> None:
    assert "strict-transport-security" in make_client(behind_proxy=True, base_url="https://testserver").get("/").headers
    assert "strict-transport-security" not in make_client(behind_proxy=True).get("/").headers
    assert "strict-transport-security" not in make_client(base_url="https://testserver").get("/").headers


def test_request_body_is_bounded(client: Any) -> None:
    r = client.post("/api/v1/auth/login", content=b"{" + b" " * 70_000 + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_page_is_a_page_in_the_visitors_language_and_unknown_api_is_json(client: Any) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Seite nicht gefunden</h1>" in r.text and '<html lang="de">' in r.text
    assert '<link rel="stylesheet" href="/static/style.css">' in r.text  # the site's layout
    r = client.get("/nowhere", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert r.status_code == 404 and "<h1>Page not found</h1>" in r.text
    assert "<h1>Page not found</h1>" in client.get("/password/nowhere?lang=en").text
    r = client.get("/api/v1/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_wrong_method_on_a_page_is_a_page_and_on_the_api_json(client: Any) -> None:
    """A DELETE (or PUT) where a page only shows and takes its form: the site's page with the Allow
    header, in the visitor's language; the API keeps answering with its error document."""
    r = client.delete("/password/set")
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    assert "GET" in r.headers["allow"]
    assert "Diese Seite lässt sich so nicht aufrufen." in r.text and '<html lang="de">' in r.text
    r = client.put("/invite", headers={"Accept-Language": "en"})
    assert r.status_code == 405 and "This page cannot be opened this way." in r.text
    r = client.put("/api/v1/auth/login", json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == "usage"


def test_serve_refuses_workers_on_sqlite(cli: Any, db_url: str) -> None:
    r = cli("serve", "--workers", "2")
    assert r.exit_code == 2
    assert "--workers 2 needs PostgreSQL: SQLite lets one process write at a time" in r.stderr


def test_serve_refuses_a_store_without_schema(cli: Any, tmp_path: Any) -> None:
    r = cli("--db", f"sqlite:///{tmp_path}/none/x.db", "serve")
    assert r.exit_code == 10
    assert "no store at" in r.stderr


def test_doctor_warns_while_base_url_is_the_example(cli: Any, db_url: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("TENANTCTL_BASE_URL", raising=False)
    r = cli("doctor", "--json")
    check = next(c for c in r.json()["data"]["checks"] if c["check"] == "base_url")
    assert check["ok"] is True and check["warning"] is True
    assert "https://platform.example is the example default: links in mails lead nowhere" in check["detail"]
    assert "warn base_url" in cli("doctor").stdout
    monkeypatch.setenv("TENANTCTL_BASE_URL", "https://portal.acme.example")
    check = next(c for c in cli("doctor", "--json").json()["data"]["checks"] if c["check"] == "base_url")
    assert check == {"check": "base_url", "ok": True, "detail": "https://portal.acme.example"}


def test_login_check_is_limited_per_account_and_per_client(world: dict[str, str], client: Any) -> None:
    for ident in ("max.mueller", "max@mueller.example", "Max.Mueller", "MAX@MUELLER.EXAMPLE", "max.mueller"):
        assert client.post("/api/v1/auth/login", json={"login": ident, "password": "x" * 12}).status_code == 401
    # five failures for one person from one client, whatever the spelling (web.login_throttle)
    r = client.post("/api/v1/auth/login", json={"login": "MAX.MUELLER", "password": "x" * 12})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["error"]["code"] == "rate_limited"
    client.app.state.limits.reset()
    client.app.state.limits.login_client.limit = 3
    codes = [client.post("/api/v1/auth/login", json={"login": f"user{i}", "password": "x"}).status_code
             for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_login_check_refuses_suspended_tenants_and_users_without_membership(
        backend: str, world: dict[str, str], ctx_for: Any, client: Any) -> None:
    from tenantctl.store.services import memberships, tenants

    set_password(ctx_for, "max.mueller", "Korrekt-Pferd-Batterie-42")
    set_password(ctx_for, "otto.other", "Korrekt-Pferd-Batterie-42")
    with ctx_for() as ctx:
        tenants.set_status(ctx, "mueller", "suspended")
    with ctx_for() as ctx:
        memberships.add_member(ctx, "bert.beta", "other", "admin")
        memberships.remove_member(ctx, "otto.other", "other")
    failed = {"error": {"code": "permission_denied", "message": "login failed: unknown login or wrong password",
                        "hint": "check the login and the password"}}
    for login in ("max.mueller", "otto.other"):
        r = client.post("/api/v1/auth/login", json={"login": login, "password": "Korrekt-Pferd-Batterie-42"})
        assert (r.status_code, r.json()) == (401, failed), login
    with ctx_for() as ctx:
        tenants.set_status(ctx, "mueller", "active")
    r = client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "Korrekt-Pferd-Batterie-42"})
    assert r.status_code == 200
