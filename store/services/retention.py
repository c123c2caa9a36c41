"""Retention (GDPR Art. 5(1)(e)): personal data kept no longer than needed. `tenantctl db prune`
and the periodic worker run `run_prune`; the periods are settings (docs/privacy.md):

- retention_mail_days (30): a delivered (or failed) mail's body (its template variables) and its
  `.eml` copy in the file outbox, counted from delivery (or from when it was queued, if it failed);
- retention_link_days (30): used, voided or expired password links, and accepted, revoked or
  expired invitations, counted from their use, revocation or expiry;
- rate-limit rows older than a day (the longest window is an hour);
- retention_audit_days (0: off): audit entries older than this are pseudonymised: every login and
  address of a known person becomes `user-<id>`, names under name fields `(pseudonymised)`.
A period of 0 keeps that kind of data. One transaction; files go after the commit (and a run
killed in between leaves them to the next run's sweep)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlmodel import Session, col, select

from tenantctl.store.actor import operator_actor
from tenantctl.store.audit import record
from tenantctl.store.enums import InvitationStatus, MailState
from tenantctl.store.models import AuditEvent, Invitation, OutboxMail, PasswordLink, RateLimitHit, User
from tenantctl.store.services import outbox_files, savepoint
from tenantctl.store.services.pseudonyms import NAME_KEYS
from tenantctl.store.services.ratelimits import KEEP_SECONDS
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow
from tenantctl.store.wipe import zero_freed_content

PSEUDONYMISED = "(pseudonymised)"
# a login ("max.mueller2") or an address as one token of a text
TOKEN = re.compile(r"[\w.+-]+@[\w.-]+\w|[\w][\w.-]*\w|\w")


def _count(s: Session, model: Any, where: Any) -> int:
    return int(s.exec(select(func.count()).select_from(model).where(where)).one())


def _apply(s: Session, stmt: Any) -> None:
    s.execute(stmt.execution_options(synchronize_session=False))


def mail_bodies(s: Session, cutoff: datetime, now: datetime) -> int:
    done = or_(and_(col(OutboxMail.state) == MailState.sent, col(OutboxMail.sent_at) < cutoff),
               and_(col(OutboxMail.state) == MailState.failed, col(OutboxMail.created_at) < cutoff))
    where = and_(done, col(OutboxMail.purged_at).is_(None))
    n = _count(s, OutboxMail, where)
    if n:
        _apply(s, update(OutboxMail).where(where).values(context={}, to_name=None, purged_at=now))
    return n


def password_links(s: Session, cutoff: datetime) -> int:
    where = or_(col(PasswordLink.used_at) < cutoff, col(PasswordLink.voided_at) < cutoff,
                col(PasswordLink.expires_at) < cutoff)
    n = _count(s, PasswordLink, where)
    if n:
        _apply(s, delete(PasswordLink).where(where))
    return n


def invitations(s: Session, cutoff: datetime) -> int:
    finished = or_(and_(col(Invitation.status) == InvitationStatus.accepted, col(Invitation.accepted_at) < cutoff),
                   and_(col(Invitation.status) == InvitationStatus.revoked, col(Invitation.revoked_at) < cutoff),
                   col(Invitation.expires_at) < cutoff)
    n = _count(s, Invitation, finished)
    if n:
        _apply(s, delete(Invitation).where(finished))
    return n


def rate_limit_rows(s: Session, now: datetime) -> int:
    where = col(RateLimitHit.at) < now.timestamp() - KEEP_SECONDS
    n = _count(s, RateLimitHit, where)
    if n:
        _apply(s, delete(RateLimitHit).where(where))
    return n


def _pseudonymise(value: Any, people: dict[str, str], key: str | None = None) -> Any:
    if isinstance(value, str):
        if key in NAME_KEYS and value and value != PSEUDONYMISED and not value.startswith(("user-", "erased-")):
            return PSEUDONYMISED
        return TOKEN.sub(lambda m: _person(m.group(0), people), value)
    if isinstance(value, list):
        return [_pseudonymise(v, people, key) for v in value]
    if isinstance(value, dict):
        return {k: _pseudonymise(v, people, k) for k, v in value.items()}
    return value


def _person(token: str, people: dict[str, str]) -> str:
    """A login or address as its pseudonym; "login@tenant" (a membership) keeps the tenant."""
    low = token.lower()
    if low in people:
        return people[low]
    local, at, _ = low.partition("@")
    return f"{people[local]}@{token.partition('@')[2]}" if at and local in people else token


def old_audit_entries(s: Session, cutoff: datetime) -> int:
    """Logins and addresses of known people in entries older than the cutoff become `user-<id>`."""
    from tenantctl.store.services.api_tokens import VIA

    people: dict[str, str] = {}
    for uid, login, email_key in s.exec(select(User.id, User.login, User.email_key)).all():
        people[login] = people[email_key] = f"user-{uid}"
    n, last = 0, 0
    while True:
        batch = s.exec(select(AuditEvent).where(col(AuditEvent.at) < cutoff, col(AuditEvent.id) > last)
                       .order_by(col(AuditEvent.id)).limit(1000)).all()
        if not batch:
            return n
        for e in batch:
            last = e.id or last
            login, via, rest = e.actor.partition(VIA)
            actor = people.get(login.lower(), login) + via + rest
            new = (actor, _pseudonymise(e.object_key, people), _pseudonymise(e.details, people))
            if new != (e.actor, e.object_key, e.details):
                n += 1
                _apply(s, update(AuditEvent).where(col(AuditEvent.id) == e.id)
                       .values(actor=new[0], object_key=new[1], details=new[2]))
        s.expire_all()


def prune(s: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """What the settings say is due, in the caller's transaction: {kind: rows}."""
    counts: dict[str, int] = {}
    days = int(settings.retention_mail_days)
    if days:
        counts["mail_bodies"] = mail_bodies(s, now - timedelta(days=days), now)
    days = int(settings.retention_link_days)
    if days:
        counts["password_links"] = password_links(s, now - timedelta(days=days))
        counts["invitations"] = invitations(s, now - timedelta(days=days))
    counts["rate_limit_rows"] = rate_limit_rows(s, now)
    days = int(settings.retention_audit_days)
    if days:
        counts["audit_entries"] = old_audit_entries(s, now - timedelta(days=days))
    s.flush()
    counts["outbox_files"] = len(outbox_files.stale_files(s, settings))
    return counts


