"""Company names that are "almost" a stored tenant's: the same after case, `&`/`und`, spaces and
dots (`Co.KG`/`Co. KG`), umlauts written as `ae`/`oe`/`ue`/`ss`, accents and the spelled-out legal
form (`Gesellschaft mit beschränkter Haftung` = `GmbH`). Such a name in a file is a problem or a
plan warning naming the stored tenant, never a silent second customer. Computed once per distinct
name: one regular expression over the text, then a dictionary look-up."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_LEGAL_FORMS = (
    ("gesellschaft mit beschraenkter haftung", "gmbh"), ("aktiengesellschaft", "ag"),
    ("kommanditgesellschaft", "kg"), ("offene handelsgesellschaft", "ohg"),
    ("gesellschaft buergerlichen rechts", "gbr"), ("eingetragener kaufmann", "ek"),
    ("eingetragene kauffrau", "ek"), ("e kfm", "ek"), ("e kfr", "ek"), ("eingetragener verein", "ev"),
)
_TOKENS = re.compile(r"[^\W_]+|[&+]")
_AND = frozenset({"und", "u", "and", "&", "+"})


@lru_cache(maxsize=65_536)
def loose_name(name: str) -> str:
    """The form two near names share: `Weiß & Söhne Haustechnik GbR` and `WEISS UND SOEHNE
    Haustechnik G.b.R.` both give `weiss&soehnehaustechnikgbr`."""
    text = unicodedata.normalize("NFC", name).casefold().translate(_UMLAUTS)
    if not text.isascii():  # ASCII (most names, once the umlauts are spelled out) has no accents to drop
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = " ".join("&" if w in _AND else w for w in _TOKENS.findall(text))
    for long, short in _LEGAL_FORMS:
        if long in words:
            words = words.replace(long, short)
    return words.replace(" ", "")


class NearNames:
    """Stored tenants by their loose name (the caller passes the ones the actor may see)."""

    def __init__(self, tenants: list[tuple[str, str]]) -> None:
        self.by_loose: dict[str, list[tuple[str, str]]] = {}
        for key, name in tenants:
            self.by_loose.setdefault(loose_name(name), []).append((key, name))

    def find(self, name: str) -> tuple[str, str] | None:
        """(key, name) of a stored tenant whose name is near `name`, or None."""
        found = self.by_loose.get(loose_name(name))
        return found[0] if found else None
