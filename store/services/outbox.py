"""The outbox: every mail is a row written in the same transaction as the change that causes it.
Delivery happens after the commit (store/mail/). A mail about a token-bearing object (password link,
invitation) names it by `ref_type`/`ref_id`; the token is minted at delivery by the minter
registered in MINTERS, so the database never holds a usable token."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import col, func, select

from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import MailState
from tenantctl.store.errors import Conflict, NotFound, PermissionDenied, UsageError
from tenantctl.store.models import OutboxMail
from tenantctl.store.schemas import ts
from tenantctl.store.services import Page, paginate
from tenantctl.store.types import utcnow

# ref_type → "module:function"; the function is called at delivery as fn(session, ref_id, settings)
# and returns extra template variables (e.g. {"link": url}), or None when the object is no longer
# valid (superseded, revoked) so that the mail is not sent.
MINTERS: dict[str, str] = {
    "password_link": "tenantctl.store.services.passwords:mint_for_mail",
    "invitation": "tenantctl.store.services.invitations:mint_for_mail",
}


def queue(ctx: Ctx, *, to_address: str, template: str, language: str, context: dict[str, Any],
          to_name: str | None = None, ref_type: str | None = None, ref_id: int | None = None) -> OutboxMail:
    """Add one mail to the outbox in the current transaction. `context` must be JSON-serialisable
    and must never hold a secret."""
    mail = OutboxMail(to_address=to_address, to_name=to_name, template=template, language=language,
                      context=context, ref_type=ref_type, ref_id=ref_id, state=MailState.queued,
                      next_attempt_at=utcnow(), created_by=ctx.actor.label)
    ctx.session.add(mail)
    ctx.session.flush()
    return mail


def queue_many(ctx: Ctx, mails: Iterable[dict[str, Any]]) -> list[int]:
    """The set-based `queue()` for bulk paths (imports): one multi-row INSERT, ids in input order.
    Each dict has the keyword arguments of `queue()`."""
    now = utcnow()
    rows = [{"to_address": m["to_address"], "to_name": m.get("to_name"), "template": m["template"],
             "language": m["language"], "context": m["context"], "ref_type": m.get("ref_type"),
             "ref_id": m.get("ref_id"), "state": MailState.queued, "attempts": 0, "next_attempt_at": now,
             "created_at": now, "created_by": ctx.actor.label} for m in mails]
    if not rows:
        return []
    result = ctx.session.execute(
        insert(OutboxMail).returning(col(OutboxMail.id), sort_by_parameter_order=True), rows
    )
    return [int(r[0]) for r in result.all()]


# -- reading and requeueing (mail list|show|retry) -------------------------------------------------

def require_operator(ctx: Ctx) -> None:
    """The outbox holds every tenant's mail (personal data): operators only."""
    if not ctx.actor.is_operator:
        raise PermissionDenied(f"{ctx.actor.label} may not see or change the outbox",
                               hint="the outbox is the operator's; ask the platform operator")


def mail_out(m: OutboxMail, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id, "to": m.to_address, "to_name": m.to_name, "template": m.template, "language": m.language,
        "state": m.state, "attempts": m.attempts, "next_attempt_at": ts(m.next_attempt_at),
        "last_error": m.last_error, "sent_at": ts(m.sent_at), "created_at": ts(m.created_at),
        "created_by": m.created_by,
    }
    if full:
        out.update({"ref_type": m.ref_type, "ref_id": m.ref_id, "message_id": m.message_id, "context": m.context})
    return out


