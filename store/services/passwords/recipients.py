"""Whom password links go to: the users chosen by name or in bulk (only those the actor
fully manages), who already holds an open link, and each user's home tenant and mail identity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from tenantctl.store.actor import get_tenant, managed_tenant_ids, manages_user
from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState, Language, TenantKind, UserStatus
from tenantctl.store.errors import InvalidInput, UsageError
from tenantctl.store.models import Connection, Membership, PasswordLink, Tenant, User
from tenantctl.store.services.passwords.links import chunks, is_open
from tenantctl.store.types import utcnow


def pick_language(user_language: str | None, tenant_language: str | None, default: str) -> str:
    """The user's language, then the tenant's, then the default (all must be one we have)."""
    known = {lang.value for lang in Language}
    for lang in (user_language, tenant_language, default):
        if lang in known:
            return str(lang)
    return "de"


def select_users(ctx: Ctx, idents: Sequence[str], *, tenant: str | None = None,
                 without_password: bool = False) -> tuple[list[User], list[User], int]:
    """(users to send to, disabled users skipped, number of users skipped as outside the actor's
    scope). Named users must be managed by the actor and not disabled; --tenant /
    --without-password select in bulk and skip disabled users, and users who also belong to a
    tenant the actor does not manage (their links are never created, printed or mailed)."""
    from tenantctl.store.services.users import get_user

    s = ctx.session
    if not idents and not tenant and not without_password:
        raise UsageError("name at least one user, or use --tenant KEY or --without-password",
                         hint="e.g. tenantctl password send-link max.mueller")
    chosen: dict[int, User] = {}
    outside = 0
    for ident in idents:
        user = get_user(ctx, ident, manage=True)
        if user.status == UserStatus.disabled:
            raise InvalidInput(f"user {user.login} is disabled; no link was sent to anyone",
                               hint=f"enable the user first: tenantctl user enable {user.login}")
        chosen[user.id] = user  # type: ignore[index]
    if tenant or without_password:
        stmt = select(User).order_by(col(User.id))
        if tenant:
            t = get_tenant(s, ctx.actor, tenant, manage=True)
            stmt = stmt.where(col(User.id).in_(select(Membership.user_id).where(Membership.tenant_id == t.id)))
        else:
            managed = managed_tenant_ids(s, ctx.actor)
            if managed is not None:
                stmt = stmt.where(col(User.id).in_(
                    select(Membership.user_id).where(col(Membership.tenant_id).in_(managed))))
        if without_password:
            stmt = stmt.where(col(User.password_hash).is_(None))
        found = [u for u in s.exec(stmt).all() if u.id not in chosen]
        mine, outside = fully_managed(ctx, found)
        chosen.update({u.id: u for u in mine})  # type: ignore[misc]
    users = [u for u in chosen.values() if u.status != UserStatus.disabled]
    skipped = [u for u in chosen.values() if u.status == UserStatus.disabled]
    return users, skipped, outside


def fully_managed(ctx: Ctx, users: list[User]) -> tuple[list[User], int]:
    """(the users whose every tenant the actor manages, how many others): the rule for sending
    anyone a link, on every bulk path (send-link --tenant/--without-password, apply
    --send-links=missing)."""
    managed = managed_tenant_ids(ctx.session, ctx.actor)
    homes = _tenants_of(ctx.session, [u.id for u in users])  # type: ignore[misc]
    mine = [u for u in users if manages_user(ctx.session, ctx.actor, u.id,  # type: ignore[arg-type]
                                             managed=managed, tenants=homes.get(u.id, set()))]  # type: ignore[arg-type]
    return mine, len(users) - len(mine)


def _tenants_of(session: Session, user_ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for chunk in chunks(user_ids):
        for uid, tid in session.exec(select(Membership.user_id, Membership.tenant_id)
                                     .where(col(Membership.user_id).in_(chunk))):
            out.setdefault(uid, set()).add(tid)
    return out


def with_open_link(session: Session, users: Sequence[User], now: datetime | None = None) -> set[int]:
    """Ids of the users who hold an open link (`send-link --unless-open` leaves them alone)."""
    now = now or utcnow()
    by_id = {u.id: u for u in users}
    out: set[int] = set()
    for chunk in chunks(list(by_id)):
        for link in session.exec(select(PasswordLink).where(col(PasswordLink.user_id).in_(chunk),
                                                            col(PasswordLink.used_at).is_(None),
                                                            col(PasswordLink.voided_at).is_(None))):
            if is_open(link, by_id[link.user_id], now):
                out.add(link.user_id)
    return out


def homes_of(session: Session, user_ids: list[int]) -> dict[int, tuple[Tenant, Tenant | None]]:
    """user id → (home tenant = the first membership, the reseller whose identity its mails carry:
    itself when it is a reseller, a customer's active reseller, else None)."""
    first: dict[int, int] = {}
    for chunk in chunks(user_ids):
        for uid, tid in session.exec(select(Membership.user_id, Membership.tenant_id)
                                     .where(col(Membership.user_id).in_(chunk)).order_by(col(Membership.id))):
            first.setdefault(uid, tid)
    tenant_ids = sorted(set(first.values()))
    tenants: dict[int, Tenant] = {}
    resellers: dict[int, Tenant] = {}
    for chunk in chunks(tenant_ids):
        for t in session.exec(select(Tenant).where(col(Tenant.id).in_(chunk))):
            tenants[t.id] = t  # type: ignore[index]
        rows = session.exec(
            select(Connection.customer_id, Tenant).join(Tenant, col(Tenant.id) == Connection.reseller_id)
            .where(col(Connection.customer_id).in_(chunk), Connection.state == ConnectionState.active)
            .order_by(col(Connection.id)))
        for cid, reseller in rows:
            resellers.setdefault(cid, reseller)

    def brand(t: Tenant) -> Tenant | None:
        if t.kind == TenantKind.reseller:
            return t
        return resellers.get(t.id) if t.kind == TenantKind.customer else None  # type: ignore[arg-type]

    return {uid: (tenants[tid], brand(tenants[tid])) for uid, tid in first.items()}


