"""Password policy and hashing (argon2id). Pure: no database. Passwords are never logged, never
printed, never put into an error message.

Policy: 12 to 256 characters; not equal to, and not containing, the login, a part of the login
(`max.mueller` → `max`, `mueller`) or the e-mail's local part (parts shorter than 3 characters
are ignored); not one of the 30,000 most common passwords (store/data/common-passwords.txt,
compared case-insensitively); no control characters and at least 12 visible characters (zero-width
and text-direction characters do not count: 12 x U+200B is not a password).

Every password is NFC-normalised before it is checked, hashed or verified (NIST SP 800-63B 5.1.1.2):
"é" typed as one code point or as e + combining accent is the same password."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from tenantctl.store.errors import InvalidInput

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_PART = 3  # login or e-mail parts shorter than this are not looked for inside the password
HINT = "choose a longer passphrase of unrelated words"


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("tenantctl.store.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


# zero-width, direction, unassigned and private-use characters: typed by nobody, shown by nothing
INVISIBLE = frozenset({"Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def check_policy(password: str, login: str, email: str) -> None:
    """Raise InvalidInput naming the first rule the password breaks (details["rule"] names it for
    the pages, which say it in the user's language)."""
    password = normalise(password)
    if password == "" or password.strip() == "":
        raise InvalidInput("the password is empty", hint=HINT, details={"rule": "empty"})
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise InvalidInput("the password contains control characters", hint=HINT, details={"rule": "control"})
    shown = [ch for ch in password if unicodedata.category(ch) not in INVISIBLE]  # spaces count
    if all(ch.isspace() for ch in shown):
        raise InvalidInput("the password is made of invisible characters", hint=HINT, details={"rule": "invisible"})
    visible = len(shown)
    if visible < MIN_LENGTH <= len(password):
        raise InvalidInput(f"the password has {visible} visible characters; at least {MIN_LENGTH} are needed",
                           hint=HINT, details={"rule": "too_short", "length": visible})
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password has {len(password)} characters; at least {MIN_LENGTH} are needed",
                           hint=HINT, details={"rule": "too_short", "length": len(password)})
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password has {len(password)} characters; at most {MAX_LENGTH} are allowed",
                           hint="choose a shorter password", details={"rule": "too_long", "length": len(password)})
    lowered = password.casefold()
    login_l = login.casefold()
    local = email.split("@", 1)[0].casefold()
    if lowered == login_l or login_l in lowered:
        raise InvalidInput("the password must not contain your login", hint=HINT, details={"rule": "login"})
    for part in re.split(r"[.\-_]", login_l):
        if len(part) >= MIN_PART and part in lowered:
            raise InvalidInput(f"the password must not contain a part of your login ({part})", hint=HINT,
                               details={"rule": "login_part", "part": part})
    if lowered == local or (len(local) >= MIN_PART and local in lowered):
        raise InvalidInput("the password must not contain the local part of your e-mail address", hint=HINT,
                           details={"rule": "email"})
    if lowered in common_passwords():
        raise InvalidInput("the password is one of the most common passwords", hint=HINT, details={"rule": "common"})


_HASHER: PasswordHasher | None = None


def hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters. Tests swap in cheaper
    parameters through `use_hasher`."""
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher, Type

        _HASHER = PasswordHasher(type=Type.ID)
    return _HASHER


def use_hasher(h: PasswordHasher | None) -> None:
    global _HASHER
    _HASHER = h


def hash_password(password: str) -> str:
    return hasher().hash(normalise(password))


def verify_password(stored: str | None, password: str) -> bool:
    """True if `password` matches; also spends the time of a verification when nothing is stored,
    so an unknown login and a wrong password take the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    h = hasher()
    target = stored or _dummy_hash()
    try:
        ok = h.verify(target, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored is not None


def needs_rehash(stored: str) -> bool:
    return bool(hasher().check_needs_rehash(stored))


_DUMMY: dict[int, str] = {}


def _dummy_hash() -> str:
    h = hasher()
    key = id(h)
    if key not in _DUMMY:
        _DUMMY[key] = h.hash("not a real password: timing equaliser")
    return _DUMMY[key]