def list_mails(ctx: Ctx, *, state: str | None = None, to: str | None = None, user: str | None = None,
               limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    """The outbox, newest first. Operators see every mail; a tenant's admin (or a reseller's) sees
    the mails to the users it manages, so it can tell whether a link mail reached someone."""
    from tenantctl.store import rules
    from tenantctl.store.actor import managed_tenant_ids
    from tenantctl.store.models import Membership, User
    from tenantctl.store.services.users import get_user

    if state is not None and state not in set(MailState):
        raise UsageError(f"unknown mail state {state!r}", hint="use queued, sending, sent or failed")
    managed = managed_tenant_ids(ctx.session, ctx.actor)
    if managed is not None and not managed:
        require_operator(ctx)
    stmt = select(OutboxMail).order_by(col(OutboxMail.id).desc())
    address = func.lower(OutboxMail.to_address)
    if managed is not None:
        members = select(Membership.user_id).where(col(Membership.tenant_id).in_(managed))
        stmt = stmt.where(address.in_(select(User.email_key).where(col(User.id).in_(members))))
    if user:
        stmt = stmt.where(address == get_user(ctx, user).email_key)
    if to:
        stmt = stmt.where(address == rules.email_key(to.strip()))
    if state:
        stmt = stmt.where(OutboxMail.state == state)
    items, total = paginate(ctx.session, stmt, limit, offset)
    return Page([mail_out(m) for m in items], total, limit, offset)


def get_mail(ctx: Ctx, mail_id: int) -> OutboxMail:
    require_operator(ctx)
    mail = ctx.session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound(f"mail {mail_id} not found", hint="see tenantctl mail list")
    return mail


def counts(ctx: Ctx) -> dict[str, int]:
    rows = ctx.session.exec(select(OutboxMail.state, func.count()).group_by(OutboxMail.state)).all()
    return {state: int(n) for state, n in rows}


def retry(ctx: Ctx, mail_id: int | None = None, *, failed: bool = False, waiting: bool = False) -> list[int]:
    """Make mails due now: one mail (failed, or queued and waiting for its backoff), every failed
    mail, or every waiting queued mail. Failed mails get a fresh set of attempts."""
    require_operator(ctx)
    s, now = ctx.session, utcnow()
    if mail_id is not None:
        mail = get_mail(ctx, mail_id)
        if mail.state == MailState.sent:
            raise Conflict(f"mail {mail_id} was sent at {ts(mail.sent_at)}",
                           hint="a sent mail is not sent again; send a new one (e.g. password send-link)")
        if mail.state == MailState.sending and mail.next_attempt_at and mail.next_attempt_at > now:
            raise Conflict(f"mail {mail_id} is being sent right now (or its sender was interrupted)",
                           hint=f"it is sent again after {ts(mail.next_attempt_at)}; retry then")
        ids = [mail_id]
    else:
        states = ([MailState.failed] if failed else []) + ([MailState.queued] if waiting else [])
        if not states:
            raise UsageError("name a mail id, --failed or --waiting", hint="see tenantctl mail retry --help")
        ids = list(s.exec(select(OutboxMail.id).where(col(OutboxMail.state).in_(states))).all())  # type: ignore[arg-type]
    for chunk in _chunks(ids):
        s.execute(update(OutboxMail).where(col(OutboxMail.id).in_(chunk))
                  .values(state=MailState.queued, next_attempt_at=now,
                          attempts=_reset_attempts())
                  .execution_options(synchronize_session=False))
    for i in ids:
        record(s, ctx.actor, "mail.retry", "mail", str(i))
    s.expire_all()
    return ids


def _reset_attempts() -> Any:
    from sqlalchemy import case

    # failed mails start over; a queued mail keeps its count (its backoff is only skipped)
    return case((col(OutboxMail.state) == MailState.failed, 0), else_=col(OutboxMail.attempts))


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def depth(session: Any) -> tuple[dict[str, int], float]:
    """For the metrics: mails per state, and the age in seconds of the oldest mail not yet sent
    (queued or sending; 0 when there is none). Counts only: no address leaves the store."""
    counts: dict[str, int] = {str(state): 0 for state in MailState}
    for state, n in session.exec(select(OutboxMail.state, func.count()).group_by(OutboxMail.state)).all():
        counts[str(state)] = int(n)
    oldest = session.exec(select(func.min(OutboxMail.created_at))
                          .where(col(OutboxMail.state).in_([MailState.queued, MailState.sending]))).one()
    if oldest is None:
        return counts, 0.0
    if oldest.tzinfo is None:  # SQLite hands back what func.min saw: a naive UTC text
        oldest = oldest.replace(tzinfo=UTC)
    return counts, max(0.0, float((utcnow() - oldest).total_seconds()))
