"""The one reader of lifetimes (`--expires-in 90d`, `12h`, `30m`, a plain number of days) for every
face: the CLI and the HTTP API pass the same text here and get the same answer, a refusal included
(exit 4 / HTTP 422), whatever the number's size."""

from __future__ import annotations

import re
from datetime import timedelta

from tenantctl.store.errors import InvalidInput

_DURATION = re.compile(r"([+-]?\d+)\s*([dhm]?)")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str | None, *, default: timedelta, maximum: timedelta, what: str = "--expires-in",
                   example: str = "7d") -> timedelta:
    """More than zero and at most `maximum`; `default` for nothing given. A number too large for
    any date (99999999999d) is longer than the maximum, not an internal error."""
    if text is None or not str(text).strip():
        return default
    m = _DURATION.fullmatch(str(text).strip().lower())
    most = _spoken(maximum)
    if not m:
        raise InvalidInput(f"{what} {text!r} is not understood",
                           hint=f"use a number of days, hours or minutes: {example}, 12h, 30m")
    amount, unit = int(m.group(1)), m.group(2) or "d"
    if amount <= 0:
        raise InvalidInput(f"{what} {text!r} must be more than zero", hint=f"use e.g. {example}")
    try:
        delta = timedelta(**{_UNITS[unit]: amount})
    except OverflowError:
        delta = maximum + timedelta(days=1)
    if delta > maximum:
        raise InvalidInput(f"{what} {text!r} is longer than the maximum of {most}", hint=f"use at most {most}")
    return delta


def _spoken(delta: timedelta) -> str:
    return f"{delta.days} days" if delta.days and not delta.seconds else f"{int(delta.total_seconds() // 3600)} hours"
