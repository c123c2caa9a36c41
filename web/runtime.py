"""Opening the store for a request: one transaction per request, opened by the face (as
cli/runtime.py does for a command). Mail delivery and other after-commit hooks run once the
response is on its way (web.security.AfterCommit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.actor import Actor
    from store.context import Ctx
    from store.db import Store
    from store.settings import Settings

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
    def open(cls, settings: Settings, *, behind_proxy: bool = False) -> Runtime:
        from store.db import Store

        store = Store(settings.database_url)
        store.require_current_schema()  # once at start: a server on an outdated schema refuses to start
        return cls(settings, store, behind_proxy)

    @contextmanager
    def transaction(self, request: Any, *, write: bool = True, login: str | None = None) -> Iterator[Ctx]:
        """One transaction for the request, committed when the block ends, rolled back on any
        error. `login`: act as that user (after a password check on a page); else anonymous."""
        from store.context import Ctx

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
        from store.actor import Actor, resolve_actor

        if login:
            return resolve_actor(session, login)
        return Actor(label=ANONYMOUS)

    def close(self) -> None:
        self.store.dispose()


def runtime_of(request: Any) -> Runtime:
    return request.app.state.runtime


@contextmanager
def api_transaction(request: Any, *, write: bool, anonymous: bool = False, changes: bool | None = None
                    ) -> Iterator[Any]:
    """The API's transaction for a request, acting as the Bearer token's user (with the user's current
    rights, read now). Commits before the response is built; after-commit hooks (mail delivery)
    run once it committed. Read-only tokens are refused on every request that changes something
    (`changes`, by default `write`: an import's dry-run writes in a savepoint it rolls back, so it
    needs a write transaction and changes nothing). Rate-limited per token."""
    from store.actor import Actor
    from store.context import Ctx
    from store.errors import PermissionDenied, Unauthenticated
    from store.services import api_tokens
    from web.api.common import WARNINGS, bearer
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
            request.state.actor = f"token:{token.id}"  # for the log line (web.observe): never the secret
            limits.api_token.hit(f"token:{token.id}")
            if token.read_only and (write if changes is None else changes):
                raise PermissionDenied("this token is read-only", hint="use a token created without --read-only")
            if api_tokens.needs_touch(token):
                if write:
                    api_tokens.touch(session, token.id or 0)
                else:
                    touch = token.id
        ctx = Ctx(session, actor, runtime.settings)
        yield ctx
    WARNINGS.set(tuple(ctx.warnings))
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
