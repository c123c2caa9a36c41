"""A password link: its lifetime and validity, its token (minted only when printed or
delivered: the database holds its SHA-256 alone), checking a token, and its shown form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from tenantctl.store import tokens
from tenantctl.store.context import Ctx
from tenantctl.store.enums import LinkPurpose, UserStatus
from tenantctl.store.errors import InvalidInput
from tenantctl.store.mail.minters import minter
from tenantctl.store.models import PasswordLink, User
from tenantctl.store.schemas import ts
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

BAD_LINK = "this password link is invalid or has expired"
BAD_LINK_HINT = "ask for a new link (tenantctl password send-link LOGIN)"
CHUNK = 500

# link id → token minted in this process for `--print-link --also-mail`, so that the mail carries
# the same link that was printed. Memory only; never stored.
_PREMINTED: dict[int, str] = {}


class InvalidLink(InvalidInput):
    def __init__(self) -> None:
        super().__init__(BAD_LINK, hint=BAD_LINK_HINT)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def link_url(settings: Settings, token: str) -> str:
    return f"{str(settings.base_url).rstrip('/')}/password/set?token={token}"


def lifetime(settings: Settings, purpose: str) -> timedelta:
    if purpose == LinkPurpose.initial:
        return timedelta(days=int(settings.initial_link_days))
    return timedelta(hours=int(settings.reset_link_hours))


def is_open(link: PasswordLink, user: User | None, now: datetime) -> bool:
    return (user is not None and link.used_at is None and link.voided_at is None and now <= link.expires_at
            and user.status != UserStatus.disabled and user.credential_version == link.credential_version)


def mint_now(ctx: Ctx, links: Sequence[PasswordLink], *, for_mail: bool = False) -> dict[int, str]:
    """Mint the tokens of fresh links now (for --print-link): only their hashes are stored. With
    for_mail, this process keeps them in memory so that the mails delivered after the commit carry
    the same links (a later delivery by another process mints new ones, superseding these)."""
    out: dict[int, str] = {}
    for chunk in chunks(list(links)):
        for link in chunk:
            token = tokens.new_token(link.id)
            out[link.id] = token
            ctx.session.execute(update(PasswordLink).where(col(PasswordLink.id) == link.id)
                                .values(token_hash=tokens.hash_token(token))
                                .execution_options(synchronize_session=False))
    if for_mail:
        _PREMINTED.update(out)
    return out


@minter("password_link")
def mint_for_mail(session: Session, ref_id: int, settings: Settings) -> dict[str, Any] | None:
    """The minter of "password_link" mails: at delivery, a fresh token for a still-open link (its hash
    replaces any earlier one), or None when the link is no longer valid."""
    link = session.get(PasswordLink, ref_id)
    if link is None:
        return None
    user = session.get(User, link.user_id)
    if not is_open(link, user, utcnow()):
        _PREMINTED.pop(ref_id, None)
        return None
    token = _PREMINTED.pop(ref_id, None)
    if token is None or not tokens.same_hash(link.token_hash, token):
        token = tokens.new_token(ref_id)
        link.token_hash = tokens.hash_token(token)
        session.add(link)
    return {"link": link_url(settings, token)}


def _preload_links(session: Session, link_ids: list[int]) -> list[Any]:
    links = list(session.exec(select(PasswordLink).where(col(PasswordLink.id).in_(link_ids))).all())
    user_ids = sorted({link.user_id for link in links})
    return links + list(session.exec(select(User).where(col(User.id).in_(user_ids))).all())


mint_for_mail.preload = _preload_links  # type: ignore[attr-defined]


def check_token(session: Session, token_text: str, now: datetime | None = None) -> tuple[PasswordLink, User]:
    """The open link and its user for a token, or InvalidLink (the same error for every reason:
    unknown, tampered, expired, used, voided, superseded, stale credential version)."""
    parsed = tokens.parse(token_text or "")
    if parsed is None:
        raise InvalidLink()
    link_id, token = parsed
    link = session.get(PasswordLink, link_id)
    if link is None or not tokens.same_hash(link.token_hash, token):
        raise InvalidLink()
    user = session.get(User, link.user_id)
    if user is None or not is_open(link, user, now or utcnow()):
        raise InvalidLink()
    return link, user


# -- listing links (for --print-link output and tests) --------------------------------------------

def link_out(link: PasswordLink, user: User, token: str | None, settings: Settings) -> dict[str, Any]:
    return {"link_id": link.id, "login": user.login, "email": user.email, "purpose": link.purpose,
            "expires_at": ts(link.expires_at), "link": link_url(settings, token) if token else None}


