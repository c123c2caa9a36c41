"""What an operator watches a server by: a request id for every request (taken from a sane
incoming X-Request-ID, e.g. nginx's $request_id, else made here; returned as X-Request-ID and in
every log line of the request), the request metrics by route template, and the probes
`GET /healthz` (the process answers) and `GET /readyz` (the store answers and its schema is the
one this tenantctl needs; 503 with the reason otherwise). A pure ASGI middleware, outermost."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tenantctl.web.logformat import CURRENT, RequestInfo

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("tenantctl.web")


def request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id(scope), str(scope.get("method")), scope, time.perf_counter())
        scope.setdefault("state", {})["request_id"] = info.id
        header = (b"x-request-id", info.id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                info.status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        reset = CURRENT.set(info)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            from tenantctl.web import metrics

            metrics.observe_request(info.route, info.method, info.status or 500, info.duration)
            CURRENT.reset(reset)


def install(app: FastAPI) -> None:
    """The probes and the middleware (added last: outermost, so it sees every answer)."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        reason, message = not_ready(request.app.state.runtime.store)
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": reason, "message": message}, status_code=503,
                            headers={"Retry-After": "5", "Cache-Control": "no-store"})

    app.add_middleware(Observe)


def not_ready(store: Any) -> tuple[str | None, str]:
    """(None, "") when the store answers with the current schema; else a reason code and a short
    message without the store's address (the probe is public; the log gets the details)."""
    from tenantctl.store.errors import SchemaError, Unreachable

    try:
        store.require_current_schema()
    except Unreachable as exc:
        log.warning("not ready: %s", exc.message)
        return "store_unreachable", "the store does not answer"
    except SchemaError as exc:
        log.warning("not ready: %s", exc.message)
        return "schema_not_current", "the store's schema is not the one this tenantctl needs (tenantctl db upgrade)"
    return None, ""
