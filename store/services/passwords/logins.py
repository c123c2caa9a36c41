"""The login check in two halves: verify_login (the argon2 verification, read-only) and
record_login (the compare-and-set write), so that the expensive half holds no write lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from tenantctl.store import passwords
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import TenantStatus, UserStatus
from tenantctl.store.errors import PermissionDenied
from tenantctl.store.models import Membership, PasswordLink, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services.passwords import write_seam
from tenantctl.store.types import utcnow

LOGIN_FAILED = "login failed: unknown login or wrong password"

class LoginFailed(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED, hint="check the login and the password")


@dataclass(frozen=True)
class Verified:
    """A password that matched: the user and the hash it matched (for record_login's
    compare-and-set), and the password's new hash when the work factor changed."""

    user_id: int
    password_hash: str
    rehash: str | None = None


def person_key(session: Session, ident: str) -> str:
    """Whom a login or forgot-password attempt is about, whatever spelling was typed (login or
    e-mail): 'user:<id>', or the folded text for a name that is nobody's (web.login_throttle)."""
    from tenantctl.store.services.users import find_user_row

    text_ = (ident or "").strip()
    user = find_user_row(session, text_) if text_ and len(text_) <= 320 else None
    return f"user:{user.id}" if user is not None else "name:" + text_.casefold()[:320]


def login(ctx: Ctx, ident: str, password: str) -> dict[str, Any]:
    """The platform's login in one transaction (the invitation page, which accepts in the same
    one): verify_login then record_login. The CLI and the login check run the two halves in two
    transactions, so that the argon2 verification holds no write lock."""
    return record_login(ctx, verify_login(ctx, ident, password))


def verify_login(ctx: Ctx, ident: str, password: str) -> Verified:
    """The expensive half, read-only: the same LoginFailed for an unknown login (which costs one
    verification of a dummy hash: equal timing), a wrong password, a disabled user and a user
    without an active tenant. Writes nothing; record_login writes the login's effects."""
    from tenantctl.store.services.users import find_user_row

    s = ctx.session
    user = find_user_row(s, ident) if ident and ident.strip() else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.status == UserStatus.disabled or not _in_an_active_tenant(s, user):
        raise LoginFailed()
    assert user.id is not None and user.password_hash is not None
    rehash = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    return Verified(user.id, user.password_hash, rehash)


def record_login(ctx: Ctx, verified: Verified) -> dict[str, Any]:
    """The cheap half, in a write transaction: last login recorded, credential version bumped (so
    the user's open links die, S3), audit event. The user is read again (locked on PostgreSQL);
    a password that changed since verify_login (a link redeemed, another login's rehash), a user
    disabled or left without an active tenant meanwhile: LoginFailed, nothing written — the
    verified password is never written over a newer one. A credential version bumped by anything
    else (a second login, an e-mail change) does not matter: the same hash still matches, so the
    login goes ahead on the version read now."""
    from tenantctl.store.services.users import memberships_of

    s = ctx.session
    write_seam.reached("login")
    user = s.exec(select(User).where(col(User.id) == verified.user_id).with_for_update()
                  .execution_options(populate_existing=True)).first()
    if (user is None or user.password_hash != verified.password_hash or user.status == UserStatus.disabled
            or not _in_an_active_tenant(s, user)):
        raise LoginFailed()
    now = utcnow()
    values: dict[str, Any] = {"credential_version": user.credential_version + 1, "last_login_at": now}
    if verified.rehash:
        values["password_hash"] = verified.rehash
    won = s.execute(update(User).where(col(User.id) == user.id, col(User.credential_version) == user.credential_version,
                                       col(User.password_hash) == verified.password_hash)
                    .values(**values).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise LoginFailed()  # changed between the read and the update (SQLite serialises; PostgreSQL locked it)
    voided = s.execute(update(PasswordLink).where(col(PasswordLink.user_id) == user.id,
                                                  col(PasswordLink.used_at).is_(None),
                                                  col(PasswordLink.voided_at).is_(None))
                       .values(voided_at=now, void_reason="login")
                       .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    record(s, ctx.actor, "auth.login", "user", user.login, None, links_voided=voided)
    s.expire_all()
    return {"login": user.login, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "language": user.language, "last_login_at": ts(now), "links_voided": voided,
            "memberships": memberships_of(s, user.id, None)}  # type: ignore[arg-type]


def can_log_in(s: Session, user: User) -> bool:
    """A login would succeed with the right password: active, in an active tenant."""
    return user.status != UserStatus.disabled and _in_an_active_tenant(s, user)


def _in_an_active_tenant(s: Session, user: User) -> bool:
    """A user whose every tenant is suspended, pending or rejected, or who has no membership
    left, cannot log in (the same answer as a wrong password)."""
    found = s.exec(select(Membership.id).join(Tenant, col(Tenant.id) == Membership.tenant_id)
                   .where(Membership.user_id == user.id, Tenant.status == TenantStatus.active).limit(1)).first()
    return found is not None

