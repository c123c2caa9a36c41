"""Export tenants and users in the import's own format (same sheets, same headers), within the
actor's scope, so that export → import reports every row unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import col
from sqlmodel import select as _select

from tenantctl.store.actor import commercial_terms, get_tenant, sees_commercial_terms, visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.enums import TenantKind
from tenantctl.store.imports.checks import CHUNK
from tenantctl.store.models import AccessRight, Application, Connection, Membership, Tenant, TenantApplication, User

TENANT_COLUMNS = ("key", "name", "kind", "reseller", "customer_number", "currency", "billing", "language",
                  "external_id", "applications")
USER_COLUMNS = ("first_name", "last_name", "email", "tenant", "role", "language", "login", "access")


def select(*entities: Any) -> Any:
    """sqlalchemy.select, typed loosely: SQLModel's str-typed columns confuse its overloads."""
    return _select(*entities)


def collect(ctx: Ctx, tenant: str | None = None,
            every_membership: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tenant rows, user rows): one user row per user, with their first membership in scope (a
    user in several tenants keeps the others; the import adds, never removes, memberships). The
    operator tenant is not exported (it is not imported either)."""
    s = ctx.session
    visible = visible_tenant_ids(s, ctx.actor)
    stmt = select(Tenant).where(Tenant.kind != TenantKind.operator)
    if tenant:
        t = get_tenant(s, ctx.actor, tenant)
        wanted: set[Any] = {t.id}
        wanted |= set(s.exec(select(Connection.customer_id).where(Connection.reseller_id == t.id)).all())
        stmt = stmt.where(col(Tenant.id).in_(wanted if visible is None else wanted & visible))
    elif visible is not None:
        stmt = stmt.where(col(Tenant.id).in_(visible))
    tenants = list(s.exec(stmt.order_by(
        (Tenant.kind != TenantKind.reseller), col(Tenant.key))).all())
    ids = [t.id for t in tenants]
    keys = {t.id: t.key for t in s.exec(select(Tenant)).all()} if tenants else {}
    apps = {a.id: a.key for a in s.exec(select(Application)).all()}
    conns: dict[int, Connection] = {}
    bookings: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        for c in s.exec(select(Connection).where(col(Connection.customer_id).in_(chunk),
                                                 Connection.state != "rejected").order_by(col(Connection.id))).all():
            # a shared customer: the actor's own connection (store/actor.py: whose terms it may see)
            if c.customer_id not in conns or (sees_commercial_terms(ctx.actor, c)
                                              and not sees_commercial_terms(ctx.actor, conns[c.customer_id])):
                conns[c.customer_id] = c
        for b in s.exec(select(TenantApplication).where(col(TenantApplication.tenant_id).in_(chunk))).all():
            bookings.setdefault(b.tenant_id, []).append(apps[b.application_id])
    trows = []
    for t in tenants:
        c = conns.get(t.id)
        trows.append({"key": t.key, "name": t.name, "kind": t.kind,
                      "reseller": keys.get(c.reseller_id) if c else None, **commercial_terms(ctx.actor, c),
                      "language": t.language, "external_id": t.external_id,
                      "applications": ", ".join(sorted(bookings.get(t.id, [])))})
    urows: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        rows = s.exec(select(Membership, User).join(User, col(User.id) == Membership.user_id)
                      .where(col(Membership.tenant_id).in_(chunk))).all()
        mids = [m.id for m, _ in rows]
        rights: dict[int, list[str]] = {}
        for rchunk in _chunks(mids):
            for r in s.exec(select(AccessRight).where(col(AccessRight.membership_id).in_(rchunk))).all():
                rights.setdefault(r.membership_id, []).append(apps[r.application_id])
        for m, u in rows:
            urows.append({"first_name": u.first_name, "last_name": u.last_name, "email": u.email,
                          "tenant": keys[m.tenant_id], "role": m.role, "language": u.language, "login": u.login,
                          "access": ", ".join(sorted(rights.get(m.id, [])))})
    if every_membership:  # the desired-state document lists a user under each of their tenants
        urows.sort(key=lambda r: (r["tenant"], r["email"].casefold()))
        return trows, urows
    # one row per user (an e-mail twice is a duplicate to the import): the first membership in scope
    urows.sort(key=lambda r: (r["email"].casefold(), r["tenant"]))
    unique = [r for i, r in enumerate(urows) if i == 0 or r["email"].casefold() != urows[i - 1]["email"].casefold()]
    unique.sort(key=lambda r: (r["tenant"], r["email"].casefold()))
    return trows, unique


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]
