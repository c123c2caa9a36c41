"""What every API route shares: the JSON envelope (the one `--json` prints), error codes mapped to
HTTP statuses, Bearer authentication, rate limits per token, and one transaction per request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response

from store.errors import (
    ConfirmationNeeded,
    Conflict,
    InvalidInput,
    NotFound,
    PartialSuccess,
    PermissionDenied,
    SchemaError,
    TenantctlError,
    Unauthenticated,
    Unreachable,
    UsageError,
)

# error class → HTTP status; the first match in the class's MRO wins (Unauthenticated before PermissionDenied)
STATUS: dict[type[TenantctlError], int] = {
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    UsageError: 422,
    ConfirmationNeeded: 422,
    PartialSuccess: 207,
    Unreachable: 503,
    SchemaError: 503,
}


def status_of(err: TenantctlError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


class TooLarge(InvalidInput):
    """A request body over the limit (HTTP 413, JSON code invalid_input: exit 4 in the CLI)."""


class RateLimited(Unreachable):
    """Too many requests for one token (HTTP 429 with Retry-After; exit 7 in the CLI)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"too many requests with this token; retry in {self.retry_after} s",
                         hint="slow the script down or spread the work over time")


STATUS[TooLarge] = 413
STATUS[RateLimited] = 429


class JSONEnvelope(Response):
    """Serialised exactly as the CLI's --json (ensure_ascii off, str() for anything else), so that
    remote mode prints byte for byte what local mode prints."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


def ok(data: Any, status_code: int = 200) -> JSONEnvelope:
    return JSONEnvelope({"data": data}, status_code=status_code)


def page(p: Any) -> JSONEnvelope:
    """A store Page as the CLI's list envelope."""
    return JSONEnvelope({"data": p.items, "meta": {"total": p.total, "limit": p.limit, "offset": p.offset}})


def error_response(err: TenantctlError) -> JSONEnvelope:
    error: dict[str, Any] = {"code": err.code, "message": err.message, "hint": err.hint}
    if err.details:
        error["details"] = err.details
    headers = {}
    status = status_of(err)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tenantctl"'
    if isinstance(err, RateLimited):
        headers["Retry-After"] = str(err.retry_after)
    return JSONEnvelope({"error": error}, status_code=status, headers=headers)


def limit_of(limit: int) -> int | None:
    """As in the CLI: --limit 0 means all."""
    return None if limit == 0 else limit


# -- rate limits ----------------------------------------------------------------------------------

@dataclass
class RateLimiter:
    """A token bucket per key (token id, or the client address for anonymous calls)."""

    rate: float  # requests per second, sustained
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                raise RateLimited((1 - tokens) / self.rate)
            self._buckets[key] = (tokens - 1, now)


# -- authentication and the request's transaction -------------------------------------------------

def bearer(request: Request) -> str:
    """The token from `Authorization: Bearer …`, and only from there (never from a URL)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        from store.services.api_tokens import BAD_TOKEN_HINT

        raise Unauthenticated("this API needs an API token: Authorization: Bearer <token>", hint=BAD_TOKEN_HINT)
    return value.strip()


def rate_key(request: Request, raw: str | None) -> str:
    from store.services.api_tokens import parse

    parsed = parse(raw) if raw else None
    if parsed is not None:
        return f"token:{parsed[0]}"
    return f"addr:{request.client.host if request.client else '-'}"


@contextmanager
def transaction(request: Request, *, write: bool, anonymous: bool = False) -> Iterator[Any]:
    """One transaction for the request, acting as the token's user (with the user's current
    rights, read now). Commits before the response is built; after-commit hooks (mail delivery)
    run once it committed. Read-only tokens are refused on every write."""
    from store.actor import Actor
    from store.context import Ctx
    from store.services import api_tokens

    api = request.app.state.api
    raw = None if anonymous else bearer(request)
    api.limiter.take(rate_key(request, raw))
    touch: int | None = None
    with api.store.transaction(write=write) as session:
        if anonymous:
            actor = Actor(label=f"api:{request.client.host if request.client else '-'}")
        else:
            actor, token = api_tokens.authenticate(session, raw)
            if token.read_only and write:
                raise PermissionDenied("this token is read-only", hint="use a token created without --read-only")
            if api_tokens.needs_touch(token):
                if write:
                    api_tokens.touch(session, token.id or 0)
                else:
                    touch = token.id
        ctx = Ctx(session, actor, api.settings)
        yield ctx
    if touch is not None:
        with api.store.transaction(write=True) as session:
            api_tokens.touch(session, touch)
    for hook in ctx.after_commit:
        hook()


# pagination as in the CLI: --limit (default 100, 0 for all) and --offset
LIMIT = Query(100, ge=0, description="At most this many items (0: all).")
OFFSET = Query(0, ge=0, description="Skip the first N items.")
