"""List, show, revoke and reissue invitations (the sender's side)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, or_, select

from tenantctl.store.audit import record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import InvitationKind, InvitationStatus
from tenantctl.store.errors import Conflict, InvalidInput
from tenantctl.store.models import Invitation, Tenant
from tenantctl.store.services import Page, like, paginate
from tenantctl.store.services.invitations.creation import queue_mail, require_active
from tenantctl.store.services.invitations.links import link_for, mint
from tenantctl.store.services.invitations.scope import received_clause, sent_clause, visible
from tenantctl.store.services.invitations.status import invitation_out, parse_lifetime, status_clause, status_of
from tenantctl.store.types import utcnow


def list_invitations(ctx: Ctx, *, status: str | None = None, kind: str | None = None, sent: bool = False,
                     received: bool = False, search: str | None = None, limit: int | None = None,
                     offset: int = 0) -> Page[dict[str, Any]]:
    s, now = ctx.session, utcnow()
    check_choice(status, InvitationStatus, "status")
    check_choice(kind, InvitationKind, "kind")
    if sent and received:
        raise InvalidInput("--sent and --received exclude each other", hint="give one of them (or neither: both)")
    stmt = select(Invitation).order_by(col(Invitation.id).desc())
    if sent:
        stmt = stmt.where(sent_clause(ctx))
    elif received:
        stmt = stmt.where(received_clause(ctx))
    elif not ctx.actor.is_operator:
        stmt = stmt.where(or_(sent_clause(ctx), received_clause(ctx)))
    if status:
        stmt = stmt.where(status_clause(status, now))
    if kind:
        stmt = stmt.where(Invitation.kind == kind)
    if search:
        pattern = like(search)
        stmt = stmt.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in
                                (Invitation.customer_name, Invitation.customer_number, Invitation.email))))
    rows, total = paginate(s, stmt, limit, offset)
    return Page([invitation_out(s, inv, now) for inv in rows], total, limit, offset)


def show(ctx: Ctx, inv_id: int) -> dict[str, Any]:
    return invitation_out(ctx.session, visible(ctx, inv_id))


def revoke(ctx: Ctx, inv_id: int) -> dict[str, Any]:
    s = ctx.session
    inv = visible(ctx, inv_id, manage=True)
    if inv.status != InvitationStatus.pending:
        raise Conflict(f"invitation {inv.id} is {inv.status}; only a pending or expired invitation can be revoked")
    old = status_of(inv)
    inv.status, inv.revoked_by, inv.revoked_at = InvitationStatus.revoked, ctx.actor.label, utcnow()
    inv.updated_at = inv.revoked_at
    s.add(inv)
    s.flush()
    record(s, ctx.actor, "invitation.revoke", "invitation", str(inv.id), inv.from_tenant_id,
           changed={"status": [old, InvitationStatus.revoked]})
    return invitation_out(s, inv)


def reissue(ctx: Ctx, inv_id: int, *, expires_in: str | None = None, send: bool = False) -> dict[str, Any]:
    """A new token and lifetime for a pending or expired invitation; the old link dies at once."""
    s = ctx.session
    inv = visible(ctx, inv_id, manage=True)
    if inv.status != InvitationStatus.pending:
        raise Conflict(f"invitation {inv.id} is {inv.status}; only a pending or expired invitation can be reissued",
                       hint="create a new invitation")
    lifetime = parse_lifetime(expires_in)
    if send and inv.email is None:
        raise InvalidInput(f"invitation {inv.id} has no e-mail address to send to", hint="leave out --send")
    origin = s.get(Tenant, inv.from_tenant_id)
    assert origin is not None
    require_active(origin)
    old_status, old_expiry = status_of(inv), inv.expires_at
    token = mint(inv)
    inv.expires_at = utcnow() + lifetime
    inv.reissue_count += 1
    inv.updated_at = utcnow()
    s.add(inv)
    s.flush()
    record(s, ctx.actor, "invitation.reissue", "invitation", str(inv.id), inv.from_tenant_id,
           status=old_status, old_expires_at=old_expiry, expires_at=inv.expires_at, reissue=inv.reissue_count,
           delivery="mail" if send else "printed")
    out = invitation_out(s, inv)
    if send:
        queue_mail(ctx, inv, origin)
        out["sent_to"] = inv.email
    else:
        out["link"], out["token"] = link_for(ctx.settings, token), token
    return out

