"""Pure rules: derivations and validations with no database access. Every command and the
importer go through these, so a rule lives in exactly one place."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from tenantctl.store.errors import InvalidInput

NAME_MAX = 200
KEY_MAX = 63
KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOGIN_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
RESERVED_LOGINS = frozenset({
    "admin", "administrator", "root", "operator", "system", "support", "postmaster", "hostmaster",
    "webmaster", "abuse", "security", "noreply", "no-reply", "mailer-daemon", "nobody", "daemon",
    "tenantctl", "api", "service", "superuser", "sysadmin",
})
# German transliteration first (ä→ae), then everything else to ASCII (Łukasz→lukasz).
GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"})


def to_ascii(text: str) -> str:
    """The text in ASCII: German letters spelled out (`ü` → `ue`), the rest by anyascii. A text that
    is ASCII once its German letters are spelled out (most names) is returned as it is: NFC leaves
    such a text unchanged and anyascii gives ASCII back unchanged (an import slugs 100,000 names)."""
    spelled = text.translate(GERMAN)
    if spelled.isascii():
        return spelled
    from anyascii import anyascii

    return str(anyascii(unicodedata.normalize("NFC", text).translate(GERMAN)))


def clean_name(value: str | None, field: str) -> str:
    """Trimmed, inner whitespace collapsed, 1..200 printable characters."""
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(f"{field} must not be empty", hint=f"give a {field}",
                           details={"reason": "empty", "field": field})
    if len(text) > NAME_MAX:
        raise InvalidInput(f"{field} is {len(text)} characters long, at most {NAME_MAX} are allowed",
                           hint=f"shorten the {field}",
                           details={"reason": "too_long", "field": field, "length": len(text), "limit": NAME_MAX})
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in text):
        raise InvalidInput(f"{field} contains control characters", hint=f"retype the {field}",
                           details={"reason": "control", "field": field})
    return text


# Characters that make a terminal do something instead of showing text: C0 (ESC starts colour,
# cursor and OSC 8 hyperlink sequences; CR overwrites a line), DEL, C1 (0x9b is a one-byte CSI) and
# the bidi embeddings, overrides and isolates that reorder what is shown (U+202A-U+202E,
# U+2066-U+2069). Refused in free text on input, escaped on output (cli/output.py).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# what multi-line text (messages, reasons) may contain on top of printable characters
TEXT_LAYOUT = frozenset("\n\t")


def control_char(text: str, *, multiline: bool = False) -> str | None:
    """The first control or direction-override character in text (None when there is none)."""
    for match in CONTROL_RE.finditer(text):
        if not (multiline and match.group() in TEXT_LAYOUT):
            return match.group()
    return None


def char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean_text(value: str | None, field: str, limit: int, *, multiline: bool = False) -> str | None:
    """Free text (external id, customer number, messages, reasons): trimmed, None when empty, at
    most `limit` characters, no control or bidi-override characters. `field` is how the user names
    it (the option or column)."""
    text = (value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n")  # a message pasted from Windows
    if not text:
        return None
    bad = control_char(text, multiline=multiline)
    if bad is not None:
        raise InvalidInput(f"{field} contains the control character {char_name(bad)}",
                           hint=f"retype the {field} without control or text-direction characters",
                           details={"reason": "control", "field": field, "char": char_name(bad)})
    if len(text) > limit:
        raise InvalidInput(f"{field} is {len(text)} characters long, at most {limit} are allowed",
                           hint=f"shorten the {field}",
                           details={"reason": "too_long", "field": field, "length": len(text), "limit": limit})
    return text


EXTERNAL_ID_MAX = 100
CUSTOMER_NUMBER_MAX = 64
MESSAGE_MAX = 2000


def clean_external_id(value: str | None) -> str | None:
    return clean_text(value, "external id", EXTERNAL_ID_MAX)


def clean_customer_number(value: str | None) -> str | None:
    return clean_text(value, "customer number", CUSTOMER_NUMBER_MAX)


def clean_message(value: str | None, field: str = "message") -> str | None:
    """Invitation and connection messages, decision reasons: several lines allowed."""
    return clean_text(value, field, MESSAGE_MAX, multiline=True)


def escape_controls(text: str) -> str:
    """Control and bidi characters made visible (`\\x1b`, `\\u202e`); newlines and tabs kept."""
    def visible(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return CONTROL_RE.sub(lambda m: m.group() if m.group() in TEXT_LAYOUT else visible(m), text)


def slug(text: str, sep: str = "-") -> str:
    ascii_text = to_ascii(text).lower().replace("'", "").replace("`", "")
    return sep.join(re.findall(r"[a-z0-9]+", ascii_text))


def tenant_key_base(name: str) -> str:
    """`Müller & Söhne GmbH` → `mueller-soehne-gmbh`."""
    key = slug(name)[:KEY_MAX].strip("-")
    return key or "tenant"


def check_tenant_key(key: str) -> str:
    if len(key) > KEY_MAX or not KEY_RE.match(key):
        raise InvalidInput(f"tenant key {key!r} is not valid",
                           hint="use lower-case letters, digits and single hyphens, at most 63 characters")
    return key


def with_suffix(base: str, n: int, sep: str, limit: int) -> str:
    """The n-th candidate for a unique handle: base, base{sep}2, base{sep}3… kept within limit."""
    if n <= 1:
        return base[:limit]
    suffix = f"{sep}{n}"
    return base[: limit - len(suffix)].rstrip("-.") + suffix


def login_base(first_name: str, last_name: str) -> str:
    """`Max`, `Müller` → `max.mueller`; name parts of several words are joined with hyphens."""
    first, last = slug(first_name), slug(last_name)
    base = ".".join(p for p in (first, last) if p)
    if not base:
        raise InvalidInput(f"cannot derive a login from {first_name!r} {last_name!r}",
                           hint="give first and last name with at least one letter or digit",
                           details={"reason": "no_login", "field": "first name"})
    return base[:100]


def check_login_not_reserved(login: str) -> None:
    # refused: a reserved word on its own, or made only of reserved words ("system.admin")
    # "erased-<n>" is the pseudonym of an erased person (store/services/erasure.py)
    if login in RESERVED_LOGINS or all(part in RESERVED_LOGINS for part in login.split(".")) \
            or login.startswith("erased-"):
        raise InvalidInput(f"the login {login!r} is reserved", hint="use the person's real first and last name",
                           details={"reason": "reserved_login", "field": "first name", "login": login})


def check_login(value: str) -> str:
    """A login chosen by hand (`user create --login`): the shape of derived ones, not reserved."""
    login = value.strip().lower()
    if not login or len(login) > 100 or not LOGIN_RE.match(login):
        raise InvalidInput(f"login {value!r} is not valid",
                           hint="use lower-case letters and digits, parts joined by single dots or hyphens "
                                "(max.mueller), at most 100 characters")
    check_login_not_reserved(login)
    return login


def normalise_email(value: str | None) -> str:
    """Validated and normalised (domain lower-cased, IDN to Unicode). No DNS look-ups."""
    from email_validator import EmailNotValidError, validate_email

    text = (value or "").strip()
    if not text:
        raise InvalidInput("e-mail must not be empty", hint="give an e-mail address",
                           details={"reason": "empty", "field": "e-mail"})
    local = text.rpartition("@")[0]
    if local and not local.isascii():
        # deliverable only through servers that speak SMTPUTF8; many do not, and the password link
        # would bounce days later: refuse now (an IDN domain is fine, it has an ASCII form)
        raise InvalidInput(f"e-mail {text!r} has non-ASCII characters before the @, which many mail servers "
                           "cannot deliver", hint="use the mailbox's ASCII address",
                           details={"reason": "email_non_ascii", "field": "e-mail"})
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidInput(f"invalid e-mail {text!r}: {exc}", hint="correct the address",
                           details={"reason": "email_invalid", "field": "e-mail"}) from None


# Scripts whose letters pass for Latin ones ("а" U+0430 looks like "a"): a word mixing them with
# Latin letters is a likely look-alike (paypal.com with a Cyrillic "а").
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    script = name.split(" ", 1)[0]
    return script if script in CONFUSABLE_SCRIPTS else None


def mixed_script_warning(text: str, field: str) -> str | None:
    """A warning when one word (or domain label) mixes Latin with Cyrillic or Greek letters."""
    if text.isascii():
        return None
    for word in re.split(r"[\W_]+", text):
        scripts = {s for s in map(_script, word) if s is not None} if not word.isascii() else set()
        if len(scripts) > 1:
            names = " and ".join(sorted(s.title() for s in scripts))
            return (f"{field} {text!r} mixes {names} letters in {word!r}: it may imitate another "
                    "name; check it was meant")
    return None


def email_key(email: str) -> str:
    return email.casefold()


@cache
def currencies() -> frozenset[str]:
    text = resources.files("tenantctl.store.data").joinpath("iso4217.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


def normalise_currency(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in currencies():
        raise InvalidInput(f"unknown currency {value!r}", hint="use an ISO 4217 code such as EUR, CHF or USD")
    return code


def check_currency_change(current: str | None, new: str | None) -> None:
    """Currency is fixed for good once set (S4)."""
    from tenantctl.store.errors import Conflict

    if current and new and new != current:
        raise Conflict(f"the currency is fixed at {current} and cannot change to {new}",
                       hint="create a new connection if the customer must be billed in another currency")


def clean_time_zone(text: str, cleared: str = "the platform's") -> str | None:
    """An IANA time zone name (Europe/London, UTC) for a tenant's or a person's mails and pages;
    '' → None (the default, named by `cleared` in the hint: the platform's time_zone setting, or for
    a person their tenant's)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = text.strip()
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{name!r} is not a known time zone", hint="use a name like Europe/London, Europe/Berlin "
                           f"or UTC ('' for {cleared})") from None
    if len(name) > 64 or ("/" not in name and name != "UTC"):
        raise InvalidInput(f"{name!r} is not a time zone name of the form Region/City",
                           hint="use a name like Europe/London or UTC")
    return name
