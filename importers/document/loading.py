"""A parsed document → the import's row contract: one row per tenant, one per membership, with
the document path of every row for the problems."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantctl.importers.document.reading import parse, refuse_non_document
from tenantctl.importers.document.spec import MEMBERSHIP_FIELDS, TENANT_FIELDS, USER_FIELDS
from tenantctl.importers.document.substitution import substitute
from tenantctl.importers.document.validation import validate
from tenantctl.store.desired import Desired, DesiredTenant
from tenantctl.store.imports.flat import ROW_REF
from tenantctl.store.imports.rows import Problem, Source, Table
from tenantctl.store.nfc import nfc, nfc_deep


@dataclass
class Document:
    source: Source
    desired: Desired
    digest: str
    variables: list[str] = field(default_factory=list)  # the variables it used (names only)


class _Locations:
    """Row numbers ↔ document paths, for Source.locate."""

    def __init__(self) -> None:
        # users row → ("t", tenant index, user index) or ("u", user index, membership index)
        self.users: dict[int, tuple[str, int, int]] = {}

    def locate(self, sheet: str, row: int | None, column: str | None) -> str:
        if row is None:
            return sheet + (f".{column}" if column else "")
        if sheet == "tenants":
            base = f"tenants[{row - 1}]"
        else:
            kind, i, j = self.users.get(row, ("u", row - 1, 0))
            if kind == "t":
                base = f"tenants[{i}].users[{j}]"
                if column == "tenant":  # a nested user has no tenant field: it is the one it is listed under
                    return base
            else:
                base = f"users[{i}].memberships[{j}]" if column in MEMBERSHIP_FIELDS else f"users[{i}]"
        return base + (f".{column}" if column else "")


def _compare(first: tuple[tuple[Any, ...], dict[str, Any]], where: tuple[Any, ...], person: dict[str, Any],
             problems: list[Problem], loc: _Locations) -> None:
    """The same e-mail is one person: names and language must agree wherever it is listed."""
    for f in ("first_name", "last_name", "language"):
        if f in person and f in first[1] and person[f] != first[1][f]:
            there, here = _person_path(first[0]), _person_path(where)
            problems.append(Problem(f"{here}.{f}", None, None, f"{person[f]!r} differs from {first[1][f]!r} at "
                                    f"{there}.{f} (the same e-mail is one person)"))


def _person_path(where: tuple[Any, ...]) -> str:
    kind, i, j = where
    return f"tenants[{i}].users[{j}]" if kind == "t" else f"users[{i}]"


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def load(text: str, name: str, env: Mapping[str, str] | None = None, *, variables: bool = True) -> Document:
    """Parse, substitute the caller's variables `env` (importers/variables.py; never the process's
    environment; not at all with variables=False: a server, see resolved()), validate and
    turn into a Source (one row per tenant, one per membership) plus what --prune and
    --send-links=missing need."""
    env = {} if env is None else env
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # text enters here: values in NFC (store/nfc.py); JSON escapes are only seen once parsed
    raw = parse(nfc(text), name)
    if "\\u" in text:
        raw = nfc_deep(raw)
    problems: list[Problem] = []
    used: list[str] = []
    doc = substitute(raw, env, problems, used) if variables and "${" in text else raw
    if doc is None:
        doc = {}
    refuse_non_document(doc, name)
    problems += validate(doc)
    kind = "json" if text.lstrip()[:1] in {"{", "["} else "yaml"
    loc = _Locations()
    source = Source(Path(name), kind, problems=problems, locate=loc.locate)
    desired = Desired()
    if not isinstance(doc, dict):
        return Document(source, desired, digest, used)
    # rows are built even when the schema found problems: the engine then reports the rules'
    # problems too, so that one run names every problem (entries that are not objects are skipped)
    tenants = Table("tenants", "tenants", 0, list(TENANT_FIELDS), {f: i for i, f in enumerate(TENANT_FIELDS)})
    users = Table("users", "users", 0, list(USER_FIELDS), {f: i for i, f in enumerate(USER_FIELDS)})

    rows = users.rows
    where_of = loc.users
    people: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}  # e-mail → (first place, person)
    clean = not problems  # the schema held: every value is already a string (access: a list)

    def text_of(d: dict[str, Any], k: str) -> str | None:
        v = d.get(k)
        return v if v is None or type(v) is str else as_text(v)

    def person_row(person: dict[str, Any], where: tuple[Any, ...], membership: dict[str, Any],
                   tenant_ref: str | None) -> None:
        # where: ("t", tenant index, user index) or ("u", user index, membership index); the
        # document path is spelled out only for a problem (100,000 rows)
        g = person.get
        email = g("email") if clean else text_of(person, "email")
        first = people.setdefault(str(email or "").casefold(), (where, person))
        if first[1] is not person:
            _compare(first, where, person, problems, loc)
        row = len(rows) + 1
        where_of[row] = where
        if clean:
            access = membership.get("access")
            rows.append((row, (g("first_name"), g("last_name"), email, tenant_ref, membership.get("role"),
                               g("language"), g("login"), ", ".join(access) if access else None)))
        else:
            rows.append((row, (text_of(person, "first_name"), text_of(person, "last_name"), email, tenant_ref,
                               text_of(membership, "role"), text_of(person, "language"), text_of(person, "login"),
                               text_of(membership, "access"))))

    def objects(value: Any) -> list[tuple[int, dict[str, Any]]]:
        return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []

    for i, t in objects(doc.get("tenants")):
        path = f"tenants[{i}]"
        tenants.rows.append((i + 1, tuple(as_text(t.get(f)) for f in TENANT_FIELDS)))
        apps = t.get("applications")
        desired.tenants.append(DesiredTenant(i + 1, path, [str(a) for a in apps] if isinstance(apps, list) else None))
        ref_text = f"{ROW_REF}{i + 1}"  # exactly this tenant, whatever its number or name
        for j, u in objects(t.get("users")):
            person_row(u, ("t", i, j), u, ref_text)
    for i, u in objects(doc.get("users")):
        for j, m in objects(u.get("memberships")):
            person_row(u, ("u", i, j), m, as_text(m.get("tenant")))
    desired.document = doc
    if tenants.rows:
        source.tables["tenants"] = tenants
    if users.rows:
        source.tables["users"] = users
    return Document(source, desired, digest, used)


