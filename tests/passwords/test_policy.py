from __future__ import annotations

import pytest

from tenantctl.store import passwords
from tenantctl.store.errors import InvalidInput


@pytest.mark.parametrize(("password", "message"), [
    ("", "the password is empty"),
    ("            ", "the password is empty"),
    ("kurz-11-zei", "the password has 11 characters; at least 12 are needed"),
    ("x" * 257, "the password has 257 characters; at most 256 are allowed"),
    ("max.mueller", "the password has 11 characters; at least 12 are needed"),
    ("max.mueller-2024!", "the password must not contain your login"),
    ("Mein-MUELLER-Passwort", "the password must not contain a part of your login (mueller)"),
    ("zzzmaxi@domainxx", "the password must not contain a part of your login (max)"),
    ("Hallo-Kontakt-MM-hier", "the password must not contain the local part of your e-mail address"),
    ("1q2w3e4r5t6y", "the password is one of the most common passwords"),
    ("QWERTYUIOP123", "the password is one of the most common passwords"),
])
def test_policy_messages(password, message):
    with pytest.raises(InvalidInput) as err:
        passwords.check_policy(password, "max.mueller", "kontakt-mm@mueller.example")
    assert err.value.message == message
    assert password.strip() == "" or password not in err.value.message + str(err.value.hint)


@pytest.mark.parametrize("password", ["Korrekt-Pferd-Batterie-9", "x" * 256, "ä" * 12, "zwölf zeichen"])
def test_policy_accepts(password):
    passwords.check_policy(password, "max.mueller", "maxi.m@mueller.example")


def test_common_list_is_shipped_and_large():
    common = passwords.common_passwords()
    assert len(common) > 25_000
    assert {"password", "123456", "qwertyuiop123"} <= common


def test_default_hasher_is_argon2id_with_library_defaults():
    from argon2 import PasswordHasher

    passwords.use_hasher(None)  # the real one (the fixture restores the cheap one afterwards)
    h = passwords.hash_password("Korrekt-Pferd-Batterie-9")
    ref = PasswordHasher()
    assert h.startswith(f"$argon2id$v=19$m={ref.memory_cost},t={ref.time_cost},p={ref.parallelism}$")
    assert passwords.verify_password(h, "Korrekt-Pferd-Batterie-9")
    assert not passwords.verify_password(h, "Korrekt-Pferd-Batterie-8")
    assert not passwords.verify_password(None, "Korrekt-Pferd-Batterie-9")


def test_token_helpers_compare_in_constant_time(monkeypatch):
    import hmac

    from tenantctl.store import tokens

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    token = tokens.new_token(7)
    assert tokens.parse(token) == (7, token)
    assert tokens.same_hash(tokens.hash_token(token), token)
    assert not tokens.same_hash(None, token)
    assert calls  # the comparison goes through hmac.compare_digest
    assert len(token.split(".")[1]) == 43  # secrets.token_urlsafe(32)
