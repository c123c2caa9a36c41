"""Opening the store for a request: one transaction per request, opened by the face (as
cli/runtime.py does for a command). Mail delivery and other after-commit hooks run once the
response is on its way (web.security.AfterCommit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantctl.store.actor import Actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.db import Store
    from tenantctl.store.settings import Settings

# What the audit log records for a request nobody has logged in to (a link's holder, a login check).
ANONYMOUS = "web"


@dataclass
class Runtime:
    settings: Settings
    store: Store
    behind_proxy: bool = False
    # No queue of writers in Python: the login check verifies argon2 outside its write
    # transaction (passwords.verify_login / record_login), so SQLite's write lock is held for
    # milliseconds and its busy_timeout (10 s) covers the waits; measured in docs/web.md.

    @classmethod
    def open(cls, settings: Settings, *, behind_proxy: bool = False, workers: int = 1) -> Runtime:
        from tenantctl.store.db import PoolBounds, Store

        store = Store(settings.database_url, pool=PoolBounds.for_workers(workers))
        store.require_current_schema()  # once at start: a server on an outdated schema refuses to start
        return cls(settings, store, behind_proxy)

    @contextmanager
    def transaction(self, request: Any, *, write: bool = True, login: str | None = None) -> Iterator[Ctx]:
        """One transaction for the request, committed when the block ends, rolled back on any
        error. `login`: act as that user (after a password check on a page); else anonymous."""
        from tenantctl.store.context import Ctx

        with self.store.transaction(write=write) as session:
            ctx = Ctx(session, self._actor(session, login), self.settings)
            if login:
                request.state.actor = ctx.actor.label  # for the log line (web.observe)
            yield ctx
        hooks = getattr(request.state, "after_commit", None)
        if hooks is None:
            hooks = request.state.after_commit = []
        hooks.extend(ctx.after_commit)

    @staticmethod
    def _actor(session: Any, login: str | None) -> Actor:
        from tenantctl.store.actor import Actor, resolve_actor

        if login:
            return resolve_actor(session, login)
        return Actor(label=ANONYMOUS)

    def close(self) -> None:
        self.store.dispose()


def runtime_of(request: Any) -> Runtime:
    return request.app.state.runtime


@contextmanager
def api_transaction(request: Any, *, write: bool, anonymous: bool = False, changes: bool | None = None,
                    idempotent: bool = True) -> Iterator[Any]:
    """The API's transaction for a request, acting as the Bearer token's user (with the user's current
    rights, read now). Commits before the response is built; after-commit hooks (mail delivery)
    run once it committed. Read-only tokens are refused on every request that changes something
    (`changes`, by default `write`: an import's dry-run writes in a savepoint it rolls back, so it
    needs a write transaction and changes nothing). Rate-limited per token.

    Everything runs one after the other on the request's one connection (web.request_scope): the
    token's rate limit before the transaction, a failed token's count after its rollback.

    A POST with an `Idempotency-Key` claims the key in this transaction (store.services.idempotency),
    so a stored change always has its key; web.request_scope keeps the answer once it is sent.
    `idempotent=False`: a route whose answer holds a secret (never stored) refuses the header."""
    from tenantctl.store.context import Ctx
    from tenantctl.store.errors import Unauthenticated
    from tenantctl.web.api.common import WARNINGS
    from tenantctl.web.security import client_of

    runtime = runtime_of(request)
    limits = request.app.state.limits
    raw = None if anonymous else _bearer(request)
    counted = not anonymous and _in_store(limits.api_token)
    if counted:  # counted in the store: before the request's transaction, in a short one of its own
        _count_in_store(request, raw)
    grant = _Grant()
    try:
        with runtime.store.transaction(write=write) as session:
            actor = _actor_of(request, session, raw, grant, counted=counted, write=write,
                              changes=write if changes is None else changes, idempotent=idempotent)
            ctx = Ctx(session, actor, runtime.settings)
            yield ctx
    except Unauthenticated:
        if grant.bad_token:  # a guesser is stopped per client (counted after the rollback, on the same connection)
            limits.token_client.hit(client_of(request))
        raise
    WARNINGS.set(tuple(ctx.warnings))
    if grant.claimed is not None:  # committed: the answer, whatever it is, is kept with the key
        request.state.idempotency = (runtime.store, grant.claimed)
    if grant.touch is not None:
        _touch_later(runtime, grant.touch)
    _deliver(ctx)


@dataclass
class _Grant:
    """What the token's check leaves for after the transaction."""

    touch: int | None = None      # the token's last-use stamp, written after a read
    claimed: int | None = None    # the Idempotency-Key claimed in the transaction
    bad_token: bool = False       # the token failed: counted per client after the rollback


