"""Value sets of the domain. Pure Python so that the CLI can offer them as choices without
importing SQLAlchemy (start-up time)."""

from enum import StrEnum


class TenantKind(StrEnum):
    operator = "operator"
    reseller = "reseller"
    customer = "customer"


class TenantStatus(StrEnum):
    pending_approval = "pending_approval"
    active = "active"
    suspended = "suspended"
    rejected = "rejected"


class UserStatus(StrEnum):
    invited = "invited"
    active = "active"
    disabled = "disabled"


class Role(StrEnum):
    admin = "admin"
    member = "member"
    billing = "billing"


class Billing(StrEnum):
    customer = "customer"
    reseller = "reseller"


class ConnectionState(StrEnum):
    requested = "requested"
    info_requested = "info_requested"
    active = "active"
    rejected = "rejected"


class Language(StrEnum):
    de = "de"
    en = "en"


class InvitationKind(StrEnum):
    partner = "partner"
    member = "member"


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    revoked = "revoked"
    expired = "expired"


class LinkPurpose(StrEnum):
    initial = "initial"
    reset = "reset"


class MailState(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
