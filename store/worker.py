"""The loop behind `tenantctl worker` (and the one `tenantctl serve` runs in-process): every
`poll` seconds it delivers the due mails (store/mail/delivery.py: claims by lease, FOR UPDATE SKIP
LOCKED on PostgreSQL, backoff on temporary failures) and runs the periodic housekeeping jobs that
are due (store/services/housekeeping.py). Any number of workers may share one PostgreSQL store.

`stop()` (SIGTERM) lets the batch being sent finish and its outcomes be recorded; mails claimed
ahead are handed back, due at once, so a stop loses nothing and sends nothing twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tenantctl.store.db import Store
from tenantctl.store.errors import TenantctlError
from tenantctl.store.mail.delivery import Summary, deliver_pending
from tenantctl.store.services import housekeeping
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

log = logging.getLogger("tenantctl.worker")


@dataclass
class Tick:
    delivery: Summary | None = None
    jobs: list[housekeeping.Ran] = field(default_factory=list)
    error: str | None = None


class Worker:
    def __init__(self, settings: Settings, store: Store, *, poll: float = 5.0,
                 jobs: tuple[housekeeping.Job, ...] = housekeeping.JOBS,
                 on_tick: Callable[[Tick], None] | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings, self.store, self.poll, self.jobs = settings, store, poll, jobs
        self.on_tick, self.clock = on_tick, clock
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def tick(self) -> Tick:
        """One round: deliver what is due, then the due periodic jobs. Never raises for the store
        or the mail server being away (said in the log, tried again next round)."""
        tick = Tick()
        try:
            tick.delivery = summary = deliver_pending(self.settings, self.store, stop=self.stopping.is_set,
                                                           now=self.clock)
        except TenantctlError as exc:
            tick.error = exc.message
            log.warning("mail delivery not run: %s", exc.message)
        else:
            if summary.sent or summary.failed or summary.retrying or summary.obsolete or summary.unreachable:
                log.info("mail delivery: %d sent, %d retrying, %d failed, %d obsolete%s", summary.sent,
                         summary.retrying, summary.failed, summary.obsolete,
                         f"; stopped: {summary.unreachable} ({summary.remaining} stay queued)"
                         if summary.unreachable else "")
        if not self.stopping.is_set():
            tick.jobs = housekeeping.run_due(self.store, self.settings, self.clock(), self.jobs)
        if self.on_tick is not None:
            self.on_tick(tick)
        return tick

    def run(self) -> None:
        """Rounds until stop(); a round that fails unexpectedly is logged, and the next one follows."""
        log.info("worker started (every %gs)", self.poll)
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("worker round failed")
            self.stopping.wait(self.poll)
        log.info("worker stopped")

    def start_thread(self) -> threading.Thread:
        """The loop in a background thread (`tenantctl serve` without --no-worker)."""
        thread = threading.Thread(target=self.run, name="tenantctl-worker", daemon=True)
        thread.start()
        return thread
