"""One-time tokens (password links, invitations). A token is `<id>.<secret>`: the id selects the
row, the secret (`secrets.token_urlsafe(32)`) proves possession. Only the SHA-256 of the whole
token is stored, and it is compared in constant time (hmac.compare_digest), so neither the
database nor the timing of a comparison gives a usable token away."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_RE = re.compile(r"^(\d{1,18})\.([A-Za-z0-9_-]{43})$")


def new_token(row_id: int) -> str:
    return f"{row_id}.{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(stored: str | None, token: str) -> bool:
    """Constant-time: does `token` hash to `stored`? False when nothing is stored."""
    candidate = hash_token(token)
    return hmac.compare_digest(stored or "", candidate) and stored is not None


def parse(text: str) -> tuple[int, str] | None:
    """The row id and the token from what a user pasted: the token itself or the whole link
    (`…?token=ID.SECRET` or `…/ID.SECRET`). None when it cannot be a token."""
    raw = text.strip()
    if "token=" in raw:
        raw = raw.split("token=", 1)[1].split("&", 1)[0].split("#", 1)[0]
    elif "/" in raw:
        raw = raw.rstrip("/").rsplit("/", 1)[1]
    match = TOKEN_RE.match(raw)
    if match is None:
        return None
    return int(match.group(1)), raw
