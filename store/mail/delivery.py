"""Emptying the outbox, after the command that queued the mails committed.

Delivery is AT LEAST ONCE. Each run works in batches:
1. claim (one short transaction): due mails (queued, or `sending` whose lease ran out) become
   `sending` with a lease (`mail_lease_seconds`); tokens are minted (only their hash is stored)
   and the messages rendered; commit;
2. send each message over one transport connection;
3. record the outcomes (sent, failed for good, or queued again with backoff) in small groups, each
   in one short transaction (at most RECORD_EVERY mails or RECORD_SECONDS apart).
A crash or kill before 3 leaves the mail `sending`; once the lease ran out the next run sends it
again, so no mail is ever lost, and a mail whose delivery was interrupted after the server took it
may arrive twice. We chose this over at-most-once because a lost password link or invitation
silently locks a person out, while a duplicate costs nothing: re-sending mints a new token, so
only the newest copy's link works and the older copy's link gives the usual "invalid link" error.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from tenantctl.store.db import Store
from tenantctl.store.enums import MailState
from tenantctl.store.errors import PENDING, DeliveryPending, InvalidInput, Unreachable
from tenantctl.store.mail import message
from tenantctl.store.mail.retry import ConnectionFailure, DeliveryError, PermanentFailure, next_attempt
from tenantctl.store.mail.transports import Transport, make_transport
from tenantctl.store.models import OutboxMail
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

BATCH = 200  # mails claimed (minted, rendered) per transaction
RECORD_EVERY = 25
RECORD_SECONDS = 1.0
Progress = Callable[[int, int], None]


@dataclass
class Summary:
    sent: int = 0
    failed: int = 0  # permanent failure, or no attempts left
    retrying: int = 0  # temporary failure: queued again with backoff
    obsolete: int = 0  # the link/invitation it carried is no longer valid: not sent
    remaining: int = 0  # still queued when the run stopped (transport unreachable)
    unreachable: str | None = None  # why the run stopped early
    failures: list[dict[str, Any]] = field(default_factory=list)
    next_attempt_at: datetime | None = None

    def merge(self, other: Summary) -> None:
        """Add what a claim found (obsolete mails, messages that could not be built)."""
        self.obsolete += other.obsolete
        self.failed += other.failed
        self.failures.extend(other.failures)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "retrying": self.retrying, "obsolete": self.obsolete,
                "remaining": self.remaining, "unreachable": self.unreachable, "failures": self.failures,
                "next_attempt_at": self.next_attempt_at.isoformat(timespec="seconds")
                if self.next_attempt_at else None}


@dataclass
class Job:
    mail_id: int
    to_address: str
    message: bytes
    message_id: str
    attempts: int


def _minter(ref_type: str) -> Callable[..., dict[str, Any] | None]:
    from tenantctl.store.services.outbox import MINTERS

    try:
        target = MINTERS[ref_type]
    except KeyError:
        raise InvalidInput(f"no minter registered for mails about {ref_type!r}",
                           hint="a tenantctl bug: register it in store.services.outbox.MINTERS") from None
    module, _, name = target.partition(":")
    fn: Callable[..., dict[str, Any] | None] = getattr(importlib.import_module(module), name)
    return fn


def _due(now: datetime) -> Any:
    return (col(OutboxMail.state).in_([MailState.queued, MailState.sending])) & (
        col(OutboxMail.next_attempt_at) <= now)


def count_due(session: Session, now: datetime, ids: list[int] | None = None) -> int:
    stmt = select(func.count()).select_from(OutboxMail).where(_due(now))
    if ids is not None:
        stmt = stmt.where(col(OutboxMail.id).in_(ids))
    return int(session.exec(stmt).one())


def _claim(store: Store, settings: Settings, now: datetime, ids: list[int] | None, summary: Summary) -> list[Job]:
    lease = now + timedelta(seconds=int(settings.mail_lease_seconds))
    jobs: list[Job] = []
    with store.transaction() as s:
        stmt = (select(OutboxMail).where(_due(now))
                .order_by(col(OutboxMail.next_attempt_at), col(OutboxMail.id)).limit(BATCH))
        if ids is not None:
            stmt = stmt.where(col(OutboxMail.id).in_(ids))
        if not store.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)  # SQLite: BEGIN IMMEDIATE serialises
        mails = list(s.exec(stmt).all())
        keep = _preload(s, mails)  # noqa: F841 (holds the preloaded rows in the identity map)
        for mail in mails:
            extra: dict[str, Any] | None = {}
            if mail.ref_type:
                extra = _minter(mail.ref_type)(s, mail.ref_id, settings)
            if extra is None:
                mail.state, mail.last_error, mail.next_attempt_at = (
                    MailState.failed, f"not sent: the {(mail.ref_type or '').replace('_', ' ')} is no longer valid "
                    "(used, superseded, revoked or expired)", None)
                s.add(mail)
                summary.obsolete += 1
                continue
            context = {**mail.context, **extra}
            subject, text, html = _render(mail.template, mail.language, context, settings)
            try:
                message_id, raw = message.build(settings, to_address=mail.to_address, to_name=mail.to_name,
                                                sender_name=context.get("sender"), reply_to=context.get("reply_to"),
                                                subject=subject, text=text,
                                                html=html, mail_id=mail.id)
                envelope_to = message.ascii_address(mail.to_address)
            except ValueError as exc:
                mail.state, mail.last_error, mail.next_attempt_at = MailState.failed, f"cannot build: {exc}", None
                mail.attempts += 1
                s.add(mail)
                summary.failed += 1
                summary.failures.append({"id": mail.id, "to": mail.to_address, "reason": mail.last_error})
                continue
            mail.state, mail.next_attempt_at, mail.message_id = MailState.sending, lease, message_id
            s.add(mail)
            jobs.append(Job(mail.id, envelope_to, raw, message_id, mail.attempts))  # type: ignore[arg-type]
    return jobs


def _preload(session: Session, mails: list[OutboxMail]) -> list[Any]:
    """Minters may offer `fn.preload(session, ref_ids)` to load a batch's objects in a few queries
    (instead of a few per mail); the rows are returned so they stay in the identity map."""
    by_type: dict[str, list[int]] = {}
    for mail in mails:
        if mail.ref_type and mail.ref_id is not None:
            by_type.setdefault(mail.ref_type, []).append(mail.ref_id)
    kept: list[Any] = []
    for ref_type, ref_ids in by_type.items():
        preload = getattr(_minter(ref_type), "preload", None)
        if preload is not None:
            kept.extend(preload(session, ref_ids) or [])
    return kept


def _render(template: str, language: str, context: dict[str, Any], settings: Settings) -> tuple[str, str, str]:
    return render_mail(settings, template, language, context)


def render_mail(settings: Settings, template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) as the recipient gets it: used by delivery, `mail preview` and `mail test`."""
    from tenantctl.store.mail.templates import render

    return render(template, language, brand_context(settings, context), settings.templates_dir)


