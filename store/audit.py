"""Every change writes an audit event: actor, action, object, changed fields. Never secrets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from tenantctl.store.actor import Actor
from tenantctl.store.models import AuditEvent

SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash", "smtp_password"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(session: Session, actor: Actor, action: str, object_type: str, object_key: str,
           tenant_id: int | None = None, **details: Any) -> AuditEvent:
    clean = {k: _plain(v) for k, v in details.items() if k not in SECRET_FIELDS}
    event = AuditEvent(actor=actor.label, action=action, object_type=object_type,
                       object_key=object_key, tenant_id=tenant_id, details=clean)
    session.add(event)
    return event


def changes(obj: Any, updates: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `updates` (None = leave alone) to obj; return {field: [old, new]} of what changed."""
    changed: dict[str, list[Any]] = {}
    for name, new in updates.items():
        if new is None:
            continue
        old = getattr(obj, name)
        if old != new:
            changed[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changed
