"""The one place where the store's error hierarchy becomes an HTTP status (docs/architecture.md,
"The life of a request"): JSON for the API, a page for the pages. Messages are the services' own one-line texts."""

from __future__ import annotations

from typing import Any

from tenantctl.store.errors import (
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

# most specific class first (subclasses of these map like their parent)
STATUS: tuple[tuple[type[TenantctlError], int], ...] = (
    (Unauthenticated, 401),  # before PermissionDenied, its parent
    (UsageError, 400),
    (ConfirmationNeeded, 400),
    (InvalidInput, 422),
    (Conflict, 409),
    (PartialSuccess, 207),
    (NotFound, 404),
    (PermissionDenied, 403),
    (Unreachable, 503),
    (SchemaError, 503),
)


class TooManyRequests(TenantctlError):
    """A client or address went over a rate limit (429); `retry_after` in seconds."""

    code = "rate_limited"
    exit_code = 1

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests; try again later", hint=f"wait {retry_after} seconds")
        self.retry_after = retry_after


class ServerBusy(Unreachable):
    """Every store connection of this worker is in use longer than a request may wait (503)."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__("the server is busy: no store connection became free in time; nothing was done",
                         hint="try again in 1 s")


class BodyTooSlow(InvalidInput):
    """The request body did not arrive in time (408; web.request_scope)."""


def status_of(err: TenantctlError) -> int:
    from tenantctl.store.services.passwords import LoginFailed
    from tenantctl.web.api.common import TooLarge

    if isinstance(err, TooManyRequests):
        return 429
    if isinstance(err, TooLarge):
        return 413
    if isinstance(err, BodyTooSlow):
        return 408
    if isinstance(err, LoginFailed):
        return 401
    for cls, status in STATUS:
        if isinstance(err, cls):
            return status
    return 500


def error_body(err: TenantctlError) -> dict[str, Any]:
    """The JSON envelope, the same shape as the CLI's --json errors."""
    error: dict[str, Any] = {"code": err.code, "message": err.message, "hint": err.hint}
    if err.details:
        error["details"] = err.details
    return {"error": error}


def headers_of(err: TenantctlError) -> dict[str, str]:
    """Retry-After on every 429 and 503 (a busy pool, a locked or unreachable store)."""
    if isinstance(err, TooManyRequests):
        return {"Retry-After": str(err.retry_after)}
    if isinstance(err, BodyTooSlow):  # the rest of the body may still come: this connection is done
        return {"Connection": "close"}
    if status_of(err) == 503:  # a busy pool says how long (store.db.Busy); a store being down: soon
        return {"Retry-After": str(getattr(err, "retry_after", 1))}
    if isinstance(err, Unauthenticated):
        return {"WWW-Authenticate": 'Bearer realm="tenantctl"'}
    return {}
