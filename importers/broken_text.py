"""Broken characters in a file's names (issue 10, class 3): the rows are named and the reading
that repairs them is suggested. The detector itself is store.damaged_text (a pure function the
store also uses); this module knows how the file was read and so what to suggest."""

from __future__ import annotations

from collections.abc import Callable

from tenantctl.store.damaged_text import Damage, damaged_text

NAME_FIELDS = {"tenants": ("name",), "users": ("first_name", "last_name"),
               "contacts": ("company", "first_name", "last_name", "full_name", "last_first")}
UMLAUTS = frozenset("äöüÄÖÜß")
EXPLAIN = {"utf-8": "UTF-8 read as Windows-1252", "mac-roman": "Mac Roman read as Windows-1252",
           "lost": "a letter was replaced by '?' when the file was saved in an encoding without it"}

Advice = Callable[[Damage], str]


def csv_advice(raw: bytes, used: str, forced: bool) -> Advice:
    """What to do about a damaged value in a csv decoded with `used` (forced: --encoding)."""

    def advice(d: Damage) -> str:
        if d.reading == "mac-roman" and used in {"cp1252", "windows-1252", "latin-1", "iso-8859-1"}:
            return "the file is Mac Roman: import again with --encoding mac_roman"
        if d.reading == "utf-8" and used != "utf-8" and is_utf8(raw):
            return "the file is UTF-8: import again with --encoding utf-8"
        if d.reading == "lost":
            return ("the letter is lost in this file: save it from Excel as 'CSV UTF-8 (durch Trennzeichen "
                    "getrennt)' or import the .xlsx")
        return "the file was damaged before it was saved: correct the names in it or export it again as CSV UTF-8"

    return advice


def xlsx_advice(d: Damage) -> str:
    if d.reading == "lost":
        return "the letter was lost before the text reached this workbook: correct it in the workbook"
    return "the text was damaged before it reached this workbook (no reading repairs it): correct it in the workbook"


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def damaged_cells(kind: str, columns: dict[str, list[str | None]], *, trust_weak: bool, lost_possible: bool = True
                  ) -> list[tuple[int, str, str, Damage]]:
    """(row index, field, value, damage) of damaged name cells. Checked once per distinct value;
    `š` alone counts only when no correct umlaut appears in the names (`trust_weak`: the reading
    was forced with --encoding, then only certain damage counts). lost_possible=False: the file is
    UTF-8 for certain, so a `?` is the text's own ("Warum?Marketing GmbH"), never a lost letter."""
    found: dict[str, Damage] = {}
    umlauts = False
    for field in NAME_FIELDS.get(kind, ()):
        for value in set(columns.get(field, ())):
            if not value or (value.isascii() and ("?" not in value or not lost_possible)):
                continue
            umlauts = umlauts or not UMLAUTS.isdisjoint(value)
            d = damaged_text(value)
            if d is not None and (lost_possible or d.reading != "lost"):
                found[value] = d
    if trust_weak or umlauts:
        found = {v: d for v, d in found.items() if d.certain}
    if not found:
        return []
    out = []
    for field in NAME_FIELDS.get(kind, ()):
        for i, value in enumerate(columns.get(field, ())):
            if value in found:
                out.append((i, field, value, found[value]))
    return out


def message(value: str, d: Damage, advice: Advice) -> str:
    shown = f" ({d.repaired!r}?)" if d.repaired else ""
    return f"{value!r} has broken characters: {EXPLAIN[d.reading]}{shown}; {advice(d)}"