def _bearer(request: Any) -> str:
    """The request's token; a missing or malformed one is counted per client."""
    from tenantctl.store.errors import Unauthenticated
    from tenantctl.web.api.common import bearer
    from tenantctl.web.security import client_of

    try:
        return bearer(request)
    except Unauthenticated:
        request.app.state.limits.token_client.hit(client_of(request))
        raise


def _count_in_store(request: Any, raw: Any) -> None:
    """The token's rate limit kept in the store, counted in a short transaction of its own."""
    from tenantctl.store.errors import Unauthenticated
    from tenantctl.store.services import api_tokens
    from tenantctl.web.security import client_of

    limits = request.app.state.limits
    try:
        with runtime_of(request).store.transaction(write=False) as session:
            _, token = api_tokens.authenticate(session, raw)
    except Unauthenticated:
        limits.token_client.hit(client_of(request))
        raise
    limits.api_token.hit(f"token:{token.id}")  # a wrong token never uses up the real one's budget


def _actor_of(request: Any, session: Any, raw: Any, grant: _Grant, *, counted: bool, write: bool, changes: bool,
              idempotent: bool) -> Actor:
    """The token's user (anonymous without a token), in the request's transaction: its rate limit
    (in memory), read-only refused for a change, its last use stamped, the Idempotency-Key claimed."""
    from tenantctl.store.actor import Actor
    from tenantctl.store.errors import PermissionDenied, Unauthenticated
    from tenantctl.store.services import api_tokens

    if raw is None:
        return Actor(label=ANONYMOUS)
    try:
        actor, token = api_tokens.authenticate(session, raw)
    except Unauthenticated:
        grant.bad_token = True
        raise
    request.state.actor = f"token:{token.id}"  # for the log line (web.observe): never the secret
    if not counted:  # in this process's memory: no connection needed
        request.app.state.limits.api_token.hit(f"token:{token.id}")
    if token.read_only and changes:
        raise PermissionDenied("this token is read-only", hint="use a token created without --read-only")
    if api_tokens.needs_touch(token):
        if write:
            api_tokens.touch(session, token.id or 0)
        else:
            grant.touch = token.id
    if write:  # a read changes nothing: a retry is safe without a key
        grant.claimed = _claim_key(request, session, token.user_id, idempotent)
    return actor


def _touch_later(runtime: Runtime, token_id: int) -> None:
    """The last-use stamp of a token used for a read, in a write transaction of its own."""
    from tenantctl.store.services import api_tokens

    try:  # the last-use stamp is for the token list; a busy store must not fail a finished read
        with runtime.store.transaction(write=True) as session:
            api_tokens.touch(session, token_id)
    except Exception:
        import logging

        logging.getLogger("tenantctl.web").warning("could not record the use of API token %s", token_id)


def _deliver(ctx: Any) -> None:
    """The after-commit hooks, before the answer, unlike the pages: the caller learns what the
    delivery did, as in the CLI. A delivery that cannot reach its server is a warning next to the
    committed result (200/201), never a 503 that a client would retry into a second change."""
    from tenantctl.store.errors import DeliveryPending
    from tenantctl.web.api.common import WARNINGS

    for hook in ctx.after_commit:
        try:
            hook()
        except DeliveryPending as exc:
            WARNINGS.set((*WARNINGS.get(), exc.message))


def _in_store(limiter: Any) -> bool:
    from tenantctl.web.security import SharedRateLimiter

    return isinstance(limiter, SharedRateLimiter)


def lease_connection() -> tuple[Any, Any]:
    """A connection lease for this request and its context (store.db.Lease): everything the request
    does runs on one connection. Returns the lease (release() it once the answer is out) and the
    function that ends it for this context."""
    from tenantctl.store.db import LEASE, Lease

    lease = Lease()
    token = LEASE.set(lease)
    return lease, lambda: LEASE.reset(token)


IDEMPOTENCY_HEADER = "idempotency-key"


def _claim_key(request: Any, session: Any, user_id: int, idempotent: bool) -> int | None:
    from tenantctl.store.errors import UsageError
    from tenantctl.store.services import idempotency

    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or request.method != "POST":
        return None
    if not idempotent:
        raise UsageError(f"{request.method} {request.url.path} takes no Idempotency-Key: its answer holds a secret "
                         "that is shown once and never stored", hint="send it without the header")
    body = getattr(request.state, "body_sha256", None)
    print_ = idempotency.fingerprint(request.method, request.url.path, request.scope.get("query_string", b""),
                                     body.hexdigest() if body is not None else "")
    return idempotency.claim(session, user_id, key, f"{request.method} {request.url.path}", print_)


def connections_of(runtime: Runtime) -> int:
    """How many requests this worker serves at once: as many as it has store connections (its
    pool's size and overflow), so that an admitted request never waits for one."""
    pool = runtime.store.engine.pool
    size, overflow = getattr(pool, "size", lambda: 5)(), getattr(pool, "_max_overflow", 10)
    return max(1, int(size) + max(0, int(overflow)))
