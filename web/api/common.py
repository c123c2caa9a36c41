"""What every API route shares: the JSON envelope (the one `--json` prints), Bearer
authentication, rate limits per token, pagination, and one transaction per request. (Store errors
become HTTP statuses in web/errors.py, for the pages and the API alike.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response

from store.errors import InvalidInput, PermissionDenied, Unauthenticated


class TooLarge(InvalidInput):
    """A request body over the limit (HTTP 413, JSON code invalid_input: exit 4 in the CLI)."""


# the warnings of the request's services (ctx.warnings), for the envelope, as the CLI prints them
_WARNINGS: ContextVar[tuple[str, ...]] = ContextVar("tenantctl_api_warnings", default=())


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
    if _WARNINGS.get():
        payload["warnings"] = list(_WARNINGS.get())
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
        from store.services.api_tokens import BAD_TOKEN_HINT

        raise Unauthenticated("this API needs an API token: Authorization: Bearer <token>", hint=BAD_TOKEN_HINT)
    return value.strip()


@contextmanager
def transaction(request: Request, *, write: bool, anonymous: bool = False) -> Iterator[Any]:
    """One transaction for the request, acting as the token's user (with the user's current
    rights, read now). Commits before the response is built; after-commit hooks (mail delivery)
    run once it committed. Read-only tokens are refused on every write. Rate-limited per token."""
    from store.actor import Actor
    from store.context import Ctx
    from store.services import api_tokens
    from web.runtime import ANONYMOUS, runtime_of
    from web.security import client_of

    runtime = runtime_of(request)
    limits = request.app.state.limits
    try:
        raw = None if anonymous else bearer(request)
    except Unauthenticated:
        limits.token_client.hit(client_of(request))
        raise
    touch: int | None = None
    with runtime.store.transaction(write=write) as session:
        if anonymous:
            actor = Actor(label=ANONYMOUS)
        else:
            try:
                actor, token = api_tokens.authenticate(session, raw)
            except Unauthenticated:
                # a guesser is stopped per client; a wrong token never uses up the real one's budget
                limits.token_client.hit(client_of(request))
                raise
            limits.api_token.hit(f"token:{token.id}")
            if token.read_only and write:
                raise PermissionDenied("this token is read-only", hint="use a token created without --read-only")
            if api_tokens.needs_touch(token):
                if write:
                    api_tokens.touch(session, token.id or 0)
                else:
                    touch = token.id
        ctx = Ctx(session, actor, runtime.settings)
        yield ctx
    _WARNINGS.set(tuple(ctx.warnings))
    if touch is not None:
        try:  # the last-use stamp is for the token list; a busy store must not fail a finished read
            with runtime.store.transaction(write=True) as session:
                api_tokens.touch(session, touch)
        except Exception:
            import logging

            logging.getLogger("tenantctl.web").warning("could not record the use of API token %s", touch)
    # before the answer, unlike the pages: the caller learns what the delivery did, as in the CLI
    for hook in ctx.after_commit:
        hook()


# pagination as in the CLI: --limit (default 100, 0 for all) and --offset
LIMIT = Query(100, ge=0, description="At most this many items (0: all).")
OFFSET = Query(0, ge=0, description="Skip the first N items.")
