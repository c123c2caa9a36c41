"""Replacing a person's (or a company's) identifiers by a pseudonym in every text of the store:
audit entries (actor, object, JSON details), `*_by` labels, free text, mail contexts, import
records. One generic pass over every table, so that a column added later is covered too.

What counts as an identifier (docs/privacy.md): the e-mail address and login (any case, as a whole
word), the full name ("Max Müller", "Müller, Max", "Müller Max"), and, under a name field of a
JSON document (first_name, last_name, …), the first or last name alone. A first name alone inside
free text is not recognised: it is not distinctive ("Max" is a word of many people's texts)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, String, Text, cast, func, or_, select, update
from sqlmodel import Session, SQLModel

from tenantctl.store import models  # noqa: F401  (registers every table)

# columns that never hold text about a person
SKIPPED_COLUMNS = frozenset({"password_hash", "token_hash", "file_hash", "key_hash"})
# JSON keys whose value may be a person's first or last name alone
NAME_KEYS = frozenset({"first_name", "last_name", "name", "to_name", "inviter", "inviter_name", "user_name",
                       "invited_by", "accepted_by"})
# word boundaries: a login "max.mueller" is not part of "max.mueller2"; a tenant key "mueller"
# is not part of a login "max.mueller" or of an address "x@mueller.example"
WORD = (r"(?<!\w)", r"(?!\w)")
KEY = (r"(?<![\w.-])", r"(?![\w.-])")


@dataclass
class Identity:
    """What to replace, and by what."""

    pseudonym: str
    needles: list[str]  # searched in every table (distinctive: address, login, full name)
    names: list[str] = field(default_factory=list)  # replaced only as the whole value of a name field
    keys: list[str] = field(default_factory=list)  # tenant keys: stricter boundaries
    # not distinctive inside text (a chosen login "max"): replaced only as a whole value, or at the
    # start of a label ("max@tenant", "max/token", 'max via token "ci"')
    exact: list[str] = field(default_factory=list)
    skip_rows: dict[str, set[int]] = field(default_factory=dict)  # table → ids left alone

    def __post_init__(self) -> None:
        words = sorted({n for n in self.needles if n.strip()}, key=len, reverse=True)
        keys = sorted({k for k in self.keys if k.strip()}, key=len, reverse=True)
        parts = [f"{WORD[0]}{re.escape(w)}{WORD[1]}" for w in words]
        parts += [f"{KEY[0]}{re.escape(k)}{KEY[1]}" for k in keys]
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self._names = {n.casefold() for n in self.names if n.strip()}
        exact = sorted({e for e in self.exact if e.strip()}, key=len, reverse=True)
        self._exact = re.compile("^(?:" + "|".join(re.escape(e) for e in exact) + r")(?=$|@|/| via token )",
                                 re.IGNORECASE) if exact else None

    def rewrite(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, str):
            if key in NAME_KEYS and value.strip().casefold() in self._names:
                return self.pseudonym
            if self._exact:
                value = self._exact.sub(self.pseudonym, value)
            return self._pattern.sub(self.pseudonym, value) if self._pattern else value
        if isinstance(value, list):
            return [self.rewrite(v, key) for v in value]
        if isinstance(value, dict):
            return {self.rewrite(k): self.rewrite(v, k) for k, v in value.items()}
        return value

    def search_terms(self) -> set[str]:
        """Lower-case substrings that a row must contain to be looked at, as stored in text and in
        JSON (where non-ASCII letters are escaped: "m\\u00fcller")."""
        terms: set[str] = set()
        for n in [*self.needles, *self.keys, *self.exact]:
            low = n.strip().lower()
            if low:
                terms |= {low, json.dumps(low)[1:-1]}
        return terms


def person(pseudonym: str, *, login: str, email: str, first_name: str, last_name: str,
           skip_rows: dict[str, set[int]] | None = None) -> Identity:
    first, last = first_name.strip(), last_name.strip()
    # a derived login ("max.mueller") is distinctive in any text; a chosen one without a separator
    # ("max") would also hit other people's names
    distinctive = any(c in login for c in ".-")
    return Identity(pseudonym, [email, f"{first} {last}", f"{last}, {first}", f"{last} {first}"]
                    + ([login] if distinctive else []), names=[first, last],
                    exact=[] if distinctive else [login], skip_rows=skip_rows or {})


def text_columns(table: Any) -> list[Any]:
    return [c for c in table.columns if c.name not in SKIPPED_COLUMNS and not c.primary_key
            and isinstance(c.type, String | Text | JSON)]


def mentions(session: Session, who: Identity, *, tables: Iterable[str] | None = None
             ) -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Every row that names `who`: {table: [(the row without secret columns, its rewritten
    columns)]}. Found by a case-insensitive substring search in SQL, confirmed in Python (word
    boundaries, JSON): the export shows exactly the rows that an erasure rewrites."""
    from tenantctl.store.services import like

    session.flush()
    found: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    terms = sorted(who.search_terms())
    if not terms:
        return found
    for table in SQLModel.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        columns = text_columns(table)
        if not columns:
            continue
        pk = next(iter(table.primary_key.columns))
        shown = [c for c in table.columns if c.name not in SKIPPED_COLUMNS]
        conditions = [func.lower(cast(c, Text) if isinstance(c.type, JSON) else c).like(like(t), escape="\\")
                      for c in columns for t in terms]
        skip = who.skip_rows.get(table.name, set())
        for row in session.execute(select(*shown).where(or_(*conditions)).order_by(pk)).mappings():
            if row[pk.name] in skip:
                continue
            changed = {c.name: new for c in columns if (new := who.rewrite(row[c.name])) != row[c.name]}
            if changed:
                found.setdefault(table.name, []).append((dict(row), changed))
    return found


def rewrite_everywhere(session: Session, who: Identity) -> dict[str, set[int]]:
    """Rewrite every row that names `who`; returns {table: ids of the rows rewritten}."""
    out: dict[str, set[int]] = {}
    for name, rows in mentions(session, who).items():
        table = SQLModel.metadata.tables[name]
        pk = next(iter(table.primary_key.columns))
        for row, changed in rows:
            session.execute(update(table).where(pk == row[pk.name]).values(**changed))
            out.setdefault(name, set()).add(row[pk.name])
    session.expire_all()
    return out
