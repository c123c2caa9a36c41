"""Memberships: which user belongs to which tenant, with which role. `add` is the one write path
for a membership (member add, invitations, init), `remove` the one removal (member remove, apply
--prune); the last-admin rule lives here for every path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from tenantctl.store.actor import can_see_user, get_tenant, manages_user
from tenantctl.store.audit import record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Role, UserStatus
from tenantctl.store.errors import Conflict, NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.models import AccessRight, Membership, PasswordLink, Tenant, User
from tenantctl.store.schemas import membership_out
from tenantctl.store.services import Page, paginate
from tenantctl.store.types import utcnow

OUTSIDE_HINT = "to add a person from outside your tenants, send a member invitation: " \
               "tenantctl invite create --kind member --tenant KEY --email ADDRESS --role ROLE"


def _other_admins(s: Session, tenant_id: int, user_id: int) -> int:
    """Admins of the tenant other than this user who can still act (not disabled)."""
    return int(s.exec(select(func.count()).select_from(Membership).join(User, col(User.id) == Membership.user_id)
                      .where(Membership.tenant_id == tenant_id, Membership.role == Role.admin,
                             Membership.user_id != user_id, User.status != UserStatus.disabled)).one())


def check_not_last_admin(s: Session, user: User, tenant_ids: set[int] | None = None) -> None:
    """Removing, demoting or disabling the last (enabled) admin of a tenant is refused, on every
    path. tenant_ids: the tenants concerned (None: every tenant where the user is admin). A disabled
    admin is not counted, and removing one takes no acting admin away."""
    if user.status == UserStatus.disabled:
        return
    stmt = (select(Tenant).join(Membership, col(Membership.tenant_id) == Tenant.id)
            .where(Membership.user_id == user.id, Membership.role == Role.admin).order_by(col(Tenant.key)))
    for tenant in s.exec(stmt).all():
        if tenant_ids is not None and tenant.id not in tenant_ids:
            continue
        if _other_admins(s, tenant.id, user.id) == 0:  # type: ignore[arg-type]
            raise Conflict(f"{user.login} is the last admin of tenant {tenant.key!r}",
                           hint=f"first make another user admin: member add LOGIN --tenant {tenant.key} --role admin")


def is_last_admin(s: Session, user_id: int, tenant_id: int) -> bool:
    """True when this (enabled) admin is the tenant's only enabled admin: the importer's form of
    check_not_last_admin, for a row error instead of an exception."""
    user = s.get(User, user_id)
    role = s.exec(select(Membership.role).where(Membership.user_id == user_id,
                                                Membership.tenant_id == tenant_id)).first()
    return (user is not None and user.status != UserStatus.disabled and role == Role.admin
            and _other_admins(s, tenant_id, user_id) == 0)


def add(ctx: Ctx, user: User, tenant: Tenant, role: str, *, via: str | None = None, audit: bool = True) -> Membership:
    """The one write path for a new membership (scope is the caller's check). audit=False when the
    caller's own event says it already (a new user's first membership is in its user.create)."""
    m = Membership(user_id=user.id, tenant_id=tenant.id, role=role, created_by=ctx.actor.label)  # type: ignore[arg-type]
    if user.released_by_tenant_id is not None:  # claimed again: the old releaser answers no longer
        user.released_by_tenant_id = None
        ctx.session.add(user)
    ctx.session.add(m)
    ctx.session.flush()
    if not audit:
        return m
    details: dict[str, Any] = {"role": role}
    if via:
        details["via"] = via
    record(ctx.session, ctx.actor, "member.add", "membership", f"{user.login}@{tenant.key}", tenant.id, **details)
    return m


def void_links_if_homeless(s: Session, user: User, reason: str = "no_membership", *,
                           released_by: Tenant | None = None, warnings: list[str] | None = None) -> int:
    """A user with no membership left cannot log in: their open password links die with it.
    released_by: the tenant whose membership was removed; it is recorded as the one that may bring
    the person back (store/actor.home_tenant_ids), and `warnings` get the line that says so."""
    left = s.exec(select(func.count()).where(Membership.user_id == user.id)).one()
    if left:
        return 0
    now = utcnow()
    if released_by is not None:
        user.released_by_tenant_id = released_by.id
        if warnings is not None:
            warnings.append(released_warning(user, released_by))
    user.credential_version += 1
    user.updated_at = now
    s.add(user)
    return int(s.execute(update(PasswordLink).where(col(PasswordLink.user_id) == user.id,
                                                    col(PasswordLink.used_at).is_(None),
                                                    col(PasswordLink.voided_at).is_(None))
                         .values(voided_at=now, void_reason=reason)
                         .execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def released_warning(user: User, tenant: Tenant) -> str:
    return (f"{user.login} now belongs to no tenant and cannot log in; an admin of {tenant.key} (or of its "
            f"reseller) can bring them back: tenantctl member add {user.login} --tenant KEY")


def add_member(ctx: Ctx, ident: str, tenant: str, role: str = Role.member) -> dict[str, Any]:
    """Add a membership, or change the role of an existing one (idempotent for scripts). A person
    from outside the actor's scope needs their consent: a member invitation."""
    s, actor = ctx.session, ctx.actor
    check_choice(role, Role, "role")
    t = get_tenant(s, actor, tenant, manage=True)
    user = find_user_row(s, ident)
    m = None if user is None else s.exec(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == t.id)).first()
    if m is None:
        # the same answer for unknown and out-of-scope users: nothing about them is revealed
        if user is None or not can_see_user(s, actor, user.id):  # type: ignore[arg-type]
            raise NotFound(f"user {ident!r} not found", hint=OUTSIDE_HINT)
        if not manages_user(s, actor, user.id):  # type: ignore[arg-type]
            raise PermissionDenied(f"{user.login} also belongs to tenants outside your scope: adding them needs "
                                   "their consent", hint=OUTSIDE_HINT)
        m = add(ctx, user, t, role)
        return {**membership_out(m, user, t), "changed": {"role": [None, role]}}
    assert user is not None
    if m.role == role:
        return {**membership_out(m, user, t), "changed": {}}
    if role != Role.admin:
        check_not_last_admin(s, user, {t.id})  # type: ignore[arg-type]
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
    check_not_last_admin(s, user, {t.id})  # type: ignore[arg-type]
    out = membership_out(m, user, t)
    remove(ctx, m, user, t)
    return out


def remove(ctx: Ctx, m: Membership, user: User, tenant: Tenant, *, via: str | None = None) -> int:
    """The one removal of a membership, whoever asks (member remove, apply --prune): its access
    rights, the membership, and the open password links of a user left without a tenant (such a
    link must not set a password any more). Returns how many links were voided."""
    s = ctx.session
    s.execute(delete(AccessRight).where(col(AccessRight.membership_id) == m.id))
    s.delete(m)
    s.flush()
    voided = void_links_if_homeless(s, user, released_by=tenant, warnings=ctx.warnings)
    record(s, ctx.actor, "member.remove", "membership", f"{user.login}@{tenant.key}", tenant.id, role=m.role,
           links_voided=voided, **({"via": via} if via else {}))
    s.flush()
    return voided


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
