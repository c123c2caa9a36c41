"""The row-wise reader: python-calamine hands every cell to Python and `text()` converts it, a csv
is parsed by csv.reader. Kept beside the columnar reader (importers/read_xlsx.py, read_csv.py) as
its reference: tests/imports/test_columnar_reader.py asserts both build the same Source, and the
columnar reader falls back to it for the files it does not read itself (see read.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from pathlib import Path
from typing import Any

from tenantctl.importers import broken_text, columns, flat, identifiers, safety, sheetscan, xlsx_book
from tenantctl.importers.cells import EXCEL_ERRORS, col_letter, excel_error, text
from tenantctl.importers.csv_text import CsvText, records_of, sep_note
from tenantctl.importers.headers import find_header, header_table, may_be_label, summary_label
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Problem, Source, Table


def load_xlsx(path: Path, sheet: str | None, extra: dict[str, str], header_at: int | None, layout: str,
              on_scanned: Callable[[], None] | None = None, trust_names: bool = False) -> Callable[[], Source]:
    book = xlsx_book.open_book(path, sheet, extra)
    sheets, scans = xlsx_book.parse_scanned(path, book.wb.get_sheet_by_name, book.chosen, on_scanned)
    xlsx_book.note_unread(book, extra)
    if len(sheets) > 1 and layout == "auto":
        layout = "tables"  # a flat contact list is one sheet; the template's sheets are tables
    return lambda: xlsx_tables(path, sheets, scans, extra, book.notes, header_at, layout, trust_names,
                               book.padded_refs)


def xlsx_tables(path: Path, sheets: list[tuple[str, str | None, Any]], scans: dict[str, sheetscan.SheetScan],
                extra: dict[str, str], notes: list[str], header_at: int | None, layout: str,
                trust_names: bool = False, padded_refs: set[str] | None = None) -> Source:
    src = Source(path, "xlsx", padded_refs=padded_refs or set())
    src.notes.extend(notes)
    count = len(sheets)
    while sheets:
        name, kind, ws = sheets.pop(0)  # the parsed sheet is freed once its rows are built
        merged = list(ws.merged_cell_ranges or [])
        try:
            table = _table(src, name, kind, ws.iter_rows(), extra, merged, header_at, layout)  # rows are lists
        except InvalidInput as exc:
            if count > 1 and exc.message.endswith(("the sheet is empty", "only a header row, no data rows")):
                continue  # a workbook may hold tenants only or users only
            raise
        if table is not None:
            if not trust_names:
                check_damage(src, table, broken_text.xlsx_advice, False, genuine_utf8=False)
            xlsx_book.two_sheets(path, src, table)
            src.tables[table.kind] = table
        xlsx_book.scan_problems(src, name, table, scans.get(name) or sheetscan.SheetScan())
    if not src.tables:
        raise InvalidInput(f"{path.name} holds no data rows", hint="fill in the Mandanten and Benutzer sheets")
    return src


def csv_table(text_: CsvText, extra: dict[str, str], header_at: int | None, layout: str) -> Source:
    src = text_.src
    reader, sep = records_of(text_.content)
    sep_note(src, sep)
    table = _table(src, src.path.name, text_.kind, reader, extra, [], header_at, layout, ragged=True)
    if table is not None:
        src.tables[table.kind] = table
        if text_.genuine_utf8 is not None:
            check_damage(src, table, text_.advice, text_.forced, genuine_utf8=text_.genuine_utf8)
    return src


def check_damage(src: Source, table: Table, advice: broken_text.Advice, forced: bool, *, genuine_utf8: bool) -> None:
    cols = {f: table.column(f) for f in broken_text.NAME_FIELDS.get(table.kind, ()) if f in table.fields}
    for i, field_name, value, damage in broken_text.damaged_cells(table.kind, cols, trust_weak=forced,
                                                                  lost_possible=not genuine_utf8):
        src.problems.append(Problem(table.sheet, table.rows[i][0], table.header_of(field_name),
                                    broken_text.message(value, damage, advice)))


def _table(src: Source, sheet: str, kind: str | None, rows: Iterable[list[Any]], extra: dict[str, str],
           merged: list[Any], header_at: int | None = None, layout: str = "auto", ragged: bool = False) -> Table | None:
    """ragged: a row with more cells than the header is a problem (a csv: a separator inside a
    cell that is not quoted shifts the row, and the cells past the header would be lost)."""
    it = iter(rows)
    header_row, header, kind, fields, replay = find_header(src, sheet, kind, it, extra, header_at)
    table = header_table(src, sheet, kind, header_row, header, fields, extra, merged, layout)
    kind, header, fields = table.kind, table.headers, table.fields
    ident_fields = {f.name for f in columns.KINDS[kind] if f.identifier}
    idxs = list(fields.values())
    ident_pos = [(idx, name, pos) for pos, (name, idx) in enumerate(fields.items()) if name in ident_fields]
    limit = safety.MAX_CELL_CHARS
    # equal texts share one string object: first names, roles, languages and tenant references
    # repeat across 100,000 rows, and each cell would otherwise hold its own copy
    same: dict[str | None, str | None] = {}
    share = same.setdefault
    labels: dict[Any, bool] = {}
    last = replay[-1][0] if replay else header_row
    width = len(header) if ragged else 1 << 30
    for rownum, cells in chain(replay, enumerate(it, start=last + 1)):
        n = len(cells)
        if n > width and any(c.strip() for c in cells[width:]):
            src.problems.append(Problem(sheet, rownum, None, f"the row has {n} cells, the header {width}: a "
                                        "separator inside a cell that is not quoted? The row is shifted and its "
                                        "last cells would be lost; quote the cell or correct the row"))
        values = [share(t := text(cells[j]), t) if j < n else None for j in idxs]
        if not any(values):
            continue  # empty rows are not rows (a million trailing ones cost nothing)
        hit = labels.get(first := cells[0])  # per distinct first cell: could it be a totals label?
        if hit is None:
            hit = labels[first] = may_be_label(first)
        if hit:
            label = summary_label(cells, values)
            if label is not None:  # refused with its row, and not planned as a company or person
                src.problems.append(Problem(sheet, rownum, None, f"{label!r} is a totals row, not a "
                                            f"{'company' if kind == 'tenants' else 'person'}: delete the row"))
                continue
        if sum(len(v) for v in values if v) > limit:
            for pos, v in enumerate(values):
                if v is not None and len(v) > limit:
                    src.problems.append(Problem(sheet, rownum, header[idxs[pos]],
                                                f"cell has {len(v):,} characters; at most {limit:,}"))
                    values[pos] = ""
        for j, name, _ in ident_pos:  # cells that are not text (xlsx); texts: per column below
            raw = cells[j] if j < n else None
            if raw.__class__ is not str and raw is not None:
                if why := identifiers.problem(raw):
                    src.problems.append(Problem(sheet, rownum, header[j], why))
                elif raw.__class__ is float or raw.__class__ is int:
                    table.numbers.add((rownum, name))
        table.rows.append((rownum, tuple(values)))
    if not table.rows:
        raise InvalidInput(f"{sheet}: only a header row, no data rows")
    if any(e in same for e in EXCEL_ERRORS):  # error values as text (a csv Excel wrote): ~20 look-ups
        names = table.names
        for rownum, vals in table.rows:
            for pos, v in enumerate(vals):
                if v in EXCEL_ERRORS:
                    idx = fields[names[pos]]
                    src.problems.append(Problem(sheet, rownum, header[idx],
                                                excel_error(f"{col_letter(idx)}{rownum}", v or "")))
    for j, name, pos in ident_pos:  # identifier texts German Excel wrote: once per distinct value
        wrong: dict[str | None, str] = {}
        for v in set(table.column(name)):
            if v and v[0] in identifiers.SUSPECT_START and (why := identifiers.problem(v)):
                wrong[v] = why
        if wrong:
            src.problems.extend(Problem(sheet, rownum, header[j], wrong[vals[pos]])
                                for rownum, vals in table.rows if vals[pos] in wrong)
    if kind == "contacts":
        flat.fill_merged(table, merged)
    return table


