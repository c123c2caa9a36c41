"""What `user show` prints beyond the user: open password links and the last mails, so that a
re-run can tell who still needs a link. Its own module: it reads the users, passwords and outbox
services, none of which reads it."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from store.context import Ctx
from store.models import OutboxMail, PasswordLink, User
from store.schemas import ts
from store.services.passwords import is_open
from store.services.users import describe
from store.types import utcnow

LAST_MAILS = 5


def open_links(ctx: Ctx, user: User) -> list[dict[str, Any]]:
    """The user's open password links (never a token: only purpose and times)."""
    now = utcnow()
    rows = ctx.session.exec(select(PasswordLink).where(PasswordLink.user_id == user.id,
                                                       col(PasswordLink.used_at).is_(None),
                                                       col(PasswordLink.voided_at).is_(None))
                            .order_by(col(PasswordLink.id))).all()
    return [{"id": link.id, "purpose": link.purpose, "created_at": ts(link.created_at),
             "expires_at": ts(link.expires_at)} for link in rows if is_open(link, user, now)]


def last_mails(ctx: Ctx, user: User, limit: int = LAST_MAILS) -> list[dict[str, Any]]:
    """The newest mails to the user's address (state, attempts, last error)."""
    rows = ctx.session.exec(select(OutboxMail).where(func.lower(OutboxMail.to_address) == user.email_key)
                            .order_by(col(OutboxMail.id).desc()).limit(limit)).all()
    return [{"id": m.id, "template": m.template, "state": m.state, "attempts": m.attempts,
             "last_error": m.last_error, "created_at": ts(m.created_at), "sent_at": ts(m.sent_at)} for m in rows]


def show_user(ctx: Ctx, user: User) -> dict[str, Any]:
    """`user show`: the user, memberships in scope, open links and last mails."""
    return {**describe(ctx, user), "open_links": open_links(ctx, user), "last_mails": last_mails(ctx, user)}
