"""Damaged text: what a file looks like after a wrong encoding or Excel's cp1252 export. Pure
functions, shared by the reader (which reports damaged cells and suggests --encoding) and the
planner (which refuses to overwrite a correct stored name with a damaged one).

Three kinds, each seen in real files:
- `?` where Excel replaced a letter outside cp1252: `?ukasz`, `Y?lmaz`;
- UTF-8 read as cp1252 (or Latin-1): `MÃ¼ller`;
- Mac Roman read as cp1252: `Sšhne`, `KrŸger`."""

from __future__ import annotations

import re
from functools import lru_cache

# a `?` next to a letter: names and company names hold no question marks
_QUESTION = re.compile(r"(?:(?<=\w)\?|\?(?=\w))")
# UTF-8 lead bytes (C2-C3, E2) read as cp1252/Latin-1, followed by a continuation byte's character
_UTF8_AS_1252 = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                           "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
                           "\u20ac\u2122]")
# Mac Roman bytes of äöüßÄÖÜé read as cp1252: Ÿ § … † € Ž inside a word (š and Š too, but they are
# also Czech letters: only counted next to one of the others)
_MAC_AS_1252 = re.compile("(?<=\\w)[\u0178\u00a7\u2026\u2020\u20ac\u017d](?=\\w)|\u0178(?=\\w)|(?<=\\w)\u0178")
_SLAVIC = set("čćřžěůłńśźďťňľĺŕőűČĆŘŽĚŮŁŃŚŹĎŤŇĽĹŔŐŰ")


def _recode(text: str, wrong: str, right: str) -> str | None:
    try:
        out = text.encode(wrong).decode(right)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return out if out != text else None


@lru_cache(maxsize=4096)
def damage(text: str) -> tuple[str, str | None, str | None] | None:
    """(what is wrong, the repaired text if it can be known, the --encoding that reads it right),
    or None for text that looks intact."""
    if not text or (text.isascii() and "?" not in text):
        return None
    if "?" in text and _QUESTION.search(text):
        return ("a letter was replaced by '?' (saved as Windows-1252 / 'CSV (Trennzeichen-getrennt)')",
                None, None)
    if _UTF8_AS_1252.search(text):
        fixed = _recode(text, "cp1252", "utf-8") or _recode(text, "latin-1", "utf-8")
        if fixed is not None:
            return (f"UTF-8 read as Windows-1252 ({text!r} is {fixed!r})", fixed, "utf-8")
    if _MAC_AS_1252.search(text) and not (_SLAVIC & set(text)):
        fixed = _recode(text, "cp1252", "mac_roman")
        if fixed is not None and fixed.isprintable():
            return (f"Mac Roman read as Windows-1252 ({text!r} is {fixed!r})", fixed, "mac_roman")
    return None


def damaged_version_of(new: str, old: str) -> str | None:
    """Why `new` is `old` damaged (a '?' for each letter Excel could not store, or a wrong
    encoding's rendering), or None. Exact: compares with the stored text, no guessing."""
    if new == old or not old or old.isascii():
        return None
    if len(new) == len(old) and "?" in new and all(
            a == b or (a == "?" and not b.isascii()) for a, b in zip(new, old, strict=True)):
        return f"{old!r} with its letters outside Windows-1252 replaced by '?'"
    for wrong, right in (("utf-8", "cp1252"), ("utf-8", "latin-1"), ("mac_roman", "cp1252"), ("cp850", "cp1252")):
        try:
            if old.encode(wrong).decode(right) == new:
                return f"{old!r} in {wrong} read as {right}"
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return None
