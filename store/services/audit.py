"""Reading the audit log, within the actor's scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, func, or_, select

from tenantctl.store.actor import audit_scope, get_tenant, visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import AuditEvent, Tenant
from tenantctl.store.schemas import audit_out
from tenantctl.store.services import Page, paginate


def parse_since(text: str) -> datetime:
    """`2026-11-01`, `2026-11-01T08:00`, `01.11.2026`, or a relative `7d` / `12h`."""
    value = text.strip()
    now = datetime.now(UTC)
    if value[:-1].isdigit() and value[-1:] in {"d", "h", "m"}:
        from datetime import timedelta

        n = int(value[:-1])
        try:
            return now - timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[value[-1]]: n})
        except OverflowError:
            raise InvalidInput(f"--since {text!r} reaches back before the year 1",
                               hint="use a date such as 2026-11-01 or a shorter span such as 30d") from None
    for fmt in ("%d.%m.%Y", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"cannot read the date {text!r}", hint="use 2026-11-01, 01.11.2026 or 7d") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_events(ctx: Ctx, *, actor: str | None = None, tenant: str | None = None, action: str | None = None,
                since: str | None = None, user: str | None = None, obj: str | None = None,
                limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    stmt = select(AuditEvent, Tenant.key).outerjoin(Tenant, col(Tenant.id) == AuditEvent.tenant_id)
    stmt = stmt.order_by(col(AuditEvent.id).desc())
    scope = visible_tenant_ids(s, ctx.actor)
    if tenant:
        scope = {get_tenant(s, ctx.actor, tenant).id or 0}
    if scope is not None:
        stmt = stmt.where(audit_scope(s, ctx.actor, scope))
    if actor:
        # a login also finds what that user did with an API token ('rita via token "ci"')
        who = actor.strip().lower()
        stmt = stmt.where(or_(func.lower(AuditEvent.actor) == who,
                              func.lower(AuditEvent.actor).startswith(who + ' via token "', autoescape=True)))
    if action:
        # "tenant" and "tenant." match every tenant.* action, "tenant.create" exactly that one
        a = action.strip().lower().rstrip(".")
        stmt = stmt.where(or_(col(AuditEvent.action) == a, col(AuditEvent.action).startswith(a + ".")))
    if user:
        login = _login_of(ctx, user)
        stmt = stmt.where(or_(
            (col(AuditEvent.object_type) == "user") & (col(AuditEvent.object_key) == login),
            (col(AuditEvent.object_type) == "membership") & (
                (col(AuditEvent.object_key) == login) | col(AuditEvent.object_key).startswith(login + "@"))))
    if obj:
        kind, sep, key = obj.strip().partition(":")
        if sep and kind and key:
            stmt = stmt.where(col(AuditEvent.object_type) == kind.lower(), col(AuditEvent.object_key) == key)
        else:
            stmt = stmt.where(col(AuditEvent.object_key) == obj.strip())
    if since:
        stmt = stmt.where(AuditEvent.at >= parse_since(since))
    rows, total = paginate(s, stmt, limit, offset)
    return Page([audit_out(e, key) for e, key in rows], total, limit, offset)


def _login_of(ctx: Ctx, ident: str) -> str:
    """The login of a user the actor can see; a login no longer in the store (removed by an
    undo) is taken as written, so its history stays findable."""
    from tenantctl.store.errors import NotFound
    from tenantctl.store.services.users import get_user

    try:
        return get_user(ctx, ident).login
    except NotFound:
        if "@" in ident:
            raise
        return ident.strip().lower()