def prune_recorded(s: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """`prune` in the caller's transaction, with the freed pages zeroed and an audit entry
    `db.prune` when anything was due. The files go after the commit (outbox_files.sweep)."""
    zero_freed_content(s)
    counts = prune(s, settings, now=now)
    if any(v for k, v in counts.items() if k != "outbox_files"):
        record(s, operator_actor(), "db.prune", "store", "retention", None, **counts)
    return counts


def run_prune(store: Any, settings: Settings, *, dry_run: bool = False, now: datetime | None = None
              ) -> dict[str, Any]:
    """One prune: its own transaction, as the operator (an audit entry `db.prune` when anything was
    due), then the `.eml` files of purged and deleted mails. For `tenantctl db prune` and the
    periodic worker. Returns {"dry_run", "counts": {kind: n}, "files_deleted", "files_left" (could not
    be deleted: the next run tries again), "seconds"}."""
    started = time.monotonic()
    now = now or utcnow()
    with store.transaction() as s, savepoint(s, rollback=dry_run):
        counts = prune_recorded(s, settings, now=now)
    files, left = (0, 0) if dry_run else outbox_files.sweep(store, settings)
    return {"dry_run": dry_run, "counts": counts, "files_deleted": files, "files_left": left,
            "seconds": round(time.monotonic() - started, 3)}
