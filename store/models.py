"""The store's SQLModel tables. Enumerated values are stored as short strings (store/enums.py),
timestamps as aware UTC. `created_by` is the audit label of the actor ("max.mueller" or
"operator:root"), so records stay readable after a user is renamed or removed."""

# No `from __future__ import annotations` here: string annotations make pydantic and SQLAlchemy
# compile and evaluate ~200 of them while the classes are built, every start-up (cProfile of the
# import: 0.34 s → 0.18 s without them).
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tenantctl.store.types import UTCDateTime, utcnow


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Tenant(SQLModel, table=True):
    __tablename__ = "tenant"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(63), unique=True, index=True)
    name: str = Field(sa_type=String(200), index=True)
    kind: str = Field(sa_type=String(16), index=True)
    status: str = Field(default="active", sa_type=String(20), index=True)
    language: str = Field(default="de", sa_type=String(5))
    # the zone the times in its members' mails and pages are shown in (None: the platform's time_zone)
    time_zone: str | None = Field(default=None, sa_type=String(64), nullable=True)
    external_id: str | None = Field(default=None, sa_type=String(100), nullable=True)
    decided_by: str | None = Field(default=None, sa_type=String(120), nullable=True)
    decided_at: datetime | None = _ts(nullable=True)
    decision_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    # a reseller's sender identity in the mails to its customers (None: the platform's)
    mail_sender_name: str | None = Field(default=None, sa_type=String(200), nullable=True)
    mail_reply_to: str | None = Field(default=None, sa_type=String(320), nullable=True)
    mail_signature: str | None = Field(default=None, sa_type=Text, nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))
    updated_at: datetime | None = _ts(nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_type=String(100), unique=True, index=True)
    email: str = Field(sa_type=String(320))
    # lower-cased e-mail: the case-insensitive unique key on every backend
    email_key: str = Field(sa_type=String(320), unique=True, index=True)
    first_name: str = Field(sa_type=String(200))
    last_name: str = Field(sa_type=String(200))
    language: str = Field(default="de", sa_type=String(5))
    # the zone the times in their mails and pages are shown in (None: their tenant's, else the platform's)
    time_zone: str | None = Field(default=None, sa_type=String(64), nullable=True)
    status: str = Field(default="invited", sa_type=String(20), index=True)
    password_hash: str | None = Field(default=None, sa_type=String(255), nullable=True)
    credential_version: int = Field(default=0)
    last_login_at: datetime | None = _ts(nullable=True)
    password_changed_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))
    updated_at: datetime | None = _ts(nullable=True)
    # the tenant whose removal left the person without any membership: its managers may bring
    # them back (docs/security.md); meaningful only while the user has no membership
    released_by_tenant_id: int | None = Field(default=None, foreign_key="tenant.id", nullable=True,
                                              ondelete="SET NULL")


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", name="uq_membership_user_tenant"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", sa_type=String(20))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class Connection(SQLModel, table=True):
    __tablename__ = "connection"
    __table_args__ = (
        UniqueConstraint("reseller_id", "customer_id", name="uq_connection_pair"),
        Index("ix_connection_reseller_number", "reseller_id", "customer_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="tenant.id", index=True)
    customer_id: int = Field(foreign_key="tenant.id", index=True)
    customer_number: str | None = Field(default=None, sa_type=String(64), nullable=True)
    currency: str | None = Field(default=None, sa_type=String(3), nullable=True)
    billing: str = Field(default="customer", sa_type=String(16))
    state: str = Field(default="requested", sa_type=String(20), index=True)
    info_request: str | None = Field(default=None, sa_type=Text, nullable=True)
    info_answer: str | None = Field(default=None, sa_type=Text, nullable=True)
    decision_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    approved_by: str | None = Field(default=None, sa_type=String(120), nullable=True)
    approved_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))
    updated_at: datetime | None = _ts(nullable=True)


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16), index=True)
    from_tenant_id: int = Field(foreign_key="tenant.id", index=True)
    invited_by: str = Field(sa_type=String(120))
    invited_by_user_id: int | None = Field(default=None, foreign_key="user_account.id", nullable=True)
    email: str | None = Field(default=None, sa_type=String(320), nullable=True, index=True)
    customer_name: str | None = Field(default=None, sa_type=String(200), nullable=True)
    customer_number: str | None = Field(default=None, sa_type=String(64), nullable=True)
    currency: str | None = Field(default=None, sa_type=String(3), nullable=True)
    billing: str | None = Field(default=None, sa_type=String(16), nullable=True)
    role: str | None = Field(default=None, sa_type=String(20), nullable=True)
    message: str | None = Field(default=None, sa_type=Text, nullable=True)
    max_uses: int = Field(default=1)
    uses: int = Field(default=0)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="pending", sa_type=String(16), index=True)
    token_hash: str = Field(sa_type=String(64), unique=True, index=True)
    reissue_count: int = Field(default=0)
    # the current link was minted for the invitation mail (not printed): whoever holds it read the
    # invited address's mailbox, so a newcomer may choose the password on the page
    token_mailed: bool = Field(default=False)
    accepted_by: str | None = Field(default=None, sa_type=String(120), nullable=True)
    accepted_at: datetime | None = _ts(nullable=True)
    accepted_tenant_id: int | None = Field(default=None, foreign_key="tenant.id", nullable=True)
    revoked_by: str | None = Field(default=None, sa_type=String(120), nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime | None = _ts(nullable=True)


class PasswordLink(SQLModel, table=True):
    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    purpose: str = Field(sa_type=String(16))
    # null until the token is minted (at delivery or --print-link); only the SHA-256 is kept
    token_hash: str | None = Field(default=None, sa_type=String(64), unique=True, nullable=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    credential_version: int
    used_at: datetime | None = _ts(nullable=True)
    voided_at: datetime | None = _ts(nullable=True)
    void_reason: str | None = Field(default=None, sa_type=String(40), nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class OutboxMail(SQLModel, table=True):
    __tablename__ = "outbox_mail"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(sa_type=String(320))
    to_name: str | None = Field(default=None, sa_type=String(400), nullable=True)
    template: str = Field(sa_type=String(80))
    language: str = Field(default="de", sa_type=String(5))
    # template variables; never a token (tokens are minted at delivery from `ref_type`/`ref_id`)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ref_type: str | None = Field(default=None, sa_type=String(40), nullable=True)
    ref_id: int | None = Field(default=None, nullable=True)
    state: str = Field(default="queued", sa_type=String(16), index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts(nullable=True, index=True)
    last_error: str | None = Field(default=None, sa_type=Text, nullable=True)
    message_id: str | None = Field(default=None, sa_type=String(255), nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    # the body (context) was deleted by retention or an erasure; its .eml file goes with it
    purged_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(sa_type=String(120), index=True)
    action: str = Field(sa_type=String(60), index=True)
    object_type: str = Field(sa_type=String(40))
    object_key: str = Field(sa_type=String(320))
    tenant_id: int | None = Field(default=None, nullable=True, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Application(SQLModel, table=True):
    __tablename__ = "application"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(63), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class TenantApplication(SQLModel, table=True):
    """An application booked for a customer tenant."""

    __tablename__ = "tenant_application"
    __table_args__ = (UniqueConstraint("tenant_id", "application_id", name="uq_tenant_application"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    application_id: int = Field(foreign_key="application.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class AccessRight(SQLModel, table=True):
    """A user's right to use an application within one membership."""

    __tablename__ = "access_right"
    __table_args__ = (UniqueConstraint("membership_id", "application_id", name="uq_access_right"),)

    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="membership.id", index=True, ondelete="CASCADE")
    application_id: int = Field(foreign_key="application.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(sa_type=String(500))
    file_hash: str = Field(sa_type=String(64), index=True)
    actor: str = Field(sa_type=String(120))
    mode: str = Field(sa_type=String(16))
    state: str = Field(default="running", sa_type=String(16))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    problems: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = _ts(nullable=True)


class ImportRunItem(SQLModel, table=True):
    """What a run did to one object: enough to undo it."""

    __tablename__ = "import_run_item"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="import_run.id", index=True, ondelete="CASCADE")
    object_type: str = Field(sa_type=String(40))
    object_id: int
    action: str = Field(sa_type=String(16))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ApiToken(SQLModel, table=True):
    """A personal API token: acts as its user with the user's current rights. Only the SHA-256 of
    the token is kept; the token itself is shown once when it is created."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=String(40))
    token_hash: str = Field(sa_type=String(64), unique=True, index=True)
    read_only: bool = Field(default=False)
    expires_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    revoked_by: str | None = Field(default=None, sa_type=String(120), nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(120))


class RateLimitHit(SQLModel, table=True):
    """One counted attempt at a rate-limited page or endpoint of `tenantctl serve`. On PostgreSQL
    the worker processes count here together (store/services/ratelimits.py), so a client gets the
    documented limit, not workers × limit. `key` is a SHA-256 of the client address or account
    name: no address or login is stored in the clear."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_bucket_key_at", "bucket", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(sa_type=String(40))
    key: str = Field(sa_type=String(64))
    at: float  # seconds since the epoch (the wall clock every worker shares)


class PeriodicJob(SQLModel, table=True):
    """When each periodic housekeeping job of the worker last ran (store/services/housekeeping.py):
    with several workers on one store a job runs once per interval, not once per worker."""

    __tablename__ = "periodic_job"

    name: str = Field(sa_type=String(60), primary_key=True)
    last_run_at: datetime | None = _ts(nullable=True)
    last_result: str | None = Field(default=None, sa_type=Text, nullable=True)


class IdempotencyKey(SQLModel, table=True):
    """An `Idempotency-Key` a caller sent with a creating API request (store/services/idempotency.py):
    the request's fingerprint and, once it committed, its answer, kept 24 hours. Written in the
    request's own transaction, so a stored change always has its key; an answer holding a secret
    (a new token, a printed link) is never kept: those routes take no key."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    key: str = Field(sa_type=String(64))  # SHA-256 of the header's value
    request: str = Field(sa_type=String(300))  # method and path
    fingerprint: str = Field(sa_type=String(64))  # SHA-256 of method, path, query and body
    status: int | None = None  # None: not answered yet (or the answer was lost)
    answer: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
