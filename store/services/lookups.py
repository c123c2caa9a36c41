"""Prefix look-ups for shell completion: tenant keys and logins the actor may see, nothing else."""

from __future__ import annotations

from sqlmodel import col, select

from tenantctl.store.actor import visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.models import Membership, Tenant, User


def _prefix(text: str) -> str:
    return text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def tenant_keys(ctx: Ctx, prefix: str, limit: int) -> list[str]:
    stmt = select(Tenant.key).where(col(Tenant.key).like(_prefix(prefix), escape="\\"))
    visible = visible_tenant_ids(ctx.session, ctx.actor)
    if visible is not None:
        stmt = stmt.where(col(Tenant.id).in_(visible))
    return list(ctx.session.exec(stmt.order_by(col(Tenant.key)).limit(limit)).all())


def logins(ctx: Ctx, prefix: str, limit: int) -> list[str]:
    stmt = select(User.login).where(col(User.login).like(_prefix(prefix), escape="\\"))
    visible = visible_tenant_ids(ctx.session, ctx.actor)
    if visible is not None:
        stmt = stmt.where(col(User.id).in_(select(Membership.user_id).where(col(Membership.tenant_id).in_(visible))))
    return list(ctx.session.exec(stmt.order_by(col(User.login)).limit(limit)).all())
