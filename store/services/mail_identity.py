"""Who a mail comes from: a reseller's own sender name, Reply-To and contact line in the mails to
its customers (set with `tenant update --mail-…`), else the platform's (settings mail_from_name,
mail_reply_to, mail_signature). The From address stays the platform's (mail_from): it is the
one the platform's SPF/DKIM cover; replies reach the reseller through Reply-To."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tenantctl.store import rules
from tenantctl.store.enums import ConnectionState, TenantKind
from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import Connection, Membership, Tenant, User
from tenantctl.store.settings import Settings

NAME_MAX = 200
SIGNATURE_MAX = 300


def person_zone(user: User | None, tenant: Tenant | None) -> str | None:
    """The one rule for the time zone of the times in a person's mails and pages: their own
    `time_zone`, else that of the tenant the mail is about (for an account, its home tenant: the
    first membership), else None: the platform's `time_zone` setting, applied when the mail is
    rendered or the page drawn (so a changed setting reaches the mails still queued)."""
    if user is not None and user.time_zone:
        return user.time_zone
    return tenant.time_zone if tenant is not None else None


def home_tenant(session: Session, user: User) -> Tenant | None:
    """The tenant a person's mails and pages speak for when none is named: the first membership."""
    return session.exec(select(Tenant).join(Membership, col(Membership.tenant_id) == Tenant.id)
                        .where(Membership.user_id == user.id).order_by(col(Membership.id))).first()


def recipient_zone(session: Session, address: str) -> str | None:
    """person_zone() of the account with this address (None for an address without an account)."""
    user = session.exec(select(User).where(User.email_key == rules.email_key(address))).first()
    if user is None:
        return None
    return person_zone(user, None if user.time_zone else home_tenant(session, user))


def sender_name(platform: str, reseller: str | None, language: str) -> str:
    if not reseller:
        return platform
    return f"{platform} im Auftrag von {reseller}" if language == "de" else f"{platform} on behalf of {reseller}"


def _one_line(value: str, what: str, limit: int) -> str | None:
    text = " ".join(value.split())
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(f"the {what} has {len(text)} characters; at most {limit} are allowed")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
        raise InvalidInput(f"the {what} contains a control character", hint="type it as plain text")
    return text


def apply(tenant: Tenant, name: str | None, reply_to: str | None, signature: str | None) -> dict[str, list[Any]]:
    """Set (a value) or clear ('') a reseller's sender identity; {field: [old, new]} of what changed."""
    if tenant.kind != TenantKind.reseller:
        raise InvalidInput(f"{tenant.key!r} is a {tenant.kind}: only a reseller has its own sender identity "
                           "in mails", hint="set the platform's with the settings mail_from_name, mail_reply_to "
                                            "and mail_signature")
    new: dict[str, str | None] = {}
    if name is not None:
        new["mail_sender_name"] = _one_line(name, "sender name", NAME_MAX)
    if reply_to is not None:
        new["mail_reply_to"] = rules.normalise_email(reply_to) if reply_to.strip() else None
    if signature is not None:
        new["mail_signature"] = _one_line(signature, "signature", SIGNATURE_MAX)
    changed: dict[str, list[Any]] = {}
    for field, value in new.items():
        old = getattr(tenant, field)
        if old != value:
            changed[field] = [old, value]
            setattr(tenant, field, value)
    return changed


def reseller_for(session: Session, tenant: Tenant | None) -> Tenant | None:
    """The reseller whose identity a mail about `tenant` carries: the tenant itself when it is a
    reseller, a customer's active reseller, else none (the platform speaks)."""
    if tenant is None or tenant.kind == TenantKind.operator:
        return None
    if tenant.kind == TenantKind.reseller:
        return tenant
    return session.exec(select(Tenant).join(Connection, col(Connection.reseller_id) == Tenant.id)
                        .where(Connection.customer_id == tenant.id, Connection.state == ConnectionState.active)
                        .order_by(col(Connection.id))).first()


def identity(settings: Settings, reseller: Tenant | None, language: str) -> dict[str, Any]:
    """The mail context keys of the sender identity: sender (display name), reply_to, signature,
    reseller_name."""
    platform = str(settings.mail_from_name)
    if reseller is None:
        return {"sender": platform, "reply_to": settings.mail_reply_to, "signature": settings.mail_signature,
                "reseller_name": None}
    return {"sender": reseller.mail_sender_name or sender_name(platform, reseller.name, language),
            "reply_to": reseller.mail_reply_to or settings.mail_reply_to,
            "signature": reseller.mail_signature or settings.mail_signature, "reseller_name": reseller.name}
