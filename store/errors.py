"""The one error hierarchy. Each class carries a stable JSON code and a documented exit code;
the CLI maps them to output in one place (cli/output.py). Messages are one line and say what to do."""

from __future__ import annotations

from typing import Any


class TenantctlError(Exception):
    code = "error"
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # machine-readable specifics for --json (e.g. every problem of a refused import)
        self.details = details


class UsageError(TenantctlError):
    code = "usage"
    exit_code = 2


class ConfirmationNeeded(TenantctlError):
    code = "confirmation_needed"
    exit_code = 3


class InvalidInput(TenantctlError):
    code = "invalid_input"
    exit_code = 4


class Conflict(TenantctlError):
    code = "conflict"
    exit_code = 5


class PartialSuccess(TenantctlError):
    code = "partial_success"
    exit_code = 6


class DeliveryPending(TenantctlError):
    """Said after the commit, never instead of it: the change is saved and reported as what it is;
    its mail stays queued and the next delivery retries it. A warning next to the result (exit 6;
    HTTP 200/201 with "warnings"), never an error document and never 503: a client that retries
    on an error would make the change twice."""

    code = "delivery_pending"
    exit_code = 6


# how a pending delivery's warning begins: remote mode knows it by this (and exits 6 as locally)
PENDING = "the change is saved; its mail is queued and will be retried"


class Unreachable(TenantctlError):
    code = "unreachable"
    exit_code = 7


class NotFound(TenantctlError):
    code = "not_found"
    exit_code = 8


class PermissionDenied(TenantctlError):
    code = "permission_denied"
    exit_code = 9


class Unauthenticated(PermissionDenied):
    """No valid credential (API token missing, unknown, expired or revoked; its user disabled).
    Same exit code as permission denied; its own JSON code and HTTP status (401)."""

    code = "unauthenticated"


class SchemaError(TenantctlError):
    code = "schema"
    exit_code = 10


def from_store_exception(exc: Exception) -> TenantctlError | None:
    """Database errors that reach a face are the store's state, not bugs, and so is a number too
    large for Python's dates or the store's integers: both faces map them here, alike (exit 4 /
    HTTP 422 for the number). The drivers are only looked at when the error came from them."""
    if isinstance(exc, OverflowError):  # a number beyond 64 bits (or a date) that no check caught
        return InvalidInput("a number given is too large", hint=f"numbers go up to {2**63 - 1}")
    module = type(exc).__module__
    if module.startswith("psycopg"):  # raised on the driver connection directly (COPY)
        import psycopg

        name = next((n for n in ("IntegrityError", "DataError", "OperationalError")
                     if isinstance(exc, getattr(psycopg, n))), "")
    elif module.startswith("sqlalchemy"):
        name = type(exc).__name__
    else:
        return None
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if name == "DataError":  # e.g. PostgreSQL: a number out of range for its column
        return InvalidInput(f"the store refused a value: {detail}", hint="check the numbers and texts given")
    if name == "IntegrityError":
        return Conflict(f"the store refused the change: {detail}",
                        hint="another command changed the same data; run the command again")
    from tenantctl.store.db import busy_error, is_busy

    if is_busy(exc):
        return busy_error()
    if name in {"OperationalError", "InterfaceError"}:
        return Unreachable(f"the store failed: {detail}", hint="check that it is reachable and not locked; run again")
    return None


# Which JSON document each exit code comes with (docs/json.md; a test runs a command for each).
# Whatever the code, stdout holds exactly one document, and a non-zero exit also says why in one
# line on stderr.
JSON_DOCUMENT: dict[int, str] = {
    0: '`{"data"}`, with `"warnings"` when there are any',
    1: '`{"error"}` (code `error`)',
    2: '`{"error"}` (code `usage`)',
    3: '`{"error"}` (code `confirmation_needed`)',
    4: '`{"error"}` (code `invalid_input`); a refused import or apply, its dry run too, lists every problem in '
       '`details.problems` (an import also its plan in `details.rows`; `details.run` is null for a dry run)',
    5: '`{"error"}` (code `conflict`)',
    6: '`{"data"}`: what was done (an import with --skip-invalid: the rows written and the problems of those '
       'skipped), with `"warnings"` when a committed change\'s mail stays queued',
    7: '`{"error"}` (code `unreachable`)',
    8: '`{"error"}` (code `not_found`)',
    9: '`{"error"}` (code `permission_denied` or `unauthenticated`)',
    10: '`{"error"}` (code `schema`)',
    130: '`{"error"}` (code `error`): interrupted (Ctrl-C); after the commit it names what was written '
         '(an import\'s or apply\'s run and how to undo it)',
}

# The table the README documents; a test keeps the two in step.
EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "error (unexpected; details with TENANTCTL_DEBUG=1)",
    UsageError.exit_code: "usage: unknown command or option, missing argument",
    ConfirmationNeeded.exit_code: "confirmation needed: destructive command without a terminal and without --yes",
    InvalidInput.exit_code: "invalid input, nothing written",
    Conflict.exit_code: "conflict with the store's state (duplicate, illegal transition, fixed value)",
    PartialSuccess.exit_code: "partial success (some items done, others not; see the output), or the change is "
                              "saved and its mail stays queued for the next delivery (a warning says so)",
    Unreachable.exit_code: "a service is unreachable (store, SMTP server)",
    NotFound.exit_code: "not found (or outside the acting user's scope)",
    PermissionDenied.exit_code: "permission denied (role too weak, unknown or disabled --as login, no valid API token)",
    SchemaError.exit_code: "store schema missing or outdated (run tenantctl init / tenantctl db upgrade)",
    130: "interrupted (Ctrl-C); after the commit the message names what was written (a run and its undo)",
}
