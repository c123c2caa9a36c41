"""Who is acting, and what they may see and change (DESIGN §4 Scope). Every service asks here;
the CLI and the importer alike. Out-of-scope objects are reported as not found."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from store.enums import ConnectionState, Role, TenantKind, UserStatus
from store.errors import NotFound, PermissionDenied
from store.models import Connection, Membership, Tenant


@dataclass(frozen=True)
class Actor:
    label: str  # what the audit log records
    user_id: int | None = None
    is_operator: bool = False
    # tenant id → role, for the actor's own memberships
    roles: dict[int, str] = field(default_factory=dict)
    # reseller tenants the actor administers (their customers are in scope too)
    reseller_ids: frozenset[int] = frozenset()

    @property
    def admin_tenant_ids(self) -> set[int]:
        return {t for t, r in self.roles.items() if r == Role.admin}


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


def operator_actor() -> Actor:
    return Actor(label=f"operator:{os_user()}", is_operator=True)


def resolve_actor(session: Session, login: str | None) -> Actor:
    if not login:
        return operator_actor()
    from store.services.users import find_user_row

    user = find_user_row(session, login)
    if user is None:
        raise PermissionDenied(f"cannot act as {login!r}: no such user",
                               hint="check --as / TENANTCTL_ACTOR (a login or e-mail)")
    if user.status == UserStatus.disabled:
        raise PermissionDenied(f"cannot act as {user.login!r}: the user is disabled",
                               hint="act as another user or enable this one")
    rows = session.exec(
        select(Membership.tenant_id, Membership.role, Tenant.kind, Tenant.status)
        .join(Tenant, col(Tenant.id) == Membership.tenant_id)
        .where(Membership.user_id == user.id)
    ).all()
    roles = {tenant_id: role for tenant_id, role, _, _ in rows}
    is_operator = any(kind == TenantKind.operator and role == Role.admin for _, role, kind, _ in rows)
    resellers = frozenset(
        tenant_id for tenant_id, role, kind, status in rows
        if kind == TenantKind.reseller and role == Role.admin and status == "active"
    )
    return Actor(label=user.login, user_id=user.id, is_operator=is_operator, roles=roles,
                 reseller_ids=resellers)


def customer_ids_of(session: Session, reseller_ids: frozenset[int] | set[int], *,
                    active_only: bool = False) -> set[int]:
    """Customers connected to these resellers: any non-rejected connection (a reseller must see a
    customer whose accreditation it is deciding), or only active ones (to act for the customer)."""
    if not reseller_ids:
        return set()
    state = (col(Connection.state) == ConnectionState.active if active_only
             else col(Connection.state) != ConnectionState.rejected)
    rows = session.exec(
        select(Connection.customer_id).where(col(Connection.reseller_id).in_(reseller_ids), state)
    ).all()
    return set(rows)


def visible_tenant_ids(session: Session, actor: Actor) -> set[int] | None:
    """None means every tenant (operator)."""
    if actor.is_operator:
        return None
    return set(actor.roles) | customer_ids_of(session, actor.reseller_ids)


def managed_tenant_ids(session: Session, actor: Actor) -> set[int] | None:
    """Tenants whose data and members the actor may change. None means all (operator)."""
    if actor.is_operator:
        return None
    return actor.admin_tenant_ids | customer_ids_of(session, actor.reseller_ids, active_only=True)


def get_tenant(session: Session, actor: Actor, key: str, *, manage: bool = False) -> Tenant:
    tenant = session.exec(select(Tenant).where(Tenant.key == key.strip().lower())).first()
    visible = visible_tenant_ids(session, actor)
    if tenant is None or (visible is not None and tenant.id not in visible):
        raise NotFound(f"tenant {key!r} not found", hint="see tenantctl tenant list")
    if manage:
        require_manage(session, actor, tenant)
    return tenant


def can_manage(session: Session, actor: Actor, tenant: Tenant) -> bool:
    managed = managed_tenant_ids(session, actor)
    return managed is None or tenant.id in managed


def require_manage(session: Session, actor: Actor, tenant: Tenant) -> None:
    if not can_manage(session, actor, tenant):
        raise PermissionDenied(f"{actor.label} may not change tenant {tenant.key!r}",
                               hint="ask an admin of that tenant or of its reseller")
