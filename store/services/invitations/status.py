"""An invitation's lifetime and status (computed here and nowhere else: in Python and as SQL
clauses) and how every face shows it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col

from tenantctl.store.durations import parse_duration
from tenantctl.store.enums import InvitationStatus
from tenantctl.store.models import Invitation, Tenant
from tenantctl.store.schemas import ts
from tenantctl.store.types import utcnow

DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)


def parse_lifetime(text: str | None) -> timedelta:
    """`7d`, `12h`, `90m` or a plain number of days; more than 0 and at most 30 days."""
    return parse_duration(text, default=DEFAULT_LIFETIME, maximum=MAX_LIFETIME, example="7d")


def is_expired(inv: Invitation, now: datetime | None = None) -> bool:
    return inv.expires_at <= (now or utcnow())


def status_of(inv: Invitation, now: datetime | None = None) -> str:
    """The status everyone shows: a pending invitation past its expiry is `expired`."""
    if inv.status == InvitationStatus.pending and is_expired(inv, now):
        return InvitationStatus.expired
    return inv.status


def status_clause(status: str, now: datetime) -> Any:
    """The SQL form of status_of(inv) == status (same rule: expires_at <= now is expired)."""
    if status == InvitationStatus.expired:
        return (col(Invitation.status) == InvitationStatus.pending) & (col(Invitation.expires_at) <= now)
    if status == InvitationStatus.pending:
        return (col(Invitation.status) == InvitationStatus.pending) & (col(Invitation.expires_at) > now)
    return col(Invitation.status) == status


def usable_clause(now: datetime) -> Any:
    return status_clause(InvitationStatus.pending, now) & (col(Invitation.uses) < col(Invitation.max_uses))


# -- output -------------------------------------------------------------------------------------

def invitation_out(s: Session, inv: Invitation, now: datetime | None = None) -> dict[str, Any]:
    origin = s.get(Tenant, inv.from_tenant_id)
    accepted = s.get(Tenant, inv.accepted_tenant_id) if inv.accepted_tenant_id else None
    return {
        "id": inv.id, "kind": inv.kind, "status": status_of(inv, now), "from": origin.key if origin else None,
        "from_kind": origin.kind if origin else None, "invited_by": inv.invited_by, "email": inv.email,
        "customer_name": inv.customer_name, "customer_number": inv.customer_number, "currency": inv.currency,
        "billing": inv.billing, "role": inv.role, "message": inv.message, "uses": inv.uses,
        "max_uses": inv.max_uses, "created_at": ts(inv.created_at), "expires_at": ts(inv.expires_at),
        "reissued": inv.reissue_count, "accepted_by": inv.accepted_by, "accepted_at": ts(inv.accepted_at),
        "accepted_tenant": accepted.key if accepted else None, "revoked_by": inv.revoked_by,
        "revoked_at": ts(inv.revoked_at),
    }

