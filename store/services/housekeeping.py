"""The worker's periodic jobs: a small explicit list, each a name, an interval and a function
`run(store, settings, now) -> str` (what it did, in words) that opens its own transactions.

`run_due` runs each job whose interval has passed since it last ran anywhere, so with any number of
workers on one store a job runs once per interval and never twice at once:
1. PostgreSQL: a session-level advisory lock per job, taken without waiting and held while the job
   runs (another worker holding it is running the job right now: skip it);
2. the claim, one short transaction: the job's periodic_job row is read and, if the job is due,
   stamped with this run's time (SQLite's write lock serialises this step);
3. the job itself; then its outcome in the row.

Nothing to do for expired links and invitations beyond the retention: their expiry is decided
where they are read (store/services/passwords/, invitations/)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from tenantctl.store.db import Store
from tenantctl.store.errors import TenantctlError
from tenantctl.store.models import PeriodicJob
from tenantctl.store.settings import Settings

log = logging.getLogger("tenantctl.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable[[Store, Settings, datetime], str]


def retention_prune(store: Store, settings: Settings, now: datetime) -> str:
    """`tenantctl db prune` on schedule (store/services/retention.py; it also drops rate-limit rows
    older than a day)."""
    from tenantctl.store.services.retention import run_prune

    done = run_prune(store, settings, now=now)
    counts = ", ".join(f"{kind} {n}" for kind, n in done["counts"].items() if n) or "nothing due"
    return f"{counts}; {done['files_deleted']} outbox files deleted"


JOBS: tuple[Job, ...] = (
    Job("retention-prune", timedelta(hours=1), retention_prune),
)


@dataclass
class Ran:
    name: str
    result: str | None = None
    error: str | None = None


@contextmanager
def _running(store: Store, name: str) -> Iterator[bool]:
    """True while this process may run the job: PostgreSQL's advisory lock, held until the block ends."""
    if store.is_sqlite:
        yield True
        return
    with store.connect() as conn:
        key = {"name": f"tenantctl.job.{name}"}
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:name))"), key).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:  # a session lock outlives its transaction: give it back before the pool reuses the connection
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), key)
                conn.commit()


def _claim(store: Store, job: Job, now: datetime) -> bool:
    with store.transaction() as session:
        row = session.get(PeriodicJob, job.name)
        if row is not None and row.last_run_at is not None and row.last_run_at + job.interval > now:
            return False
        row = row or PeriodicJob(name=job.name)
        row.last_run_at, row.last_result = now, "running"
        session.add(row)
    return True


def _record(store: Store, name: str, result: str) -> None:
    with store.transaction() as session:
        row = session.get(PeriodicJob, name)
        if row is not None:
            row.last_result = result
            session.add(row)


def run_due(store: Store, settings: Settings, now: datetime, jobs: tuple[Job, ...] = JOBS) -> list[Ran]:
    """Run every job that is due. A failing job is logged and recorded as failed (tried again after
    its interval) and does not keep the others from running."""
    ran: list[Ran] = []
    for job in jobs:
        try:
            with _running(store, job.name) as mine:
                if not mine or not _claim(store, job, now):
                    continue
                try:
                    result = job.run(store, settings, now)
                except Exception as exc:
                    error = exc.message if isinstance(exc, TenantctlError) else f"{type(exc).__name__}: {exc}"
                    log.error("periodic job %s failed: %s", job.name, error,
                              exc_info=not isinstance(exc, TenantctlError))
                    _record(store, job.name, f"failed: {error}"[:2000])
                    ran.append(Ran(job.name, error=error))
                    continue
                _record(store, job.name, result)
        except TenantctlError as exc:  # the store unreachable or busy: said in one line, tried again later
            log.warning("periodic job %s not run: %s", job.name, exc.message)
            ran.append(Ran(job.name, error=exc.message))
            continue
        log.info("periodic job %s: %s", job.name, result)
        ran.append(Ran(job.name, result=result))
    return ran
