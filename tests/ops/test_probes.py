"""/healthz, /readyz, the request id, /metrics (names, and no address or token in any label) and
the JSON log lines of `tenantctl serve`."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text


@pytest.fixture
def client(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app
    from tenantctl.web.limits import Limits

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://testserver")
    with TestClient(create_app(load_settings(), limits=Limits.unlimited()), follow_redirects=False) as c:
        yield c


def test_health_and_readiness(client: Any, store: Any, backend: str) -> None:
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})
    assert (client.get("/readyz").status_code, client.get("/readyz").json()) == (200, {"status": "ready"})
    with store.transaction() as s:  # an older tenantctl's schema (a half-done upgrade)
        s.execute(text("UPDATE alembic_version SET version_num = 'api_0001'"))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"status": "unavailable", "reason": "schema_not_current",
                        "message": "the store's schema is not the one this tenantctl needs (tenantctl db upgrade)"}
    assert client.get("/healthz").status_code == 200  # the process still answers


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_readyz_is_503_while_postgresql_is_unreachable_and_200_after(backend: str, db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy.engine import make_url
    from tcpproxy import TcpProxy

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app
    from tenantctl.web.limits import Limits

    url = make_url(db_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).up()
    monkeypatch.setenv("TENANTCTL_DATABASE_URL",
                       url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        with TestClient(create_app(load_settings(), limits=Limits.unlimited())) as c:
            assert c.get("/readyz").status_code == 200
            proxy.down()
            r = c.get("/readyz")
            assert (r.status_code, r.json().get("reason")) == (503, "store_unreachable"), r.text
            assert str(proxy.port) not in r.text  # the store's address stays in the server's log
            assert c.get("/healthz").status_code == 200
            proxy.up()
            assert c.get("/readyz").json() == {"status": "ready"}
    finally:
        proxy.down()


def test_readiness_is_answered_within_the_connect_timeout_when_postgresql_is_silent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes the connection and never answers (a hung VM, a dropped route): the
    readiness check (what /readyz asks) says unreachable after CONNECT_TIMEOUT_SECONDS, not after
    the operating system's TCP timeout."""
    import socket
    import time

    from tenantctl.store import db
    from tenantctl.web.observe import not_ready

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    monkeypatch.setattr(db, "CONNECT_TIMEOUT_SECONDS", 1)
    store = db.Store(f"postgresql+psycopg://nobody@127.0.0.1:{silent.getsockname()[1]}/tenantctl")
    try:
        started = time.monotonic()
        reason = not_ready(store)[0]
        took = time.monotonic() - started
    finally:
        store.dispose()
        silent.close()
    assert reason == "store_unreachable"
    assert took < 8, took


def test_request_id_is_returned_and_a_sane_incoming_one_kept(client: Any) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["x-request-id"] != made
    assert client.get("/healthz", headers={"X-Request-ID": "nginx-42.a"}).headers["x-request-id"] == "nginx-42.a"
    odd = client.get("/healthz", headers={"X-Request-ID": "a b\"<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", odd)  # not echoed: a fresh one
    assert client.get("/api/v1/nothing").headers["x-request-id"]  # errors carry it too


NAMES = ["tenantctl_http_requests_total", "tenantctl_http_request_duration_seconds", "tenantctl_logins_total",
         "tenantctl_rate_limit_refusals_total", "tenantctl_mail_deliveries_total", "tenantctl_store_up",
         "tenantctl_outbox_mails", "tenantctl_outbox_oldest_unsent_age_seconds"]


def _scrape(store: Any, token: str | None = None, auth: str | None = None) -> tuple[str, str]:
    from tenantctl.web.metrics import wsgi_app

    status: list[str] = []
    body = b"".join(wsgi_app(store, token)({"PATH_INFO": "/metrics", "HTTP_AUTHORIZATION": auth or ""},
                                           lambda s, h: status.append(s)))
    return status[0], body.decode()


def test_metrics_names_and_no_address_or_token_in_labels(world: Any, client: Any, store: Any, ok: Any) -> None:
    from apiserver import token_for

    secret = token_for(store, "rita.reseller")
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    auth = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/users/max@mueller.example", headers=auth)
    client.get("/password/set", params={"token": "tok-SECRET-in-query"})
    client.get("/invite/tok-SECRET-in-path")
    client.post("/api/v1/auth/login", json={"login": "max@mueller.example", "password": "wrong-PASSWORD-1"})
    client.get("/no/such/page/max@mueller.example")
    status, body = _scrape(store)
    assert status == "200 OK"
    for name in NAMES:
        assert f"# TYPE {name} " in body, name
    labels = " ".join(re.findall(r"^\w+\{(.*)\} \S+$", body, re.MULTILINE))
    for leak in ("@", "SECRET", "PASSWORD", secret, "mueller"):
        assert leak not in labels, leak
    assert 'route="/api/v1/users/{ident}"' in labels and 'route="/invite/{token}"' in labels
    assert 'route="unmatched"' in labels
    assert re.search(r'tenantctl_logins_total\{outcome="refused"\} [1-9]', body)
    assert 'tenantctl_outbox_mails{state="queued"} 2.0' in body
    assert re.search(r"tenantctl_outbox_oldest_unsent_age_seconds \d", body)


def test_metrics_with_a_token_need_it(store: Any) -> None:
    assert _scrape(store, "s3cret")[0] == "401 Unauthorized"
    assert _scrape(store, "s3cret", "Bearer wrong")[0] == "401 Unauthorized"
    assert _scrape(store, "s3cret", "Bearer s3cret")[0] == "200 OK"


def test_json_log_lines_carry_the_request_and_never_a_secret(world: Any, client: Any, store: Any) -> None:
    from apiserver import token_for

    from tenantctl.web.logformat import JsonFormatter

    secret = token_for(store, "rita.reseller")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("tenantctl")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        r = client.get("/api/v1/tenants", params={"search": "müller"}, headers={"Authorization": f"Bearer {secret}",
                                                                               "X-Request-ID": "req-1"})
        client.post("/password/set", data={"token": "tok-SECRET", "password": "Pass-WORD-123456"})
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in lines]
    access = [r for r in records if r["logger"] == "tenantctl.access"]
    first = access[0]
    assert {k: first[k] for k in ("request_id", "route", "method", "status", "level")} == {
        "request_id": "req-1", "route": "/api/v1/tenants", "method": "GET", "status": r.status_code, "level": "info"}
    with store.transaction(write=False) as s:
        token_id = s.execute(text("SELECT max(id) FROM api_token")).scalar()
    assert first["actor"] == f"token:{token_id}"
    assert isinstance(first["duration_ms"], float) and first["time"].endswith("+00:00")
    assert access[1]["route"] == "/password/set" and access[1]["actor"] is None
    everything = "\n".join(lines)
    for leak in (secret, "tok-SECRET", "Pass-WORD", "search=", "müller"):
        assert leak not in everything, leak
