"""What bounds one request, in one pure ASGI middleware inside web.security.Guard (so that every
answer made here carries the security headers too):

- at most as many requests at once as the worker has store connections; one that does not get
  its turn within ADMIT_SECONDS answers 503 with Retry-After, before anything is read or written;
- one store connection for everything the request does (store.db.Lease): its transactions and
  the rate limits run one after the other on it, so a full pool can never deadlock; taken on
  first use (a request that does not get one within the pool's bound answers 503 before it has
  read or written anything), given back when the answer is out;
- the body arrives within seconds: BODY_IDLE_SECONDS without a byte, or BODY_SECONDS in all,
  answer 408 (a client that declares more than it sends holds no connection for long);
- an error nobody handled becomes the app's error answer here (the app's handler for Exception
  would otherwise answer outside every middleware, without the security headers);
- a redirect (the router's trailing-slash one) is relative: it never names the Host the client sent;
- the API's answers are never stored by a cache (Cache-Control: no-store)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import anyio

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ADMIT_SECONDS = 3.0
BODY_IDLE_SECONDS = 5.0
BODY_SECONDS = 30.0
# the API's answers are one caller's data, some with a secret (a new token, a printed link): never
# kept by a browser or a proxy (the pages set the same themselves)
API = "/api/"
NO_STORE = (b"cache-control", b"no-store")
IDEMPOTENCY = b"idempotency-key"


class BodyTimeout(Exception):
    pass


class RequestScope:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admission = _admission(scope)
        try:
            with anyio.fail_after(ADMIT_SECONDS):
                await admission.acquire()
        except TimeoutError:
            from tenantctl.web.errors import ServerBusy

            await self._answer(scope, receive, send, ServerBusy())
            return
        try:
            await self._serve(scope, receive, send)
        finally:
            admission.release()

    async def _serve(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        from tenantctl.web.runtime import lease_connection

        lease, forget = lease_connection()
        started = {"done": False}

        api = scope.get("path", "").startswith(API)
        late: list[BodyTimeout] = []
        keyed = api and scope.get("method") == "POST" and any(k == IDEMPOTENCY for k, _ in scope.get("headers", []))
        if keyed:
            receive = _hashed(receive, scope)
        kept: dict[str, Any] = {}

        async def send_relative(message: Message) -> None:
            if late:  # FastAPI answers 400 "error parsing the body" for any error while it reads one
                if message["type"] == "http.response.start" and not started["done"]:
                    await self._answer(scope, receive, send_relative_inner, late[0])
                return
            await send_relative_inner(message)

        async def send_relative_inner(message: Message) -> None:
            pending = keyed and scope.get("state", {}).get("idempotency")
            if pending:  # the change committed with its key: keep the answer before it goes out
                if message["type"] == "http.response.start":
                    kept["status"], kept["start"], kept["body"] = message["status"], message, b""
                    return
                kept["body"] += message.get("body", b"")
                if message.get("more_body", False):
                    return
                scope["state"]["idempotency"] = None
                await _run_short(_keep, pending, kept["status"], kept["body"])
                await send_relative_inner(kept["start"])
                message = {**message, "body": kept["body"]}
            if message["type"] == "http.response.start":
                started["done"] = True
                headers = list(message.get("headers", []))
                if 300 <= message["status"] < 400:
                    headers = [(k, _relative(v) if k.lower() == b"location" else v) for k, v in headers]
                if api and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, _timed(receive, late), send_relative)
        except Exception as exc:
            if started["done"]:
                raise
            await self._answer(scope, receive, send_relative_inner, exc)
        finally:
            forget()
            if lease.conn is not None:
                await _run_short(lease.release)

    @staticmethod
    async def _answer(scope: Any, receive: Receive, send: Send, exc: Exception) -> None:
        from starlette.requests import Request

        from tenantctl.store.errors import TenantctlError
        from tenantctl.store.services.idempotency import Replay

        if isinstance(exc, Replay):  # the same key and request again: the first answer, as it was
            await send({"type": "http.response.start", "status": exc.status,
                        "headers": [(b"content-type", b"application/json"), (b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": exc.answer.encode("utf-8")})
            return
        app = scope["app"]
        request = Request(scope, receive)
        if isinstance(exc, BodyTimeout):
            from tenantctl.web.errors import BodyTooSlow

            exc = BodyTooSlow(f"the request body did not arrive within {BODY_IDLE_SECONDS:g} s of silence "
                              f"or {BODY_SECONDS:g} s in all", hint="send the whole body at once")
        if isinstance(exc, TenantctlError):
            handler = app.exception_handlers.get(TenantctlError)
        else:
            handler = app.exception_handlers.get(Exception)
        if handler is None:  # an app without our handlers (never in tenantctl serve)
            logging.getLogger("tenantctl.web").exception("internal error", exc_info=exc)
            raise exc
        response = await handler(request, exc)
        await response(scope, receive, send)


def _timed(receive: Receive, late: list[BodyTimeout]) -> Receive:
    """`receive`, bounded: each part of the body within BODY_IDLE_SECONDS, all of it within
    BODY_SECONDS of the first wait."""
    deadline: list[float] = []
    complete = {"done": False}

    async def receive_timed() -> Message:
        if complete["done"]:  # after the body: waiting for a disconnect is not bounded here
            return await receive()
        now = anyio.current_time()
        if not deadline:
            deadline.append(now + BODY_SECONDS)
        try:
            with anyio.fail_after(min(BODY_IDLE_SECONDS, max(0.0, deadline[0] - now))):
                message = await receive()
        except TimeoutError:
            late.append(BodyTimeout())
            raise late[-1] from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            complete["done"] = True
        return message

    return receive_timed


_admissions: dict[tuple[int, int], anyio.Semaphore] = {}


def _admission(scope: MutableMapping[str, Any]) -> anyio.Semaphore:
    """At most as many requests at once as the worker has store connections; the others wait up to
    ADMIT_SECONDS for their turn, then answer 503 (so no answer takes long because of a queue)."""
    import asyncio

    app = scope["app"]
    key = (id(app), id(asyncio.get_running_loop()))  # a semaphore belongs to its event loop
    found = _admissions.get(key)
    if found is None:
        from tenantctl.web.runtime import connections_of

        found = _admissions[key] = anyio.Semaphore(connections_of(app.state.runtime))
    return found


_short_work: list[anyio.CapacityLimiter] = []


async def _run_short(func: Callable[..., Any], *args: Any) -> None:
    """Short store work after the answer (giving the connection back, keeping an idempotent answer) in
    threads of its own: queued behind the requests waiting for the app's thread pool, a finished
    request would hold its connection until they all ran, and the pool would run dry."""
    if not _short_work:
        _short_work.append(anyio.CapacityLimiter(16))
    await anyio.to_thread.run_sync(func, *args, limiter=_short_work[0])


def _hashed(receive: Receive, scope: MutableMapping[str, Any]) -> Receive:
    """`receive`, hashing the body as it arrives (the Idempotency-Key's request fingerprint)."""
    import hashlib

    digest = hashlib.sha256()
    scope.setdefault("state", {})["body_sha256"] = digest

    async def receive_hashed() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            digest.update(message.get("body", b""))
        return message

    return receive_hashed


def _keep(pending: tuple[Any, int], status: int, body: bytes) -> None:
    from tenantctl.store.services import idempotency

    store, row_id = pending
    try:
        with store.transaction() as session:
            idempotency.keep_answer(session, row_id, status, body.decode("utf-8", "replace"))
    except Exception:  # the change is stored and the answer goes out; a retry then gets 409, not a duplicate
        logging.getLogger("tenantctl.web").exception("could not keep the answer of idempotency key %s", row_id)


def _relative(location: bytes) -> bytes:
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    return ((parts.path or "/") + (f"?{parts.query}" if parts.query else "")).encode("latin-1")
