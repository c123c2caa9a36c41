"""Which invitations an actor sees (sent by their side, or received by their address or their
tenants' admins) and may change (only the sending side)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, or_, select

from tenantctl.store.context import Ctx
from tenantctl.store.enums import Role
from tenantctl.store.errors import NotFound, PermissionDenied
from tenantctl.store.models import Invitation, Membership, User


def actor_email_key(ctx: Ctx) -> str | None:
    if ctx.actor.user_id is None:
        return None
    user = ctx.session.get(User, ctx.actor.user_id)
    return user.email_key if user else None


def sent_clause(ctx: Ctx) -> Any:
    clauses: list[Any] = [col(Invitation.from_tenant_id).in_(ctx.actor.admin_tenant_ids)]
    if ctx.actor.user_id is not None:
        clauses.append(col(Invitation.invited_by_user_id) == ctx.actor.user_id)
    return or_(*clauses)


def received_clause(ctx: Ctx) -> Any:
    """Addressed to my e-mail (or an admin of my tenants), or accepted by one of my tenants."""
    admin_ids = ctx.actor.admin_tenant_ids
    keys = set(ctx.session.exec(
        select(User.email_key).join(Membership, col(Membership.user_id) == User.id)
        .where(col(Membership.tenant_id).in_(admin_ids), Membership.role == Role.admin)).all()) if admin_ids else set()
    if (mine := actor_email_key(ctx)) is not None:
        keys.add(mine)
    return or_(func.lower(Invitation.email).in_(keys), col(Invitation.accepted_tenant_id).in_(admin_ids))


def visible(ctx: Ctx, inv_id: int, *, manage: bool = False) -> Invitation:
    """An invitation the actor may see (sent or received); with manage, one its side sent."""
    s = ctx.session
    inv = s.get(Invitation, inv_id)
    if inv is None:
        raise NotFound(f"invitation {inv_id} not found", hint="see tenantctl invite list")
    if ctx.actor.is_operator:
        return inv
    sent = s.exec(select(func.count()).where(Invitation.id == inv_id, sent_clause(ctx))).one()
    if sent:
        return inv
    received = s.exec(select(func.count()).where(Invitation.id == inv_id, received_clause(ctx))).one()
    if not received:
        raise NotFound(f"invitation {inv_id} not found", hint="see tenantctl invite list")
    if manage:
        raise PermissionDenied(f"invitation {inv_id} was sent to you; only its sender can change it",
                               hint="accept it with tenantctl invite accept")
    return inv

