"""An xlsx workbook up to its sheets' cells: the safety checks, which sheets are read (by name,
--sheet, or the one data sheet), notes on the sheets that are not read, each read sheet scanned
(importers/sheetscan.py) before it is parsed, and the problems the scan found (Excel error values,
formulas without a value, hidden rows). The cells themselves are parsed by the reader that asks
(python-calamine row-wise, fastexcel into columns)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantctl.importers import columns, flat, safety, sheetscan
from tenantctl.importers.background import Background
from tenantctl.importers.cells import excel_error, text
from tenantctl.importers.headers import HEADER_SEARCH_ROWS, guess_kind, match
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Problem, Source, Table


@dataclass
class Book:
    path: Path
    wb: Any                                   # python-calamine's workbook: names, visibility, unread sheets
    names: list[str]
    hidden: set[str]
    chosen: list[tuple[str, str | None]]      # (sheet, kind if its name says it)
    notes: list[str] = field(default_factory=list)
    padded_refs: set[str] = field(default_factory=set)


def open_book(path: Path, sheet: str | None, extra: dict[str, str]) -> Book:
    safety.check_xlsx(path)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", hint="save it again as .xlsx") from None
    names = list(wb.sheet_names)
    hidden = {m.name for m in wb.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] != "Visible"}
    chosen: list[tuple[str, str | None]] = []
    if sheet:
        found = [n for n in names if columns.norm(n) == columns.norm(sheet)]
        if not found:
            kind = columns.sheet_kind(sheet)
            found = [n for n in names if kind and columns.sheet_kind(n) == kind]
        if not found:
            raise InvalidInput(f"{path.name} has no sheet {sheet!r}; it has: {', '.join(names)}",
                               hint="pass one of these to --sheet")
        chosen = [(found[0], columns.sheet_kind(sheet) or columns.sheet_kind(found[0]))]
    else:
        # a hidden sheet is not read unless --sheet names it: it holds the lists behind drop-downs,
        # lookups, old data; it is named in the plan
        chosen = [(n, columns.sheet_kind(n)) for n in names if columns.sheet_kind(n) and n not in hidden]
        if not chosen:
            skip = {columns.norm(x) for x in columns.INSTRUCTIONS_SHEET}
            data_sheets = [n for n in names if columns.norm(n) not in skip and n not in hidden]
            if len(data_sheets) > 1:
                _one_sheet_per_customer(path, wb, data_sheets, hidden, extra)
            if len(data_sheets) != 1:
                raise InvalidInput(f"{path.name} has no sheet named Mandanten/Tenants or Benutzer/Users "
                                   f"(it has: {', '.join(names)})", hint="rename the sheets or pass --sheet NAME")
            chosen = [(data_sheets[0], None)]
    return Book(path, wb, names, hidden, chosen)


def note_unread(book: Book, extra: dict[str, str]) -> None:
    """The notes on the sheets that are not read, and their zero-padded tenant references."""
    taken = {n for n, _ in book.chosen}
    skip = {columns.norm(x) for x in columns.INSTRUCTIONS_SHEET}
    unread = [n for n in book.names if n not in taken and columns.norm(n) not in skip]
    notes, book.padded_refs = _unread_sheets(book.path, book.wb, unread, book.hidden, extra)
    book.notes.extend(notes)


def _unread_sheets(path: Path, wb: Any, names: list[str], hidden: set[str], extra: dict[str, str]
                   ) -> tuple[list[str], set[str]]:
    """A note for every sheet that is not imported: its rows and, when its header names known
    columns (people: first name, last name, e-mail), that it looks like data ("sheet
    'Ansprechpartner' (16 rows) was not read"). Each is scanned before it is parsed, like the others.
    Also the zero-padded tenant references of a users sheet among them: the round-trip checks of
    the tenants sheet chosen with --sheet compare its number cells with them."""
    import zipfile

    out: list[str] = []
    padded: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        parts = {name: part for part, name in safety.sheet_parts(zf).items()}
        for name in names:
            state = "hidden sheet" if name in hidden else "sheet"
            try:
                if name in parts:
                    sheetscan.scan(zf, parts[name], name)
                ws = wb.get_sheet_by_name(name)
            except InvalidInput as exc:
                out.append(f"{state} {name!r} was not read: {exc.message}")
                continue
            except Exception:  # a chart sheet or a part python-calamine cannot parse: not data
                out.append(f"{state} {name!r} was not read (not a worksheet)")
                continue
            rows = ws.iter_rows()
            header: list[str] = []
            kind = None
            count = 0
            ref_at = None
            for i, cells in enumerate(rows):
                texts = [text(c) or "" for c in cells]
                if not any(texts):
                    continue
                if kind is None and i < HEADER_SEARCH_ROWS and (k := guess_kind(texts, extra)):
                    kind, header, count = k, texts, 0
                    ref_at = match(header, kind, extra).get("tenant") if kind == "users" else None
                    continue
                count += 1
                if ref_at is not None and ref_at < len(texts) and texts[ref_at][:1] == "0" and texts[ref_at].isdigit():
                    padded.add(texts[ref_at])
            del ws, rows
            if kind is not None:
                if kind == "users" and flat.is_contact_list(header, extra):
                    kind, what = "contacts", "a flat contact list"
                else:
                    what = "a list of people" if kind == "users" else "a list of companies"
                known = match(header, kind, extra)
                cols = ", ".join(header[i] for i in sorted(known.values()))
                out.append(f"{state} {name!r} ({count} rows) was not read, although it looks like {what} "
                           f"({cols}); pass --sheet {name!r} to import it, or rename it")
            elif count:
                out.append(f"{state} {name!r} ({count} rows) was not read")
    return out, padded


def _one_sheet_per_customer(path: Path, wb: Any, sheets: list[str], hidden: set[str], extra: dict[str, str]) -> None:
    """A workbook with one sheet of people per customer (sheets named after the companies) has no
    reading sheet by sheet: refused, naming the reading that works."""
    notes, _ = _unread_sheets(path, wb, sheets, hidden, extra)
    people = [n for n in sheets if any(f"sheet {n!r} (" in note and (
        "like a list of people" in note or "like a flat contact list" in note) for note in notes)]
    if len(people) > 1:
        shown = ", ".join(repr(n) for n in people[:5]) + (", …" if len(people) > 5 else "")
        raise InvalidInput(f"{path.name} has {len(people)} sheets of people ({shown}), one per customer: such a "
                           "workbook is not read sheet by sheet",
                           hint="copy the people onto one sheet with a column Firma holding each sheet's customer "
                                "(its name or customer number) and import that sheet (--sheet NAME)")


def parse_scanned(path: Path, parse: Callable[[str], Any], chosen: list[tuple[str, str | None]],
                  on_scanned: Callable[[], None] | None = None,
                  ) -> tuple[list[tuple[str, str | None, Any]], dict[str, sheetscan.SheetScan]]:
    """Each chosen sheet is scanned (sheetscan: bounded grid, formulas, hidden rows) before
    `parse(name)` parses it; the parse of one sheet (no GIL) overlaps the scan of the next."""
    import zipfile

    scans: dict[str, sheetscan.SheetScan] = {}
    parsed: list[tuple[str, str | None, Any]] = []
    job: Background[Any] | None = None  # one parse at a time: the workbook object is not shared
    with zipfile.ZipFile(path) as zf:
        parts = {name: part for part, name in safety.sheet_parts(zf).items()}
        for name, kind in chosen:
            part = parts.get(name)
            if part is not None:
                scans[name] = sheetscan.scan(zf, part, name)
            if job is not None:
                parsed[-1] = (*parsed[-1][:2], _parsed(job, parsed[-1][0], scans))
            parsed.append((name, kind, None))
            job = Background(parse, name)
        if on_scanned is not None:
            on_scanned()
    if job is not None:
        parsed[-1] = (*parsed[-1][:2], _parsed(job, parsed[-1][0], scans))
    return parsed, scans


def _parsed(job: Background[Any], sheet: str, scans: dict[str, sheetscan.SheetScan]) -> Any:
    """A sheet python-calamine parsed. It refuses some error values it does not know (`#GETTING_DATA`,
    `#SPILL!`): the file is refused naming the cells the scan found, as a row problem would."""
    try:
        return job.result()
    except Exception as exc:
        errors = scans[sheet].errors if sheet in scans else []
        if "error value" not in str(exc) or not errors:
            raise
        shown = "; ".join(excel_error(ref, value) for ref, value in errors[:3])
        raise InvalidInput(f"{sheet}: {shown}", hint="correct the cells in Excel and save again, "
                           "or paste the sheet as values") from None



def ref_row(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit()))


def ref_col(ref: str, table: Table | None) -> str | None:
    letters = "".join(ch for ch in ref if ch.isalpha())
    idx = 0
    for ch in letters:
        idx = idx * 26 + ord(ch) - 64
    if table is not None and 0 < idx <= len(table.headers):
        return table.headers[idx - 1] or letters
    return letters


def scan_problems(src: Source, name: str, table: Table | None, scanned: sheetscan.SheetScan) -> None:
    """What the scan of a read sheet found: hidden or filtered rows (a note), cells with an Excel
    error value in a read column and formulas without a computed value (problems)."""
    hidden_rows = [r for r in scanned.hidden_rows if table is None or r > table.header_row]
    if hidden_rows:
        shown = ", ".join(map(str, hidden_rows[:10])) + (f" and {len(hidden_rows) - 10} more"
                                                          if len(hidden_rows) > 10 else "")
        why = "filtered out (AutoFilter)" if scanned.filtered else "hidden"
        src.notes.append(f"{name}: rows {shown} are {why} in Excel; they are imported like the visible rows "
                         "(delete them in the file to leave them out)")
    if table is not None:
        read_cols = {i + 1 for i in table.fields.values()}
        for ref, value in scanned.errors:
            row = ref_row(ref)
            if row > table.header_row and sheetscan.col_index(ref.rstrip("0123456789")) in read_cols:
                src.problems.append(Problem(name, row, ref_col(ref, table), excel_error(ref, value)))
    for ref in scanned.formulas_without_value:
        src.problems.append(Problem(name, ref_row(ref), ref_col(ref, table),
                                    f"cell {ref} holds a formula without a computed value; "
                                    "open and save the file in Excel, or paste the values"))


def two_sheets(path: Path, src: Source, table: Table) -> None:
    if table.kind in src.tables:
        raise InvalidInput(f"{path.name} has two sheets of {table.kind}: "
                           f"{src.tables[table.kind].sheet!r} and {table.sheet!r}", hint="merge them into one")
