"""Finding rows by what people type (no scope: callers check it in store/actor.py)."""

from __future__ import annotations

from sqlmodel import Session, select

from tenantctl.store import rules
from tenantctl.store.enums import TenantKind
from tenantctl.store.models import Tenant, User


def find_user_row(session: Session, ident: str) -> User | None:
    """By login or (case-insensitively) by e-mail."""
    text = ident.strip()
    if "@" in text:
        return session.exec(select(User).where(User.email_key == rules.email_key(text))).first()
    return session.exec(select(User).where(User.login == text.lower())).first()


def find_tenant_row(session: Session, key: str) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.key == key.strip().lower())).first()


def operator_tenant(session: Session) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.kind == TenantKind.operator)).first()
