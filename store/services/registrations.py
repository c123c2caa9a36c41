"""Registration approval: the operator decides on organisations that registered through an
invitation (pending_approval → active or rejected). Approval tells the new organisation's admins and
lets its accreditation requests reach the resellers; rejection rejects those requests with it."""

from __future__ import annotations

from typing import Any

from tenantctl.store import rules
from tenantctl.store.actor import get_tenant
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import TenantStatus
from tenantctl.store.errors import Conflict, PermissionDenied
from tenantctl.store.models import Tenant
from tenantctl.store.services import connections
from tenantctl.store.services.tenants import describe
from tenantctl.store.types import utcnow


def _decide(ctx: Ctx, key: str, new_status: str, reason: str | None) -> tuple[Tenant, dict[str, Any]]:
    s, actor = ctx.session, ctx.actor
    tenant = get_tenant(s, actor, key)
    if not actor.is_operator:
        raise PermissionDenied("only the operator approves or rejects registrations",
                               hint="ask an admin of the operator tenant")
    verb = "approved" if new_status == TenantStatus.active else "rejected"
    if tenant.status != TenantStatus.pending_approval:
        raise Conflict(f"tenant {tenant.key!r} is {tenant.status}; only a pending_approval tenant can be {verb}",
                       hint="see tenantctl tenant list --status pending_approval")
    old = tenant.status
    tenant.status = new_status
    tenant.decided_by, tenant.decided_at = actor.label, utcnow()
    tenant.decision_reason = rules.clean_message(reason, "reason")
    tenant.updated_at = tenant.decided_at
    s.add(tenant)
    s.flush()
    record(s, actor, "tenant.approve" if new_status == TenantStatus.active else "tenant.reject", "tenant",
           tenant.key, tenant.id, changed={"status": [old, new_status]}, reason=tenant.decision_reason)
    return tenant, {"status": [old, new_status]}


def approve(ctx: Ctx, key: str, reason: str | None = None) -> dict[str, Any]:
    """pending_approval → active; the new organisation's admins are told, and its accreditation
    requests now reach the resellers."""
    tenant, changed = _decide(ctx, key, TenantStatus.active, reason)
    connections.notify_admins(ctx, tenant, "registration_approved",
                              {"tenant_name": tenant.name, "tenant_key": tenant.key,
                               "base_url": ctx.settings.base_url})
    for conn, reseller in connections.requested_of(ctx.session, tenant):
        connections.announce_request(ctx, conn, reseller, tenant)
    return {**describe(ctx.session, tenant, ctx.actor), "changed": changed}


def reject(ctx: Ctx, key: str, reason: str | None = None) -> dict[str, Any]:
    """pending_approval → rejected; its connection requests are rejected with it."""
    tenant, changed = _decide(ctx, key, TenantStatus.rejected, reason)
    connections.reject_all_of(ctx, tenant, tenant.decision_reason or "registration rejected")
    connections.notify_admins(ctx, tenant, "registration_rejected",
                              {"tenant_name": tenant.name, "tenant_key": tenant.key,
                               "reason": tenant.decision_reason, "base_url": ctx.settings.base_url})
    return {**describe(ctx.session, tenant, ctx.actor), "changed": changed}
