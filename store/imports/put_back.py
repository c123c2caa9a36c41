"""Undoing `apply --prune`: the memberships (with their access rights) and bookings a prune removed
are recorded on its run (their rows as they were); the run's undo puts them back. Part of the
import engine, next to the undo that calls it, so that undoing a run never reaches up into the
apply service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert
from sqlmodel import col, select

from tenantctl.store.context import Ctx
from tenantctl.store.models import AccessRight, ImportRunItem, Membership, TenantApplication
from tenantctl.store.types import utcnow


def put_back(ctx: Ctx, items: list[ImportRunItem]) -> int:
    """Put back what `apply --prune` removed: memberships with their access rights, bookings. A pair
    that exists again is skipped and not counted."""
    s = ctx.session
    restored = 0
    for item in items:
        before = dict(item.before or {})
        before["created_at"] = datetime.fromisoformat(before["created_at"]) if before.get("created_at") else utcnow()
        if item.object_type == "membership":
            access = before.pop("access", [])
            exists = s.exec(select(func.count()).where(Membership.user_id == before["user_id"],
                                                       Membership.tenant_id == before["tenant_id"])).one()
            if exists:
                continue
            new_id = s.execute(insert(Membership).values(**before).returning(col(Membership.id))).scalar_one()
            if access:
                s.execute(insert(AccessRight), [{"membership_id": new_id, "application_id": a,
                                                 "created_at": before["created_at"],
                                                 "created_by": before["created_by"]} for a in access])
        else:
            exists = s.exec(select(func.count()).where(
                TenantApplication.tenant_id == before["tenant_id"],
                TenantApplication.application_id == before["application_id"])).one()
            if exists:
                continue
            rights = before.pop("rights", [])
            s.execute(insert(TenantApplication).values(**before))
            alive = set(s.exec(select(Membership.id).where(col(Membership.id).in_(rights))).all()) if rights else set()
            members_alive = sorted(int(a) for a in alive if a)
            if members_alive:
                s.execute(insert(AccessRight), [{"membership_id": m, "application_id": before["application_id"],
                                                 "created_at": before["created_at"],
                                                 "created_by": before["created_by"]} for m in members_alive])
        restored += 1
    return restored
