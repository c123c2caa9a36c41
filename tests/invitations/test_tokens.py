"""Pure parts: token extraction from pasted text, lifetimes, the one expiry rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import Invitation
from tenantctl.store.services import invitations as inv

SECRET = "A" * 20 + "b-_" + "9" * 20  # 43 URL-safe characters like token_urlsafe(32)
TOKEN = "12." + SECRET  # store/tokens.py: <id>.<secret>, as for password links


def test_invitation_tokens_use_the_one_scheme_and_only_their_sha256_is_kept():
    from tenantctl.store import tokens
    from tenantctl.store.services.invitations.links import mint

    row = Invitation(id=12, kind="partner", from_tenant_id=1, invited_by="x", token_hash="h",
                     expires_at=datetime.now(UTC))
    token = mint(row)
    assert tokens.parse(token) == (12, token) and inv.TOKEN_RE.fullmatch(token)
    assert row.token_hash == tokens.hash_token(token) and len(row.token_hash) == 64 and token not in row.token_hash


@pytest.mark.parametrize("token", [TOKEN, SECRET])  # SECRET alone: a link minted before the one scheme
@pytest.mark.parametrize("pasted", [
    TOKEN, f"  {TOKEN}\n", f"\t'{TOKEN}' ", f"https://platform.example/invite/{TOKEN}",
    f"  https://platform.example/invite/{TOKEN}/  \n", f"https://x.example/accept?token={TOKEN}&lang=de",
    f"<https://platform.example/invite/{TOKEN}>", f"Ihr Link: https://platform.example/invite/{TOKEN} (7 Tage)",
])
def test_extract_token_accepts_whitespace_and_full_links(pasted, token):
    assert inv.extract_token(pasted.replace(TOKEN, token)) == token


def test_extract_token_refuses_ambiguous_and_empty_text():
    other = "B" * 43
    with pytest.raises(InvalidInput, match="more than one invitation token"):
        inv.extract_token(f"https://p.example/invite/{TOKEN} https://p.example/invite/{other}")
    with pytest.raises(InvalidInput, match="no invitation token given"):
        inv.extract_token("   \n")
    with pytest.raises(InvalidInput) as exc:
        inv.extract_token("https://platform.example/invite/short")
    assert exc.value.message == inv.INVALID_TOKEN[0]


@pytest.mark.parametrize(("text", "delta"), [
    (None, timedelta(days=7)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)), ("48h", timedelta(hours=48)),
    ("3", timedelta(days=3)), (" 90m ", timedelta(minutes=90)),
])
def test_parse_lifetime(text, delta):
    assert inv.parse_lifetime(text) == delta


@pytest.mark.parametrize(("text", "message"), [
    ("0d", "more than zero"), ("-1d", "more than zero"), ("0", "more than zero"), ("31d", "maximum of 30 days"),
    ("721h", "maximum of 30 days"), ("7w", "not understood"), ("soon", "not understood"),
])
def test_parse_lifetime_refuses(text, message):
    with pytest.raises(InvalidInput, match=message):
        inv.parse_lifetime(text)


def test_status_of_derives_expired_from_expires_at_only():
    now = datetime(2025, 3, 7, 12, tzinfo=UTC)
    row = Invitation(kind="partner", from_tenant_id=1, invited_by="x", token_hash="h", status="pending",
                     expires_at=now + timedelta(seconds=1))
    assert inv.status_of(row, now) == "pending"
    row.expires_at = now
    assert inv.status_of(row, now) == "expired"
    row.status = "accepted"
    assert inv.status_of(row, now) == "accepted"  # a used invitation stays accepted after its expiry
