"""Identifier cells Excel has already changed (issue 10, class 2). A customer number, external id,
key or tenant reference is text; a cell that is a date, a yes/no value, a decimal number, a number
with a thousands separator or a number with more than 15 significant digits (Excel keeps 15 and
fills the rest with zeros) is not what the source system exported. Such a cell is a row error that
names the fix: format the column as text and enter the values again (or export them as text).

`problem(raw)` takes the cell as the reader got it: python-calamine's int/float/bool/date for an
xlsx cell, a string for csv (what German Excel wrote: `11.960`, `1,23457E+18`, `01.03.2024`, `WAHR`).
Strings are checked once per distinct value."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

SUSPECT_START = frozenset("0123456789WwFfTt")  # names and keys start otherwise: no check at all
FIX = "format the column as text (Format Cells > Text), enter the values again and save"

_SUSPECT = re.compile(
    r"(?P<thousands>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3}){2,})"
    r"|(?P<sci>[0-9](?:[.,][0-9]+)?E\+?[0-9]+)"
    r"|(?P<date>[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{2}|[0-9]{4})|[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9:.]+)?)"
    r"|(?P<decimal>[0-9]+,[0-9]+|[0-9]+\.[0-9]+)"
    r"|(?P<bool>WAHR|FALSCH|TRUE|FALSE)"
    r"|(?P<long>[0-9]{16,})", re.IGNORECASE)


def problem(raw: object) -> str | None:
    """Why this identifier cell is not the identifier the source system exported, or None."""
    cls = raw.__class__
    if isinstance(raw, str):
        return _text_problem(raw) if raw else None
    if raw is None:
        return None
    if cls is bool:
        return f"holds {'TRUE' if raw else 'FALSE'}, a yes/no cell, not an identifier; {FIX}"
    if cls is float or cls is int:
        value = float(raw)  # type: ignore[arg-type]
        if abs(value) >= 1e15:
            return (f"holds the number {value:.6g} with more than 15 digits: Excel keeps 15 and the rest is "
                    f"lost; {FIX}, or export the column as text")
        if not value.is_integer():
            return f"holds the decimal number {value:g}, not an identifier; {FIX}"
        return None
    if isinstance(raw, dt.date | dt.datetime | dt.time | dt.timedelta):
        return f"holds a date ({raw}): Excel turned the identifier into a date; {FIX}"
    return None


@lru_cache(maxsize=65_536)
def _text_problem(value: str) -> str | None:
    if value[0] not in SUSPECT_START:
        return None
    m = _SUSPECT.fullmatch(value.strip())
    if m is None:
        return None
    kind = m.lastgroup
    if kind == "thousands":
        return f"{value!r} has a thousands separator: the column was formatted as a number; {FIX}"
    if kind == "sci":
        return f"{value!r} is a number Excel shortened to 6 digits (more than 15 digits are lost anyway); {FIX}"
    if kind == "date":
        return f"{value!r} is a date: Excel turned the identifier into a date; {FIX}"
    if kind == "decimal":
        return f"{value!r} is a decimal number, not an identifier; {FIX}"
    if kind == "bool":
        return f"{value!r} is a yes/no value, not an identifier; {FIX}"
    if kind == "long" and value[15:].strip("0") == "":
        return (f"{value!r} has more than 15 digits ending in zeros: Excel kept 15 and set the rest to 0; "
                f"{FIX}, or export the column as text")
    return None
