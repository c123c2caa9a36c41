"""A sheet's header: which row it is (title rows above it are skipped), which kind of rows it
heads (tenants, users, a flat contact list) and which column holds which field; and the totals
rows (`Summe`, `Anzahl Kunden: 15`) that end a hand-kept list. Shared by the row-wise and the
columnar reader: both see the first rows as Python lists (a dozen rows at most)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tenantctl.importers import columns, flat
from tenantctl.importers.cells import col_letter, text
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Source, Table
from tenantctl.store.rules import char_name, control_char

HEADER_SEARCH_ROWS = 10


def guess_kind(cells: list[str], extra: dict[str, str]) -> str | None:
    """users when the row names an e-mail column or first and last names (a users file is never read
    as tenants because it also has a `Firma` column), else tenants when it names a tenant column."""
    normed = [columns.norm(c) for c in cells]
    user_aliases = columns.aliases("users")
    user_fields = {extra.get(n) or user_aliases.get(n) for n in normed}
    if "email" in user_fields or {"first_name", "last_name"} <= user_fields:
        return "users"
    tenant_aliases = columns.aliases("tenants")
    hits = sum(1 for n in normed if n in tenant_aliases or extra.get(n) in tenant_aliases.values())
    return "tenants" if hits else None


def match(cells: list[str], kind: str, extra: dict[str, str]) -> dict[str, int]:
    known = columns.aliases(kind)
    out: dict[str, int] = {}
    for i, c in enumerate(cells):
        n = columns.norm(c)
        name = extra.get(n) or known.get(n)
        if name and name not in out:
            out[name] = i
    return out


def find_header(src: Source, sheet: str, kind: str | None, it: Iterator[list[Any]], extra: dict[str, str],
                 header_at: int | None) -> tuple[int, list[str], str, dict[str, int], list[tuple[int, list[Any]]]]:
    """(header row, header texts, kind, fields, rows read after the header). Title rows above the
    header are skipped when the header is unambiguous: the first row naming two known columns, with
    only short rows (a title, a date) above it; `--header-row N` names it outright."""
    seen: list[tuple[int, list[Any]]] = []  # filled rows only (the header and up to 10 more)
    for rownum, cells in enumerate(it, start=1):
        if header_at is not None:
            if rownum == header_at:
                seen.append((rownum, cells))
                break
        elif any(text(c) for c in cells):
            seen.append((rownum, cells))
            if len(seen) > HEADER_SEARCH_ROWS:
                break
    if header_at is not None:
        if not seen or seen[-1][0] != header_at or not any(text(c) for c in seen[-1][1]):
            raise InvalidInput(f"{sheet}: row {header_at} is empty, it cannot be the header",
                               hint="pass the row number Excel shows for the header to --header-row")
        header = [text(c) or "" for c in seen[-1][1]]
        k = kind or guess_kind(header, extra)
        fields = match(header, k, extra) if k else {}
        if not k or not fields:
            raise InvalidInput(f"{sheet}: no known column headers in row {header_at} "
                               f"({', '.join(h for h in header if h)[:200]})",
                               hint="use the template (tenantctl import template) or --map \"Header=field\"")
        return header_at, header, k, fields, []
    texts = [(n, [text(c) or "" for c in cells]) for n, cells in seen]
    filled = [(n, t) for n, t in texts if any(t)]
    if not filled:
        raise InvalidInput(f"{sheet}: the sheet is empty", hint="fill in a header row and data rows")
    first_row, first = filled[0]
    k0 = kind or guess_kind(first, extra)
    f0 = match(first, k0, extra) if k0 else {}
    pick: tuple[int, list[str], str, dict[str, int]] | None = (first_row, first, k0, f0) if k0 and f0 else None
    if pick is None or len(f0) < 2:
        for n, t in filled[1:]:
            k = kind or guess_kind(t, extra)
            f = match(t, k, extra) if k else {}
            if k and len(f) >= 2 and len(f) > len(f0):
                above = [row for m, row in filled if m < n]
                if any(sum(1 for c in row if c) > 2 for row in above):
                    raise InvalidInput(f"{sheet}: the header seems to be in row {n}, but the rows above it hold data",
                                       hint=f"pass --header-row {n}, or delete rows {first_row}-{n - 1}")
                title = " / ".join(c for row in above for c in row if c)[:80]
                src.notes.append(f"{sheet}: the header is row {n}; rows {first_row}-{n - 1} above it were skipped "
                                 f"({title!r}); pass --header-row N to name another row")
                pick = (n, t, k, f)
                break
    if pick is None:
        raise InvalidInput(f"{sheet}: no known column headers in row {first_row} "
                           f"({', '.join(h for h in first if h)[:200]})",
                           hint="use the template (tenantctl import template) or --map \"Header=field\"")
    header_row, header, k, fields = pick
    return header_row, header, k, fields, [(n, cells) for n, cells in seen if n > header_row]


SUMMARY_LABEL = re.compile(r"(?:summe|summen|zwischensumme|gesamt|gesamtsumme|gesamtbetrag|total|totals|anzahl|"
                           r"ergebnis|sum|count)\b", re.IGNORECASE)
SUMMARY_START = frozenset("SsGgTtAaEeZzCc")


def may_be_label(first: Any) -> bool:
    """The first cell of a row could be a totals label (or is empty: then the second could be)."""
    if first.__class__ is not str:
        return first is None
    text_ = first.lstrip()
    return not text_ or (text_[0] in SUMMARY_START and SUMMARY_LABEL.match(text_) is not None)


def summary_label(cells: list[Any], values: list[str | None]) -> str | None:
    """A totals row (`Summe`, `Gesamt`, `Anzahl Kunden: 15`) as CRM exports and hand-kept lists end:
    a label in the first filled of the first two cells, and nothing else but numbers or at most one
    more cell (`Total Energies GmbH` with its reseller and customer number is a company)."""
    label = next((c.strip() for c in cells[:2] if c.__class__ is str and c.strip()), None)
    if not label or label[0] not in SUMMARY_START or not SUMMARY_LABEL.match(label):
        return None
    if ":" in label or any(ch.isdigit() for ch in label):
        return label
    others = [v for v in values if v and v != label]
    if len(others) <= 1 or all(v.replace(".", "").replace(",", "").isdigit() for v in others):
        return label
    return None


def header_table(src: Source, sheet: str, kind: str, header_row: int, header: list[str], fields: dict[str, int],
                 extra: dict[str, str], merged: list[Any], layout: str) -> Table:
    """The empty table of a found header, after the checks every reader makes: a flat contact
    list is recognised, merged header cells, missing required columns and control characters in a
    header are refused, ignored columns are noted."""
    if layout == "flat" or (layout == "auto" and flat.is_contact_list(header, extra)):
        kind, fields = "contacts", flat.contact_fields(sheet, header, extra, src.notes)
    header = [" ".join(h.split()) for h in header]  # "Vorname\n(Pflichtfeld)" is shown on one line
    for (r0, c0), (r1, c1) in merged:
        if r0 <= header_row - 1 <= r1 and c1 > c0:
            raise InvalidInput(f"{sheet}: header cells are merged ({col_letter(c0)}{header_row}:"
                               f"{col_letter(c1)}{header_row})",
                               hint="unmerge the header cells so that every column has its own header")
    missing = [f for f in columns.KINDS[kind] if f.required and f.name not in fields]
    if missing:
        raise InvalidInput(
            f"{sheet}: missing required column " + "; ".join(
                f"{f.de!r} (accepted headers: {columns.accepted_headers(f)})" for f in missing),
            hint="add the column, or name the existing one with --map \"Header=field\"")
    for i, h in enumerate(header):  # headers are echoed in notes and problems: no terminal controls
        bad = control_char(h) if h else None
        if bad is not None:
            raise InvalidInput(f"{sheet}: the header of column {col_letter(i)} ({h!r}) contains the control "
                               f"character {char_name(bad)}", hint="retype that header in the file")
    unknown = [h for i, h in enumerate(header) if h and i not in fields.values()]
    if unknown:
        src.notes.append(f"{sheet}: ignored columns: {', '.join(unknown)}")
    return Table(kind, sheet, header_row, header, fields)


def identifier_positions(table: Table) -> list[tuple[int, str, int]]:
    """(column index, field, position in `names`) of the table's identifier fields."""
    ident = {f.name for f in columns.KINDS[table.kind] if f.identifier}
    return [(idx, name, pos) for pos, (name, idx) in enumerate(table.fields.items()) if name in ident]
