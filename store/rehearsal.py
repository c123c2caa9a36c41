"""A dry run is the real run, rolled back: the same code executes every check, every write, the
prune and the link decisions inside a savepoint that a dry run rolls back. So its problems, its
plan and its exit code are the real run's by construction, not by a second implementation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tenantctl.store.context import Ctx


@contextmanager
def rehearsed(ctx: Ctx, dry_run: bool) -> Iterator[None]:
    """Run the block for real; when `dry_run`, roll back everything it wrote (an error included)
    and drop the after-commit hooks it added (no mail leaves for a rolled-back outbox row).
    Warnings stay: the dry run says what the real run would warn about."""
    if not dry_run:
        yield
        return
    hooks = len(ctx.after_commit)
    savepoint = ctx.session.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        del ctx.after_commit[hooks:]
        ctx.committed = ""
