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
