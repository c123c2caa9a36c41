"""Prometheus metrics (prometheus-client), served on their own listener (`--metrics-port`, bound to
127.0.0.1 unless a bearer token is set), never on the public port. Labels hold route templates,
methods, status codes, states and outcomes only: no address, login, token or path parameter.

With several server processes (`serve --workers N`) the counters are kept in files under
PROMETHEUS_MULTIPROC_DIR (set by `tenantctl serve` before any process imports this module) and
summed at each scrape; the outbox figures are read from the store at each scrape."""

from __future__ import annotations

import hmac
import logging
import os
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("tenantctl_http_requests_total", "HTTP requests by route template, method and status",
                   ["route", "method", "status"])
DURATION = Histogram("tenantctl_http_request_duration_seconds", "HTTP request duration by route template",
                     ["route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
LOGINS = Counter("tenantctl_logins_total", "Password logins through the API (login check, token login) by outcome",
                 ["outcome"])
RATE_LIMITED = Counter("tenantctl_rate_limit_refusals_total", "Requests refused by a rate limit (429) by route",
                       ["route"])
DELIVERIES = Counter("tenantctl_mail_deliveries_total",
                     "Mail delivery outcomes: sent, retrying (temporary failure), failed, obsolete", ["outcome"])

# the routes whose answer is a password check
LOGIN_ROUTES = frozenset({"/api/v1/auth/login", "/api/v1/auth/token"})
log = logging.getLogger("tenantctl.metrics")


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    DURATION.labels(route).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(route).inc()
    if route in LOGIN_ROUTES and method == "POST":
        LOGINS.labels("ok" if status < 400 else "rate_limited" if status == 429 else "refused").inc()


def observe_tick(tick: Any) -> None:
    """Count the outcomes of a worker round's delivery (store.worker.Tick)."""
    summary = tick.delivery
    if summary is None:
        return
    for outcome in ("sent", "retrying", "failed", "obsolete"):
        if getattr(summary, outcome):
            DELIVERIES.labels(outcome).inc(getattr(summary, outcome))


class OutboxCollector(Collector):
    """Outbox depth by state and the age of the oldest unsent mail, read from the store per scrape,
    and whether the store answered at all."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from tenantctl.store.services.outbox import depth

        up = GaugeMetricFamily("tenantctl_store_up", "1 if the store answered the last scrape")
        try:
            with self.store.transaction(write=False) as session:
                counts, oldest = depth(session)
        except Exception as exc:
            log.warning("metrics: the store did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        mails = GaugeMetricFamily("tenantctl_outbox_mails", "Mails in the outbox by state", labels=["state"])
        for state, n in sorted(counts.items()):
            mails.add_metric([state], n)
        yield mails
        yield GaugeMetricFamily("tenantctl_outbox_oldest_unsent_age_seconds",
                                "Age of the oldest mail not yet sent (queued or sending); 0 when none",
                                value=oldest)


def exposition(store: Any) -> bytes:
    """The whole text exposition: this process's (or all processes') counters, then the outbox."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(store))
    return generate_latest(counters) + generate_latest(outbox)


def wsgi_app(store: Any, token: str | None) -> Callable[..., Iterable[bytes]]:
    """GET /metrics; with a token, only with `Authorization: Bearer <token>` (compared in constant time)."""
    expected = f"Bearer {token}".encode() if token else None

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found; the metrics are at /metrics\n"]
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        if expected is not None and not hmac.compare_digest(given, expected):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"a bearer token is needed (setting metrics_token)\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [exposition(store)]

    return app


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not worth a log line each
        pass


def start_server(host: str, port: int, store: Any, token: str | None) -> WSGIServer:
    """The metrics listener in a daemon thread; `.shutdown()` stops it."""
    server = make_server(host, port, wsgi_app(store, token), server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="tenantctl-metrics", daemon=True).start()
    return server
