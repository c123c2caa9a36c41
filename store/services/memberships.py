"""Memberships: which user belongs to which tenant, with which role."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from store.actor import get_tenant
from store.audit import record
from store.context import Ctx
from store.enums import Role
from store.errors import Conflict, NotFound
from store.models import Membership, Tenant, User
from store.schemas import membership_out
from store.services import Page, paginate
from store.services.tenants import check_choice
from store.services.users import find_user_row


def _admin_count(s: Session, tenant_id: int) -> int:
    return int(s.exec(select(func.count()).where(Membership.tenant_id == tenant_id,
                                                 Membership.role == Role.admin)).one())


def _check_not_last_admin(s: Session, tenant: Tenant, m: Membership, user: User) -> None:
    if m.role == Role.admin and _admin_count(s, tenant.id) <= 1:  # type: ignore[arg-type]
        raise Conflict(f"{user.login} is the last admin of tenant {tenant.key!r}",
                       hint=f"first make another user admin: member add LOGIN --tenant {tenant.key} --role admin")


def add_member(ctx: Ctx, ident: str, tenant: str, role: str = Role.member) -> dict[str, Any]:
    """Add a membership, or change the role of an existing one (idempotent for scripts)."""
    s, actor = ctx.session, ctx.actor
    check_choice(role, Role, "role")
    t = get_tenant(s, actor, tenant, manage=True)
    # Any existing user may be added by e-mail or login (S7: the agency's person joins the
    # customer); that reveals no more than the invitation flow would.
    user = find_user_row(s, ident)
    if user is None:
        raise NotFound(f"user {ident!r} not found",
                       hint="create the user with tenantctl user create, or send a member invitation")
    m = s.exec(select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == t.id)).first()
    if m is None:
        m = Membership(user_id=user.id, tenant_id=t.id, role=role, created_by=actor.label)  # type: ignore[arg-type]
        s.add(m)
        s.flush()
        record(s, actor, "member.add", "membership", f"{user.login}@{t.key}", t.id, role=role)
        return {**membership_out(m, user, t), "changed": {"role": [None, role]}}
    if m.role == role:
        return {**membership_out(m, user, t), "changed": {}}
    if role != Role.admin:
        _check_not_last_admin(s, t, m, user)
    old, m.role = m.role, role
    s.add(m)
    s.flush()
    record(s, actor, "member.role", "membership", f"{user.login}@{t.key}", t.id, changed={"role": [old, role]})
    return {**membership_out(m, user, t), "changed": {"role": [old, role]}}


def remove_member(ctx: Ctx, ident: str, tenant: str) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    t = get_tenant(s, actor, tenant, manage=True)
    user = find_user_row(s, ident)
    m = None if user is None else s.exec(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == t.id)).first()
    if user is None or m is None:
        raise NotFound(f"{ident!r} is not a member of tenant {t.key!r}",
                       hint=f"see tenantctl member list --tenant {t.key}")
    _check_not_last_admin(s, t, m, user)
    out = membership_out(m, user, t)
    s.delete(m)
    s.flush()
    record(s, actor, "member.remove", "membership", f"{user.login}@{t.key}", t.id, role=m.role)
    return out


def list_members(ctx: Ctx, tenant: str, *, role: str | None = None, limit: int | None = None,
                 offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    check_choice(role, Role, "role")
    t = get_tenant(s, ctx.actor, tenant)
    stmt = (select(Membership, User).join(User, col(User.id) == Membership.user_id)
            .where(Membership.tenant_id == t.id).order_by(col(User.login)))
    if role:
        stmt = stmt.where(Membership.role == role)
    rows, total = paginate(s, stmt, limit, offset)
    return Page([membership_out(m, u, t) for m, u in rows], total, limit, offset)
