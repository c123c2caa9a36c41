"""The last-admin rule: a tenant keeps at least one enabled admin. Removing, demoting or disabling
its last one is refused on every path: the services raise (check_not_last_admin), the import
planner reports a row problem (is_last_admin). Here, below both, so that the planner does not
reach up into the services."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from tenantctl.store.enums import Role, UserStatus
from tenantctl.store.errors import Conflict
from tenantctl.store.models import Membership, Tenant, User


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
