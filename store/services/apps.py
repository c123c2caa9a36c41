"""The application catalogue (entitlements): applications booked per customer tenant, access rights
per membership. Bookings and rights are written by the import; the catalogue is kept here."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func
from sqlmodel import select as _select

from tenantctl.store import rules
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.errors import Conflict, PermissionDenied
from tenantctl.store.models import AccessRight, Application, TenantApplication


def select(*entities: Any) -> Any:
    """sqlalchemy.select, typed loosely: SQLModel's str-typed columns confuse its overloads."""
    return _select(*entities)


def app_out(a: Application, bookings: int = 0, rights: int = 0) -> dict[str, Any]:
    from tenantctl.store.schemas import ts

    return {"key": a.key, "name": a.name, "bookings": bookings, "access_rights": rights,
            "created_at": ts(a.created_at), "created_by": a.created_by}


def create_app(ctx: Ctx, name: str, key: str | None = None) -> dict[str, Any]:
    if not ctx.actor.is_operator:
        raise PermissionDenied(f"{ctx.actor.label} may not change the application catalogue",
                               hint="the operator keeps the catalogue")
    name = rules.clean_name(name, "application name")
    key = rules.check_tenant_key(key.strip().lower()) if key else rules.tenant_key_base(name)
    s = ctx.session
    if s.exec(select(Application).where(Application.key == key)).first() is not None:
        raise Conflict(f"application {key!r} exists", hint="see tenantctl app list")
    if s.exec(select(Application).where(func.lower(Application.name) == name.lower())).first() is not None:
        raise Conflict(f"an application named {name!r} exists", hint="see tenantctl app list")
    app = Application(key=key, name=name, created_by=ctx.actor.label)
    s.add(app)
    s.flush()
    record(s, ctx.actor, "app.create", "application", key, None, name=name)
    return app_out(app)


def list_apps(ctx: Ctx) -> list[dict[str, Any]]:
    s = ctx.session
    bookings = dict(s.exec(select(TenantApplication.application_id, func.count())
                           .group_by(col(TenantApplication.application_id))).all())
    rights = dict(s.exec(select(AccessRight.application_id, func.count())
                         .group_by(col(AccessRight.application_id))).all())
    apps = s.exec(select(Application).order_by(col(Application.key))).all()
    return [app_out(a, bookings.get(a.id, 0), rights.get(a.id, 0)) for a in apps]
