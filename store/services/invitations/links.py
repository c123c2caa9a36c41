"""Invitation tokens and links: the one token scheme (store/tokens.py's `<id>.<secret>`, only
its SHA-256 stored), minting, the link, reading a pasted token, and the one invalid-token error."""

from __future__ import annotations

import re

from tenantctl.store import tokens
from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import Invitation
from tenantctl.store.settings import Settings

LINK_PATH = "/invite/"
# store/tokens.py's `<id>.<secret>`, like password links; a bare 43-character secret is an
# invitation link minted before the one scheme (its stored hash still works)
TOKEN_RE = re.compile(r"(?:\d{1,18}\.)?[A-Za-z0-9_-]{43}")
TOKEN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.-])(?:\d{1,18}\.)?[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")

# The one error for every token that cannot be used: it reveals nothing about which case it is.
INVALID_TOKEN = ("this invitation link is not valid: unknown, already used, revoked or expired",
                 "ask the sender for a new invitation")


def invalid_token() -> InvalidInput:
    return InvalidInput(*INVALID_TOKEN, details={"reason": "invalid_token"})


hash_token = tokens.hash_token


def mint(inv: Invitation, *, mailed: bool = False) -> str:
    """A fresh `<id>.<secret>` token for the invitation; its hash replaces the stored one (an
    earlier link dies). The row must have its id (flushed). `mailed`: minted for the invitation
    mail, so only the invited mailbox has it (not the inviter, who gets a printed one)."""
    assert inv.id is not None
    token = tokens.new_token(inv.id)
    inv.token_hash = tokens.hash_token(token)
    inv.token_mailed = mailed
    return token


def password_on_page(inv: Invitation) -> bool:
    """A newcomer may choose the password while accepting only when the link reached them at the
    invited address: then holding the link proves that mailbox, as a password link would. A
    printed link (which the inviter holds) or an open invitation without an address still sends
    the password link to the address the newcomer registers."""
    return bool(inv.email) and inv.token_mailed


def link_for(settings: Settings, token: str) -> str:
    return f"{str(settings.base_url).rstrip('/')}{LINK_PATH}{token}"


def extract_token(text: str | None) -> str:
    """The token from what a person pasted: the token itself (surrounding whitespace and quotes
    ignored) or a full link (path segment or ?token=). Refused when not exactly one token is found."""
    raw = (text or "").strip().strip("'\"<>").strip()
    if not raw:
        raise InvalidInput("no invitation token given", hint="paste the link or the token, or use --token-file")
    if TOKEN_RE.fullmatch(raw):
        return raw
    candidates = TOKEN_IN_TEXT.findall(raw)  # the path segment or ?token= value of a pasted link
    unique = set(candidates)
    if len(unique) == 1:
        return unique.pop()
    if not unique:
        raise invalid_token()
    raise InvalidInput("the pasted text holds more than one invitation token", hint="paste exactly one link")

