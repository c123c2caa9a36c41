"""What every response gets, in one pure ASGI middleware (cheap on the hot path): a bounded
request body, the security headers, an access log line that never holds a token, and the
after-commit hooks (mail delivery) run once the response is sent. Plus the per-client rate limits."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tenantctl.web.errors import TooManyRequests

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 64 * 1024  # forms and JSON of this app are a few hundred bytes
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

access_log = logging.getLogger("tenantctl.access")

# Tokens in paths (/invite/<token>) and in query strings (?token=…) are cut out before logging.
_PATH_TOKEN = re.compile(r"^(/invite/)[^/?]+")


def loggable_path(path: str, query: bytes | str) -> str:
    """The request target as the access log may show it: no query string (it can hold a token,
    an address for forgot-password, …) and no invitation token in the path."""
    safe = _PATH_TOKEN.sub(r"\1…", path)
    return safe + ("?…" if query else "")


class Guard:
    def __init__(self, app: ASGIApp, *, behind_proxy: bool = False, max_body: int = MAX_BODY,
                 own_limits: str | None = None) -> None:
        self.app = app
        self.behind_proxy = behind_proxy
        self.max_body = max_body
        # paths under this prefix bound their bodies themselves (the API: uploads, JSON errors)
        self.own_limits = own_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 0}
        length = content_length(scope)
        max_body = 1 << 62 if self.own_limits and scope.get("path", "").startswith(self.own_limits) else self.max_body
        if length is not None and length > max_body:
            await _plain(send, 413, b"request body too large")
            self._log(scope, 413, started)
            return
        bounded_receive = bounded(receive, max_body, BodyTooLarge)
        hsts = self.behind_proxy and scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                if hsts:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        scope.setdefault("state", {})
        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except BodyTooLarge:
            if not status["code"]:
                await _plain(send, 413, b"request body too large")
                status["code"] = 413
        finally:
            self._log(scope, status["code"], started)
        hooks = scope["state"].get("after_commit") or []
        if hooks:
            from anyio import to_thread

            await to_thread.run_sync(_run_hooks, hooks)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        access_log.info('%s "%s %s" %s %.1fms', client[0] if client else "-", scope.get("method"),
                        loggable_path(scope.get("path", ""), scope.get("query_string", b"")), status,
                        (time.perf_counter() - started) * 1000)


class BodyTooLarge(Exception):
    pass


def bounded(receive: Receive, limit: int, too_large: Callable[[], Exception]) -> Receive:
    """`receive`, counting the body as it streams in: raises too_large() once more than `limit`
    bytes arrived (a body without a Content-Length, or with a false one)."""
    seen = 0

    async def receive_bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large()
        return message

    return receive_bounded


def content_length(scope: Scope) -> int | None:
    """The declared Content-Length, None when absent or not a number."""
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


def _run_hooks(hooks: list[Callable[[], object]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # delivery failures stay in the outbox for `mail send`; the response is out
            logging.getLogger("tenantctl.web").exception("after-commit hook failed")


# -- rate limits ----------------------------------------------------------------------------------

class RateLimiter:
    """At most `limit` hits per key within `window` seconds (sliding window), in this process's
    memory: a brute force of tokens or passwords is stopped long before it matters. For the one
    process SQLite allows; PostgreSQL with several workers counts in the store (SharedRateLimiter)."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one attempt; TooManyRequests once the key is over its limit."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise TooManyRequests(max(1, int(hits[0] + self.window - now) + 1))
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys instead of growing without bound
                self._prune(now)

    def count(self, key: str) -> tuple[int, float, float]:
        """(hits within the window, seconds until the oldest leaves it, seconds since the newest);
        counts nothing (web.login_throttle counts failures only, with add())."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if not hits:
                return 0, 0.0, float("inf")
            return len(hits), hits[0] + self.window - now, now - hits[-1]

    def add(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            self._hits.setdefault(key, deque()).append(now)
            if len(self._hits) > 100_000:
                self._prune(now)

    def forget(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class SharedRateLimiter:
    """The same sliding window counted in the store (store.services.ratelimits), so that all
    worker processes of `tenantctl serve` share one count: used with PostgreSQL."""

    def __init__(self, store: Any, bucket: str, limit: int, window: float, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.bucket = bucket
        self.limit = limit
        self.window = window
        self.clock = clock

    def hit(self, key: str) -> None:
        """Count one attempt; TooManyRequests once the key is over its limit (in any worker)."""
        from tenantctl.store.services import ratelimits

        with self.store.transaction() as session:
            wait = ratelimits.hit(session, self.bucket, key, self.limit, self.window, self.clock())
        if wait is not None:
            raise TooManyRequests(wait)

    def count(self, key: str) -> tuple[int, float, float]:
        """As RateLimiter.count, from the store (a read)."""
        from tenantctl.store.services import ratelimits

        now = self.clock()
        with self.store.transaction(write=False) as session:
            n, oldest, newest = ratelimits.count(session, self.bucket, key, self.window, now)
        if not n:
            return 0, 0.0, float("inf")
        return n, oldest + self.window - now, now - newest

    def add(self, key: str) -> None:
        from tenantctl.store.services import ratelimits

        with self.store.transaction() as session:
            ratelimits.add(session, self.bucket, key, self.clock())

    def forget(self, key: str) -> None:
        from tenantctl.store.services import ratelimits

        with self.store.transaction() as session:
            ratelimits.forget(session, self.bucket, key)

    def reset(self) -> None:
        from tenantctl.store.services import ratelimits

        with self.store.transaction() as session:
            ratelimits.reset(session, self.bucket)


def client_of(request: Any) -> str:
    """The client's address: the socket's peer, or with --behind-proxy the one the trusted proxy
    names in X-Forwarded-For (uvicorn's proxy_headers rewrites scope["client"])."""
    client = request.client
    return client.host if client else "unknown"
