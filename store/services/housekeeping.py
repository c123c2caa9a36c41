"""The worker's periodic jobs: a small explicit list, each a name, an interval and a function
`run(session, now) -> str` (what it did, in words). `run_due` runs each job whose interval has
passed since it last ran anywhere (the periodic_job row), in one transaction with its bookkeeping,
under a lock of its own: on PostgreSQL an advisory lock taken without waiting (another worker
holding it means the job is running there), on SQLite the write lock. So with any number of workers
on one store a job runs once per interval, never twice at once.

Nothing to do for expired links and invitations: their expiry is decided where they are read
(store/services/passwords.py, invitations.py), and deleting old rows is the data-protection
retention's business."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from store.db import Store, take_exclusive
from store.errors import TenantctlError
from store.models import PeriodicJob, RateLimitHit
from store.services.ratelimits import KEEP_SECONDS

log = logging.getLogger("tenantctl.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable[[Session, datetime], str]


def purge_rate_limit_hits(session: Session, now: datetime) -> str:
    """Rate-limit rows older than the longest window are of no use (serve also prunes while it counts)."""
    result: Any = session.execute(delete(RateLimitHit).where(col(RateLimitHit.at) <= now.timestamp() - KEEP_SECONDS))
    return f"{result.rowcount} rate-limit rows older than {KEEP_SECONDS / 3600:g} h removed"


JOBS: tuple[Job, ...] = (
    Job("purge-rate-limits", timedelta(hours=1), purge_rate_limit_hits),
)


@dataclass
class Ran:
    name: str
    result: str | None = None
    error: str | None = None


def run_due(store: Store, now: datetime, jobs: tuple[Job, ...] = JOBS) -> list[Ran]:
    """Run every job that is due; a failing job is logged and rolled back alone (it is tried again
    at the next call) and does not keep the others from running."""
    ran: list[Ran] = []
    for job in jobs:
        try:
            with store.transaction() as session:
                if not take_exclusive(session, f"tenantctl.job.{job.name}"):
                    continue  # running in another worker right now
                row = session.get(PeriodicJob, job.name)
                if row is not None and row.last_run_at is not None and row.last_run_at + job.interval > now:
                    continue
                result = job.run(session, now)
                row = row or PeriodicJob(name=job.name)
                row.last_run_at, row.last_result = now, result
                session.add(row)
        except TenantctlError as exc:  # the store unreachable or busy: said in one line, tried again later
            log.warning("periodic job %s not run: %s", job.name, exc.message)
            ran.append(Ran(job.name, error=exc.message))
            continue
        except Exception as exc:
            log.exception("periodic job %s failed", job.name)
            ran.append(Ran(job.name, error=f"{type(exc).__name__}: {exc}"))
            continue
        log.info("periodic job %s: %s", job.name, result)
        ran.append(Ran(job.name, result=result))
    return ran
