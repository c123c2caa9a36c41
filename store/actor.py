"""Who is acting, and what they may see and change (docs/security.md). The one place that decides;
every service asks here, the CLI and the importer alike. Out-of-scope objects are reported as not
found; in scope but not allowed is "permission denied".

Status gates: only memberships in *active* tenants give rights. An admin of a suspended, pending or
rejected tenant has no rights through it, and a user with no membership in an active tenant cannot
act at all (as they cannot log in)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, or_, select

from tenantctl.store.actor_login import check_login_given
from tenantctl.store.enums import ConnectionState, Role, TenantKind, TenantStatus, UserStatus
from tenantctl.store.errors import NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.models import Connection, Membership, Tenant, User


@dataclass(frozen=True)
class Actor:
    label: str  # what the audit log records
    user_id: int | None = None
    is_operator: bool = False
    # tenant id → role, for the actor's memberships in active tenants
    roles: dict[int, str] = field(default_factory=dict)
    # active reseller tenants the actor administers (their customers are in scope too)
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
    """The operator when no login is given (None); otherwise that user, refused when unknown,
    disabled, or without a membership in an active tenant."""
    check_login_given(login)
    if login is None:
        return operator_actor()
    user = find_user_row(session, login)
    if user is None:
        raise PermissionDenied(f"cannot act as {login!r}: no such user",
                               hint="check --as / TENANTCTL_ACTOR (a login or e-mail)")
    if user.status == UserStatus.disabled:
        raise PermissionDenied(f"cannot act as {user.login!r}: the user is disabled",
                               hint="act as another user or enable this one")
    rows = session.exec(
        select(Membership.tenant_id, Membership.role, Tenant.kind)
        .join(Tenant, col(Tenant.id) == Membership.tenant_id)
        .where(Membership.user_id == user.id, Tenant.status == TenantStatus.active)
    ).all()
    if not rows:
        raise PermissionDenied(f"cannot act as {user.login!r}: the user belongs to no active tenant",
                               hint="a suspended, pending or rejected tenant gives its members no rights")
    roles = {tenant_id: role for tenant_id, role, _ in rows}
    is_operator = any(kind == TenantKind.operator and role == Role.admin for _, role, kind in rows)
    resellers = frozenset(tenant_id for tenant_id, role, kind in rows
                          if kind == TenantKind.reseller and role == Role.admin)
    return Actor(label=user.login, user_id=user.id, is_operator=is_operator, roles=roles,
                 reseller_ids=resellers)


def require_operator(actor: Actor, what: str) -> None:
    """Set-up and health commands (init, db, config, doctor, mail test/preview, import template)."""
    if not actor.is_operator:
        raise PermissionDenied(f"{actor.label} may not run {what}: it is for the operator",
                               hint="run it without --as, or as an admin of the operator tenant")


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


# -- users: changed only by whoever manages all of them -----------------------------------------

def user_tenant_ids(session: Session, user_id: int) -> set[int]:
    return set(session.exec(select(Membership.tenant_id).where(Membership.user_id == user_id)).all())


def home_tenant_ids(session: Session, user_id: int) -> set[int]:
    """The tenants that answer for a user: those of their memberships; for a person with none left,
    the tenant that removed the last one (released_by_tenant_id), so that its admins and its
    reseller can bring the person back. Whoever claims the person later takes that over: a new
    membership makes the old releaser irrelevant, and the next removal records its own tenant."""
    ids = user_tenant_ids(session, user_id)
    if ids:
        return ids
    released = session.exec(select(User.released_by_tenant_id).where(User.id == user_id)).first()
    return {released} if released is not None else set()


def released_homes(user_ms: dict[int, Any] | set[int], released_by: int | None) -> set[int]:
    """home_tenant_ids for bulk callers that loaded the memberships (the importer)."""
    return set(user_ms) if user_ms else ({released_by} if released_by is not None else set())


def can_see_user(session: Session, actor: Actor, user_id: int) -> bool:
    visible = visible_tenant_ids(session, actor)
    return visible is None or bool(home_tenant_ids(session, user_id) & visible)


def manages_user(session: Session, actor: Actor, user_id: int, *, managed: set[int] | None = None,
                 tenants: set[int] | None = None) -> bool:
    """True when the actor manages *every* tenant the user belongs to (the operator: always). A
    user with no membership left belongs to the tenant that released them (home_tenant_ids), or,
    without one, to the operator alone. `managed`/`tenants` may be passed in by bulk callers
    that computed them once."""
    if actor.is_operator:
        return True
    managed = managed_tenant_ids(session, actor) if managed is None else managed
    mine = home_tenant_ids(session, user_id) if tenants is None else tenants
    return bool(mine) and managed is not None and mine <= managed


# -- what lists show is what the object routes show ---------------------------------------------

def connection_scope(actor: Actor) -> Any:
    """The connections an actor sees (list and show alike): a customer's own ones (any role: it is
    its own contract), and those of the resellers the actor administers. A reseller's member or
    billing user sees no customers (GET /tenants/KEY is not found for them), so no connections
    either. None: all (operator)."""
    if actor.is_operator:
        return None
    from sqlalchemy import or_

    return or_(col(Connection.customer_id).in_(set(actor.roles)),
               col(Connection.reseller_id).in_(set(actor.reseller_ids)))


def audit_scope(session: Session, actor: Actor, tenant_ids: set[int]) -> Any:
    """The audit events an actor sees, within the visible tenants `tenant_ids`: every event of
    them but invitations, which only the admins of the inviting tenant see (as `invite show`)."""
    from sqlalchemy import or_

    from tenantctl.store.models import AuditEvent

    return col(AuditEvent.tenant_id).in_(tenant_ids) & or_(
        col(AuditEvent.object_type) != "invitation", col(AuditEvent.tenant_id).in_(actor.admin_tenant_ids))


HIDDEN_CREATOR = "(another organisation)"


def creator_shown(session: Session, actor: Actor, label: str) -> str:
    """Who created a record, as the actor may learn it: a person the actor cannot see (another
    reseller's admin who created a shared person) is not named."""
    if actor.is_operator:
        return label
    person = label.split(' via token "', 1)[0]
    if ":" in person or person == "web":  # the operator's OS user, a link's anonymous holder
        return label
    user = find_user_row(session, person)
    if user is None or user.id == actor.user_id or can_see_user(session, actor, user.id or 0):
        return label
    return HIDDEN_CREATOR


def commercial_terms_allowed(actor: Actor, reseller_id: int) -> bool:
    """Customer number, billing and currency of a connection belong to the reseller."""
    return actor.is_operator or reseller_id in actor.reseller_ids


def sees_commercial_terms(actor: Actor, conn: Connection) -> bool:
    """Who may *read* a connection's customer number, currency and billing: the operator, members
    of its reseller and of its customer. With `exclusive_reseller` off a customer can be connected
    to several resellers; each sees its own terms, never another's (nor find the customer by the
    other's customer number)."""
    return actor.is_operator or conn.reseller_id in actor.roles or conn.customer_id in actor.roles


def commercial_terms_clause(actor: Actor) -> Any:
    """sees_commercial_terms as a filter on Connection rows (None: every row, the operator)."""
    if actor.is_operator:
        return None
    mine = sorted(actor.roles)
    return or_(col(Connection.reseller_id).in_(mine), col(Connection.customer_id).in_(mine))


def commercial_terms(actor: Actor, conn: Connection | None) -> dict[str, Any]:
    """The terms of `conn` as the actor may see them (None where it may not)."""
    if conn is None or not sees_commercial_terms(actor, conn):
        return {"customer_number": None, "currency": None, "billing": None}
    return {"customer_number": conn.customer_number, "currency": conn.currency, "billing": conn.billing}


def require_commercial_terms(actor: Actor, reseller: Tenant) -> None:
    if not commercial_terms_allowed(actor, reseller.id):  # type: ignore[arg-type]
        raise PermissionDenied(f"{actor.label} may not set customer number, currency or billing: they are "
                               f"set by the admins of reseller {reseller.key!r}",
                               hint="leave them out; the reseller sets them")


# -- rights are checked now, not when a run was made ---------------------------------------------

def require_current_rights(session: Session, actor: Actor, objects: dict[str, set[int]]) -> None:
    """`import undo` (and anything replaying an earlier change) re-checks the actor's *current* role
    and scope for every row it would touch: object type → ids (tenant, user, membership,
    connection, tenant_application, access_right). A demoted admin cannot undo its earlier run."""
    if actor.is_operator:
        return
    from tenantctl.store.models import AccessRight, TenantApplication

    managed = managed_tenant_ids(session, actor) or set()

    def rows(model: Any, ids: set[int]) -> list[Any]:
        ids_list = sorted(ids)
        out: list[Any] = []
        for i in range(0, len(ids_list), 500):
            out += list(session.exec(select(model).where(col(model.id).in_(ids_list[i:i + 500]))).all())
        return out

    def refuse(what: str) -> None:
        raise PermissionDenied(f"{actor.label} may no longer change {what}; undo re-checks your current rights",
                               hint="ask an admin of that tenant or the operator to undo the run")

    tenant_ids = set(objects.get("tenant", set()))
    tenant_ids |= {m.tenant_id for m in rows(Membership, objects.get("membership", set()))}
    tenant_ids |= {a.tenant_id for a in rows(TenantApplication, objects.get("tenant_application", set()))}
    rights = rows(AccessRight, objects.get("access_right", set()))
    tenant_ids |= {m.tenant_id for m in rows(Membership, {a.membership_id for a in rights})}
    for conn in rows(Connection, objects.get("connection", set())):
        if not commercial_terms_allowed(actor, conn.reseller_id):
            refuse(f"connection {conn.id}")
        tenant_ids.add(conn.customer_id)
    if outside := tenant_ids - managed:
        key = session.exec(select(Tenant.key).where(col(Tenant.id).in_(sorted(outside))).order_by(Tenant.key)).first()
        refuse(f"tenant {key!r}")
    for user in rows(User, objects.get("user", set())):
        if not manages_user(session, actor, user.id, managed=managed):
            refuse(f"user {user.login!r}")


# -- personal data: export and erasure (docs/privacy.md, docs/security.md) ------------------------

def reseller_managed_ids(session: Session, actor: Actor) -> set[int]:
    """The tenants an actor manages *as a reseller*: its reseller tenants and their actively
    connected customers (not tenants where it is merely an admin)."""
    return set(actor.reseller_ids) | customer_ids_of(session, actor.reseller_ids, active_only=True)


def may_erase_user(session: Session, actor: Actor, user_id: int) -> bool:
    """Erasure cannot be undone: the operator, or a reseller's admin for a person who belongs only
    to the reseller and its actively connected customers. A customer's admin removes members
    (member remove) and asks its reseller or the operator to erase."""
    if actor.is_operator:
        return True
    mine = home_tenant_ids(session, user_id)  # a released person: the tenant that released them
    return bool(mine) and bool(actor.reseller_ids) and mine <= reseller_managed_ids(session, actor)


def may_erase_tenant(session: Session, actor: Actor, tenant: Tenant) -> bool:
    """The operator, or the admin of the reseller the customer is actively connected to."""
    return actor.is_operator or tenant.id in customer_ids_of(session, actor.reseller_ids, active_only=True)


def may_export_user(session: Session, actor: Actor, user_id: int) -> bool:
    """A person's own data (Art. 15), or the operator. Not a tenant's or reseller's admin: the
    record spans the whole platform (invitations from other tenants, their audit entries and mails
    naming the person), which is outside any admin's scope."""
    return actor.is_operator or actor.user_id == user_id
