"""Text that went through the wrong encoding once (issue 10, class 3). A pure function, used by the
import's reader to name damaged rows and by anything that must not replace a correct stored name
with a damaged one.

Three kinds of damage a German support team sees:
- "lost": `?` where Excel replaced a letter outside Windows-1252 when it saved a csv (`?ukasz`,
  `Y?lmaz`); the letter is gone, no encoding brings it back;
- "utf-8": UTF-8 read as Windows-1252 (`MÃ¼ller`): re-encoding gives the right text;
- "mac-roman": Mac Roman read as Windows-1252 (`Sšhne`, `KrŸger`). `š` is also a real letter
  (Czech, Slovene), so a name whose only sign is `š` is `certain=False`: the caller decides with
  the rest of the file (no correct umlaut anywhere → damaged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Damage:
    reading: str          # lost | utf-8 | mac-roman
    repaired: str | None  # the text read the right way, when it can be recovered
    certain: bool = True


# `?` touching a letter on its right, or inside a word: "?ukasz", "Y?lmaz" (not "Was?" or "?")
_LOST = re.compile(r"\?(?=[^\W\d_])|(?<=[^\W\d_])\?(?=[^\W\d_])")
# Mac Roman bytes of äöüÄÖÜß é á read as Windows-1252: Š š Ÿ € … † § Ž ‡, inside or at the end of a word
_MAC_STRONG = re.compile(r"(?<=[^\W\d_])[Ÿ†§‡]|Ÿ(?=[a-z])|(?<=[^\W\d_])[ŠŽ](?=[a-z])|(?<=[a-z])[€…](?=[a-z])")
_MAC_WEAK = re.compile(r"(?<=[^\W\d_])š(?=[a-z])")
# UTF-8 read as Windows-1252: a lead byte (Ã Â Å Ä Å Æ â) followed by a continuation byte's character
_UTF8 = re.compile("[\u00c2-\u00c6\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                   "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


@lru_cache(maxsize=65_536)
def damaged_text(value: str) -> Damage | None:
    """How `value` was damaged, or None. Plain ASCII without `?` costs one method call."""
    if value.isascii():
        return Damage("lost", None) if "?" in value and _LOST.search(value) else None
    if _UTF8.search(value):
        try:
            repaired = value.encode("cp1252").decode("utf-8")
        except UnicodeError:
            repaired = None
        if repaired is not None and repaired != value:
            return Damage("utf-8", repaired)
    strong = _MAC_STRONG.search(value) is not None
    if strong or _MAC_WEAK.search(value):
        try:
            repaired = value.encode("cp1252").decode("mac_roman")
        except UnicodeError:
            repaired = None
        if repaired is not None:
            return Damage("mac-roman", repaired, certain=strong)
    if "?" in value and _LOST.search(value):
        return Damage("lost", None)
    return None


def is_damaged(value: str | None) -> bool:
    """A certain damage (for refusing to store it over a correct value)."""
    found = damaged_text(value) if value else None
    return found is not None and found.certain
