"""What the server does with abusive or unlucky requests, none of which needs a credential: huge
numbers, bodies over the limit or slower than their Content-Length, a full connection pool, a
foreign Host; and what every answer carries (security headers, Retry-After, Cache-Control)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import bearer

HUGE = "9" * 30


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("path", [f"/connections/{HUGE}", f"/invitations/{HUGE}", f"/imports/{HUGE}",
                                  f"/tenants?limit={HUGE}", f"/users?offset={HUGE}", "/audit?limit=2147483648",
                                  f"/connections/{2**31}", "/connections/0"])
def test_huge_numbers_are_422(world, http, token, path):
    r = http.get(path, headers=bearer(token("rita.reseller")))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"


@pytest.mark.usefixtures("backend")
def test_a_huge_token_id_is_401_and_a_huge_id_to_revoke_is_422(world, http, token):
    for raw in (f"tctl_{HUGE}_" + "x" * 43, f"tctl_{2**31}_" + "x" * 43):
        r = http.get("/tenants", headers=bearer(raw))
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == 'Bearer realm="tenantctl"'
    assert http.delete(f"/tokens/{HUGE}", headers=bearer(token("rita.reseller"))).status_code == 422


def test_a_chunked_body_over_the_limit_is_413(world, http, token):
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'", "kind": "customer"}'

    r = http.post("/tenants", content=chunks(), headers={**bearer(token("rita.reseller")),
                                                         "Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["message"] == "the request body is larger than 64 KB"
    assert r.headers["x-content-type-options"] == "nosniff"


def _raw(url: str, request: bytes, wait: float = 10.0) -> tuple[bytes, float]:
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer, time.monotonic() - started


def test_a_body_shorter_than_its_length_times_out_in_seconds(world, api_server, token, monkeypatch):
    monkeypatch.setattr("tenantctl.web.request_scope.BODY_IDLE_SECONDS", 0.5)
    t = token("rita.reseller")
    request = (b"POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Authorization: Bearer " + t.encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"name\": \"Sl")
    answer, took = _raw(api_server.url, request)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"x-frame-options: DENY" in answer
    assert took < 3


def test_a_slow_body_times_out_in_all(world, api_server, monkeypatch):
    monkeypatch.setattr("tenantctl.web.request_scope.BODY_SECONDS", 0.6)
    host, port = api_server.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /password/forgot HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        answer = b""
        for _ in range(40):  # a byte every 0.1 s: never idle, never done
            try:
                sock.sendall(b"a")
            except OSError:
                break
            time.sleep(0.1)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            sock.setblocking(True)
            if answer:
                break
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < 3


def test_a_full_pool_answers_503_with_retry_after_before_anything_is_done(world, web_client_on_pool):
    client, store = web_client_on_pool
    held = store.engine.connect()  # the pool's only connection
    try:
        started = time.monotonic()
        r = client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "x" * 12})
        took = time.monotonic() - started
        page = client.get("/password/forgot")
    finally:
        held.close()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["error"] == {"code": "unreachable", "message": "the server is busy: no store connection became "
                                 "free in time; nothing was done", "hint": "try again in 1 s"}
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert 0.2 <= took < 2
    assert page.status_code == 200  # a page that needs no store is not held up
    assert client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "x" * 12}).status_code == 401


@pytest.fixture
def web_client_on_pool(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    from fastapi.testclient import TestClient

    from tenantctl.store.db import PoolBounds, Store
    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://testserver")
    app = create_app(load_settings())
    app.state.runtime.store.dispose()
    store = Store(db_url, pool=PoolBounds(size=1, overflow=0, wait=0.2))
    app.state.runtime.store = store
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client, store
    store.dispose()


def test_pool_bounds_follow_the_workers():
    from tenantctl.store.db import SERVER_CONNECTIONS, PoolBounds

    for workers in (1, 2, 4, 8, 64):
        bounds = PoolBounds.for_workers(workers)
        assert (bounds.size + bounds.overflow) * workers <= max(SERVER_CONNECTIONS, 2 * workers)
        assert bounds.size >= 1 and bounds.wait == 3.0
    assert PoolBounds.for_workers(2) == PoolBounds(size=10, overflow=10)


def test_redirects_never_name_a_foreign_host(world, api_server):
    r = httpx.get(api_server.url + "/password/set/?token=abc", headers={"Host": "evil.example"},
                  follow_redirects=False)
    assert r.status_code in (307, 308)
    assert r.headers["location"] == "/password/set?token=abc"


def test_api_answers_are_never_cached(world, http, token):
    t = token("rita.reseller")
    made = http.post("/tokens", json={"name": "ci2"}, headers=bearer(t))
    assert made.status_code == 201 and made.json()["data"]["token"].startswith("tctl_")
    assert made.headers["cache-control"] == "no-store"
    assert http.get("/tenants", headers=bearer(t)).headers["cache-control"] == "no-store"
    assert http.get("/tenants").headers["cache-control"] == "no-store"  # the 401 too


@pytest.mark.usefixtures("backend")
def test_a_read_only_token_may_revoke_itself_but_nothing_else(world, http, token):
    t = token("rita.reseller")
    ro = http.post("/tokens", json={"name": "ro", "read_only": True}, headers=bearer(t)).json()["data"]
    other = http.post("/tokens", json={"name": "other"}, headers=bearer(t)).json()["data"]
    assert http.delete(f"/tokens/{other['id']}", headers=bearer(ro["token"])).status_code == 403
    r = http.delete(f"/tokens/{ro['id']}", headers=bearer(ro["token"]))
    assert r.status_code == 200 and r.json()["data"]["changed"] is True
    assert http.get("/tenants", headers=bearer(ro["token"])).status_code == 401
    ro2 = http.post("/tokens", json={"name": "ro2", "read_only": True}, headers=bearer(t)).json()["data"]
    assert http.delete("/tokens/current", headers=bearer(ro2["token"])).status_code == 200
    assert http.get("/tenants", headers=bearer(ro2["token"])).status_code == 401
    assert http.get("/tenants", headers=bearer(other["token"])).status_code == 200
