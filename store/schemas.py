"""What leaves the store: plain, JSON-ready dicts with an explicit field list (a password hash or
token hash can never slip into output)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tenantctl.store.models import AuditEvent, Connection, Membership, Tenant, User


def ts(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def tenant_out(t: Tenant, connection: Connection | None = None, reseller_key: str | None = None,
               terms: dict[str, Any] | None = None) -> dict[str, Any]:
    """terms: the connection's commercial terms as the actor may see them (store/actor.py
    commercial_terms); without it, the connection's own."""
    out: dict[str, Any] = {
        "key": t.key, "name": t.name, "kind": t.kind, "status": t.status, "language": t.language,
        "external_id": t.external_id, "created_at": ts(t.created_at), "created_by": t.created_by,
    }
    if t.time_zone:  # only when the tenant has its own (else the platform's time_zone applies)
        out["time_zone"] = t.time_zone
    if t.kind == "customer":
        out["reseller"] = reseller_key
        if terms is None:
            terms = {"customer_number": connection.customer_number if connection else None,
                     "currency": connection.currency if connection else None,
                     "billing": connection.billing if connection else None}
        out.update(terms)
        out["connection_state"] = connection.state if connection else None
    if t.kind == "reseller":
        out["mail"] = {"sender_name": t.mail_sender_name, "reply_to": t.mail_reply_to,
                       "signature": t.mail_signature}
    return out


def user_out(u: User, memberships: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "login": u.login, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "language": u.language, "time_zone": u.time_zone, "status": u.status,
        "has_password": u.password_hash is not None,
        "last_login_at": ts(u.last_login_at), "created_at": ts(u.created_at), "created_by": u.created_by,
    }
    if memberships is not None:
        out["memberships"] = memberships
    return out


def membership_out(m: Membership, user: User, tenant: Tenant) -> dict[str, Any]:
    return {"tenant": tenant.key, "login": user.login, "email": user.email,
            "name": f"{user.first_name} {user.last_name}", "role": m.role, "status": user.status,
            "since": ts(m.created_at)}


def audit_out(e: AuditEvent, tenant_key: str | None) -> dict[str, Any]:
    return {"id": e.id, "at": ts(e.at), "actor": e.actor, "action": e.action,
            "object_type": e.object_type, "object": e.object_key, "tenant": tenant_key,
            "details": e.details}
