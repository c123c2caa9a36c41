"""Titles in front of a person's name (`Dr. med.`, `Prof. Dr.-Ing.`, `Dipl.-Kfm.`, `Herr`, `Frau`,
`Freifrau`, `Graf` …): tenantctl keeps no titles. They are dropped from first and last names read
from files and documents (and so never reach a login: `Dr. med. Hans-Jürgen von der Heide` is
Hans-Jürgen | von der Heide, login `hans-juergen.von-der-heide`), and the plan says which names lost
one. A noble word after the first name (`Sophie Freifrau von Stein`) is part of the last name, as
German naming law has it since 1919; name particles (`von der`) always are."""

from __future__ import annotations

import re
from functools import lru_cache

# compared without dots and hyphens, case-folded: `Dr.-Ing.` → `dring`, `Dipl.-Kfm.` → `diplkfm`
_TITLES = frozenset({
    # salutations
    "herr", "herrn", "frau", "hr", "fr", "mr", "mrs", "ms", "miss", "sir", "madame", "monsieur",
    # academic and professional titles, and the parts of compound doctorates (`Dr. med.`, `Dr. rer. nat.`)
    "dr", "drs", "prof", "professor", "professorin", "pd", "dring", "drmed", "drrernat", "drphil", "drjur",
    "drmeddent", "dipl", "diplom", "dipling", "diplkfm", "diplkff", "diplkffr", "diplinf", "diplpsych", "diplvw",
    "diplbw", "diplphys", "diplchem", "diplbiol", "mag",
    # noble titles standing before the first name
    "freifrau", "freiherr", "frhr", "freiin", "graf", "gräfin", "baron", "baronin", "baroness", "fürst", "fürstin",
    "prinz", "prinzessin", "herzog", "herzogin", "ritter", "edler", "edle",
})
# only after another title: `Dr. med.`, `Dr. rer. nat.`, `Prof. Dr. h.c. mult.`, `Dipl.-Ing. (FH)`
_FOLLOWING = frozenset({"med", "dent", "vet", "rer", "nat", "pol", "phil", "jur", "oec", "soc", "hc", "mult", "habil",
                        "univ", "ing", "(fh)", "mba", "llm", "bsc", "msc"})
_MARKS = re.compile(r"[.\-]")


def is_title(word: str, after_title: bool = False) -> bool:
    bare = _MARKS.sub("", word.casefold())
    return bare in _TITLES or (after_title and bare in _FOLLOWING)


@lru_cache(maxsize=8_192)  # as checks.NAMES_CACHED: names that repeat
def without_titles(name: str) -> str:
    """`name` without the titles in front of it (at least one word is kept)."""
    words = name.split()
    i = 0
    while i < len(words) - 1 and is_title(words[i], i > 0):
        i += 1
    return " ".join(words[i:]) if i else name
