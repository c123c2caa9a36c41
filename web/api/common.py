"""What every API route shares: the JSON envelope (the one `--json` prints), Bearer
authentication, rate limits per token, pagination, and one transaction per request. (Store errors
become HTTP statuses in web/errors.py, for the pages and the API alike.)"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import Response

from tenantctl.store.errors import InvalidInput, Unauthenticated
from tenantctl.web.runtime import api_transaction as transaction  # noqa: F401  (the routes' one transaction)


class TooLarge(InvalidInput):
    """A request body over the limit (HTTP 413, JSON code invalid_input: exit 4 in the CLI)."""


# the warnings of the request's services (ctx.warnings), for the envelope, as the CLI prints them
# (set by web.runtime.api_transaction)
WARNINGS: ContextVar[tuple[str, ...]] = ContextVar("tenantctl_api_warnings", default=())


class JSONEnvelope(Response):
    """Serialised exactly as the CLI's --json (ensure_ascii off, str() for anything else), so that
    remote mode prints byte for byte what local mode prints."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


def ok(data: Any, status_code: int = 200, meta: dict[str, Any] | None = None) -> JSONEnvelope:
    payload: dict[str, Any] = {"data": data}
    if meta is not None:
        payload["meta"] = meta
    if WARNINGS.get():
        payload["warnings"] = list(WARNINGS.get())
    return JSONEnvelope(payload, status_code=status_code)


def page(p: Any) -> JSONEnvelope:
    """A store Page as the CLI's list envelope."""
    return ok(p.items, meta={"total": p.total, "limit": p.limit, "offset": p.offset})


def limit_of(limit: int) -> int | None:
    """As in the CLI: --limit 0 means all."""
    return None if limit == 0 else limit


# -- authentication and the request's transaction -------------------------------------------------

def bearer(request: Request) -> str:
    """The token from `Authorization: Bearer …`, and only from there (never from a URL)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        from tenantctl.store.services.api_tokens import BAD_TOKEN_HINT

        raise Unauthenticated("this API needs an API token: Authorization: Bearer <token>", hint=BAD_TOKEN_HINT)
    return value.strip()


# Numbers from the caller are bounded by what the store can hold (PostgreSQL's integer): a bigger one
# is a 422 here, never a query that fails with "integer out of range".
MAX_INT = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_INT, description="The object's id.")]

# pagination as in the CLI: --limit (default 100, 0 for all) and --offset
LIMIT = Query(100, ge=0, le=MAX_INT, description="At most this many items (0: all).")
OFFSET = Query(0, ge=0, le=MAX_INT, description="Skip the first N items.")
