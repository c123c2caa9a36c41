"""Setting a password: through a link (compare-and-set against the credential version read,
so that of two racing writes exactly one wins), or a newcomer's first one while accepting an
invitation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from tenantctl.store import passwords
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import UserStatus
from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import PasswordLink, User
from tenantctl.store.schemas import ts
from tenantctl.store.services.passwords import write_seam
from tenantctl.store.services.passwords.links import InvalidLink, check_token
from tenantctl.store.types import utcnow


def redeem(ctx: Ctx, token_text: str, password: str, now: datetime | None = None) -> dict[str, Any]:
    """Set the user's password through a link: policy, argon2id, credential version bumped, this
    link used, every other open link voided, status active, audit event."""
    s = ctx.session
    now = now or utcnow()
    link, user = check_token(s, token_text, now)
    passwords.check_policy(password, user.login, user.email)
    refuse_current(user, password)
    new_hash = passwords.hash_password(password)
    write_seam.reached("redeem")
    seen = link.credential_version
    won = s.execute(update(User).where(col(User.id) == user.id, col(User.credential_version) == seen)
                    .values(password_hash=new_hash, credential_version=seen + 1, status=UserStatus.active,
                            password_changed_at=now, updated_at=now)
                    .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    used = s.execute(update(PasswordLink).where(col(PasswordLink.id) == link.id, col(PasswordLink.used_at).is_(None),
                                                col(PasswordLink.voided_at).is_(None))
                     .values(used_at=now).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if won != 1 or used != 1:
        raise InvalidLink()  # lost a race: the transaction is rolled back
    s.execute(update(PasswordLink).where(col(PasswordLink.user_id) == user.id, col(PasswordLink.id) != link.id,
                                         col(PasswordLink.used_at).is_(None), col(PasswordLink.voided_at).is_(None))
              .values(voided_at=now, void_reason="password_set").execution_options(synchronize_session=False))
    record(s, ctx.actor, "password.set", "user", user.login, None, link_id=link.id, purpose=link.purpose)
    s.expire_all()
    return {"login": user.login, "status": UserStatus.active.value, "password_changed_at": ts(now)}


def refuse_current(user: User, password: str) -> None:
    """A new password must differ from the current one (a "change" to the same password would
    leave an exposed password in place while looking like a fix). One argon2 verification."""
    if user.password_hash and passwords.verify_password(user.password_hash, password):
        raise InvalidInput("the new password is the current password", hint="choose a password you have not used "
                           "for this account", details={"rule": "current"})


def set_first_password(ctx: Ctx, user: User, password: str) -> None:
    """A newcomer's own password, chosen while accepting an invitation that reached their mailbox
    (store.services.invitations.password_on_page): the policy of a password link, argon2id,
    the account active at once; no password link is issued."""
    now = utcnow()
    passwords.check_policy(password, user.login, user.email)
    user.password_hash = passwords.hash_password(password)
    user.credential_version += 1
    user.status = UserStatus.active
    user.password_changed_at = now
    user.updated_at = now
    ctx.session.add(user)
    ctx.session.flush()
    record(ctx.session, ctx.actor, "password.set", "user", user.login, None, via="invitation")