def brand_context(settings: Settings, context: dict[str, Any]) -> dict[str, Any]:
    """What every template may use besides its own variables: the platform's name and sender
    identity (a mail queued with a reseller's keeps it), the imprint and the legal pages, the time
    zone for `when`."""
    imprint = [line.strip() for line in str(settings.mail_imprint or "").split("|") if line.strip()]
    platform = str(settings.mail_from_name)
    return {"platform_name": platform, "sender": platform, "signature": settings.mail_signature,
            "reseller_name": None, "base_url": str(settings.base_url).rstrip("/"), **context,
            "imprint": imprint, "imprint_url": settings.imprint_url, "privacy_url": settings.privacy_url,
            # the recipient's zone when the mail was queued with one (their tenant's), else the platform's
            "time_zone": str(context.get("time_zone") or settings.time_zone)}


class Outcomes:
    """Outcomes are written in small groups (at most RECORD_EVERY mails or RECORD_SECONDS), each
    group in one short transaction. A crash loses at most the unwritten group: those mails are
    still `sending` and are sent again after their lease (at least once)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: list[dict[str, Any]] = []
        self.since = time.monotonic()

    def add(self, mail_id: int, *, state: str, attempts: int, last_error: str | None = None,
            sent_at: datetime | None = None, next_attempt_at: datetime | None = None) -> None:
        self.rows.append({"_id": mail_id, "_state": state, "_attempts": attempts, "_last_error": last_error,
                          "_sent_at": sent_at, "_next": next_attempt_at})
        if len(self.rows) >= RECORD_EVERY or time.monotonic() - self.since >= RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            stmt = (update(OutboxMail).where(col(OutboxMail.id) == bindparam("_id"))
                    .values(state=bindparam("_state"), attempts=bindparam("_attempts"),
                            last_error=bindparam("_last_error"), sent_at=bindparam("_sent_at"),
                            next_attempt_at=bindparam("_next")))
            with self.store.connect() as conn, conn.begin():
                conn.execute(stmt, self.rows)
            self.rows = []
        self.since = time.monotonic()


def _release(store: Store, mail_ids: list[int], now: datetime) -> None:
    """Claimed but not attempted (the run stopped): due again now, no attempt counted."""
    if not mail_ids:
        return
    with store.transaction() as s:
        s.execute(update(OutboxMail).where(col(OutboxMail.id).in_(mail_ids), col(OutboxMail.state) == MailState.sending)
                  .values(state=MailState.queued, next_attempt_at=now)
                  .execution_options(synchronize_session=False))


def deliver_pending(settings: Settings, store_or_url: Store | str, rate: float | None = None,
                    progress: Progress | None = None, *, ids: list[int] | None = None,
                    now: Callable[[], datetime] = utcnow, transport: Transport | None = None,
                    sleep: Callable[[float], None] = time.sleep, stop: Callable[[], bool] | None = None) -> Summary:
    """Send every due mail (or only `ids`). Returns what happened; never raises for a delivery
    failure (an unreachable transport is reported in `Summary.unreachable`), but does raise
    InvalidInput for a broken template override (nothing is changed then). `stop()` is asked after
    each batch (the worker on SIGTERM): once true, the batch claimed ahead is handed back unsent."""
    own_store = isinstance(store_or_url, str)
    store = Store(store_or_url) if isinstance(store_or_url, str) else store_or_url
    rate = float(settings.mail_rate or 0) if rate is None else rate
    interval = 1.0 / rate if rate and rate > 0 else 0.0
    transport = transport or make_transport(settings)
    summary = Summary()
    max_attempts, base = int(settings.mail_max_attempts), int(settings.mail_retry_seconds)
    try:
        with store.transaction(write=False) as s:
            total = count_due(s, now(), ids)
        done, last_send = 0, 0.0
        outcomes = Outcomes(store)

        def claim() -> tuple[list[Job], Summary]:
            part = Summary()
            return _claim(store, settings, now(), ids, part), part

        # The next batch is claimed, minted and rendered in a second thread while this one is sent
        # (the sender mostly waits for the server, with the GIL released).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-claim") as pool:
            upcoming = pool.submit(claim)
            while True:
                jobs, part = upcoming.result()
                summary.merge(part)
                if not jobs:
                    break
                upcoming = pool.submit(claim)
                for i, job in enumerate(jobs):
                    if interval:
                        wait = last_send + interval - time.monotonic()
                        if wait > 0:
                            sleep(wait)
                        last_send = time.monotonic()
                    try:
                        transport.send(settings.mail_from, job.to_address, job.message, job.mail_id)
                    except DeliveryError as exc:
                        _record_failure(outcomes, job, exc, summary, now(), max_attempts, base)
                        if isinstance(exc, ConnectionFailure):
                            outcomes.flush()
                            following, part = upcoming.result()
                            summary.merge(part)
                            _release(store, [j.mail_id for j in jobs[i + 1:] + following], now())
                            summary.unreachable = exc.reason
                            with store.transaction(write=False) as s:
                                summary.remaining = count_due(s, now() + timedelta(days=3650), ids)
                            return summary
                    else:
                        outcomes.add(job.mail_id, state=MailState.sent, sent_at=now(), attempts=job.attempts + 1)
                        summary.sent += 1
                    done += 1
                    if progress:
                        progress(done, max(total, done))
                outcomes.flush()
                if stop is not None and stop():
                    following, part = upcoming.result()
                    summary.merge(part)
                    _release(store, [j.mail_id for j in following], now())
                    break
        return summary
    finally:
        transport.close()
        if own_store:
            store.dispose()


def _record_failure(outcomes: Outcomes, job: Job, exc: DeliveryError, summary: Summary, now: datetime,
                    max_attempts: int, base: int) -> None:
    attempts = job.attempts + 1
    if isinstance(exc, PermanentFailure) or attempts >= max_attempts:
        reason = exc.reason if isinstance(exc, PermanentFailure) else f"gave up after {attempts} attempts: {exc.reason}"
        outcomes.add(job.mail_id, state=MailState.failed, attempts=attempts, last_error=reason)
        summary.failed += 1
        summary.failures.append({"id": job.mail_id, "to": job.to_address, "reason": reason})
        return
    when = next_attempt(attempts, base, now)
    outcomes.add(job.mail_id, state=MailState.queued, attempts=attempts, last_error=exc.reason, next_attempt_at=when)
    summary.retrying += 1
    summary.next_attempt_at = min(filter(None, [summary.next_attempt_at, when]))


class Delivery:
    """The one after-commit hook of a command (or web request): delivers every mail queued in its
    transaction, once it committed, over the command's own engine (no second engine from a URL).
    Services get it with `delivery_for(ctx)` and add the ids they queued; a face may set `rate` and
    `progress` and read `summary` afterwards. Raises Unreachable (the change itself is committed,
    the mails stay queued) when the transport is down."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.ids: list[int] = []
        self.everything = False  # `mail send`: every due mail, not only this command's
        self.rate: float | None = None
        self.progress: Progress | None = None
        self.summary: Summary | None = None

    def add(self, ids: list[int]) -> None:
        self.ids.extend(ids)

    def __call__(self) -> None:
        if not self.ids and not self.everything:
            return
        self.summary = summary = deliver_pending(self.settings, self.store, rate=self.rate, progress=self.progress,
                                                 ids=None if self.everything else self.ids)
        if summary.unreachable and not self.everything:  # the command's change is committed: said as a warning
            raise DeliveryPending(f"{PENDING}: {summary.unreachable}; {summary.sent} sent, "
                                  f"{summary.remaining} stay queued (tenantctl mail send delivers them now)")
        if summary.unreachable:  # `mail send`: delivering is the command itself
            raise Unreachable(f"mail delivery stopped: {summary.unreachable}; "
                              f"{summary.sent} sent, {summary.remaining} stay queued",
                              hint="nothing is lost: run tenantctl mail send again once the server is reachable")


def delivery_for(ctx: Any) -> Delivery:
    """The command's Delivery hook, appended to ctx.after_commit on first use."""
    hook = next((h for h in ctx.after_commit if isinstance(h, Delivery)), None)
    if hook is None:
        hook = Delivery(ctx.settings, Store.of_session(ctx.session))
        ctx.after_commit.append(hook)
    return hook
