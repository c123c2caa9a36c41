"""Passwords: NFC before hashing and checking, invisible or control passwords refused, stdin read
up to the first b"\\n" only; secrets read with a bound."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store import passwords
from tenantctl.store.errors import InvalidInput
from tenantctl.store.models import User

PW = "Korrekt-Pferd-Batterie-9"


pytestmark = pytest.mark.usefixtures("fast_hasher")  # tests/conftest.py


def _token(ok: Any, login: str = "max.mueller") -> str:
    return str(ok("password", "send-link", login, "--print-link")["links"][0]["link"].split("token=")[1])


def _hash(store: Any, login: str = "max.mueller") -> str | None:
    with store.transaction(write=False) as s:
        return s.exec(select(User).where(User.login == login)).one().password_hash


@pytest.mark.parametrize(("password", "message"), [
    ("\x00" * 12, "the password contains control characters"),
    ("Pferd\x1b[8mBatterie-9", "the password contains control characters"),
    ("\u200b" * 12, "the password is made of invisible characters"),
    ("\u202e" * 12, "the password is made of invisible characters"),
    ("\u200b \u2028\u202e" * 4, "the password is made of invisible characters"),
    ("Pferd" + "\u200b" * 7, "the password has 5 visible characters; at least 12 are needed"),
])
def test_invisible_and_control_passwords_refused(password: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        passwords.check_policy(password, "max.mueller", "max@mueller.example")
    assert err.value.message == message


def test_nfc_before_hashing_and_checking() -> None:
    composed = "Café-Crème-Brûlée-42"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = passwords.hash_password(decomposed)
    assert passwords.verify_password(stored, composed)
    assert passwords.verify_password(passwords.hash_password(composed), decomposed)
    assert not passwords.verify_password(stored, "Cafe-Creme-Brulee-42")


def test_nfc_through_the_cli(world: Any, ok: Any, cli: Any, store: Any) -> None:
    composed = "Café-Crème-Brûlée-42"
    decomposed = unicodedata.normalize("NFD", composed)
    ok("password", "set", "--password-stdin", input=f"{_token(ok)}\n{decomposed}\n")
    assert passwords.verify_password(_hash(store), composed)
    assert ok("auth", "login", "max.mueller", "--password-stdin", input=f"{composed}\n")["login"] == "max.mueller"


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x0c", "\x1c"])
def test_password_stdin_ends_at_newline_only(world: Any, ok: Any, cli: Any, store: Any, separator: str) -> None:
    # str.splitlines() breaks at each of these: "Korrekt-Pfe" would have been set silently
    password = PW[:11] + separator + PW[11:]
    r = cli("password", "set", "--password-stdin", "--json", input=f"{_token(ok)}\n{password}\n")
    if unicodedata.category(separator) == "Cc":
        assert r.exit_code == 4 and r.json()["error"]["message"] == "the password contains control characters"
        assert _hash(store) is None
        return
    assert r.exit_code == 0, r.stdout
    assert passwords.verify_password(_hash(store), password)
    assert not passwords.verify_password(_hash(store), PW[:11])


def test_crlf_line_end_is_a_line_end(world: Any, ok: Any, store: Any) -> None:
    ok("password", "set", "--password-stdin", input=f"{_token(ok)}\r\n{PW}\r\n")
    assert passwords.verify_password(_hash(store), PW)


def test_token_file_dev_zero_is_a_bounded_read(world: Any, cli: Any) -> None:
    r = cli("password", "set", "--token-file", "/dev/zero", "--password-stdin", "--json", input=f"{PW}\n")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "the token file is larger than 64 KB; refused"
    r = cli("invite", "accept", "--token-file", "/dev/zero", "--json", as_="max.mueller")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "the token file is larger than 64 KB; refused"
    r = cli("invite", "accept", "--json", input="x" * 70_000, as_="max.mueller")
    assert r.exit_code == 4 and "larger than 64 KB" in r.json()["error"]["message"]


def test_token_file_not_utf8(world: Any, cli: Any, tmp_path: Any) -> None:
    f = tmp_path / "t.txt"
    f.write_bytes(b"\xff\xfe")
    r = cli("invite", "accept", "--token-file", str(f), "--json", as_="max.mueller")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "the token file is not UTF-8 text"
