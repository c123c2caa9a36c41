"""File → the store's row contract (store/imports/rows.py): tables of text rows with Excel's row numbers,
plus problems and notes. No store access. xlsx is read with python-calamine (ten times faster than
openpyxl, DESIGN §8), csv with csv.reader."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers import broken_text, columns, flat, identifiers, safety, sheetscan
from importers.background import Background
from store.errors import InvalidInput, UsageError
from store.imports.rows import Problem, Source, Table
from store.rules import char_name, control_char

ESCAPED_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_SEARCH_ROWS = 10


def text(value: Any) -> str | None:
    """A cell as text: integral floats lose their `.0`, dates become ISO, empty is None."""
    if value.__class__ is str:  # the common case first (called once per cell)
        out = value.strip()
        if out[:1] == "'" and len(out) > 1 and out[1] in ESCAPED_START:
            out = out[1:]  # our own export's formula escape
        return out or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        value = int(value) if value.is_integer() else value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    out = " ".join(str(value).replace("\u00a0", " ").split()) if not isinstance(value, str) else value.strip()
    if len(out) > 1 and out[0] == "'" and out[1] in ESCAPED_START:
        out = out[1:]  # our own export's formula escape
    return out or None


def file_hash(path: Path) -> str:
    """SHA-256 of the file, recorded with the run (`import show`)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Loaded:
    """A file read as far as it goes without building Python rows: safety checks, csv bytes
    decoded, xlsx sheets parsed by python-calamine (which releases the GIL, so `load` runs in a
    background thread while the store's modules load). `source()` builds the tables in the caller's
    thread, where the rows' memory is then freed (issue 5, point 11)."""

    build: Callable[[], Source] | None

    def source(self) -> Source:
        """Once: the parsed sheets are released as soon as their rows are built."""
        build, self.build = self.build, None
        if build is None:
            raise RuntimeError("Loaded.source() called twice")
        return build()


def read(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, layout: str = "auto") -> Source:
    return load(path, sheet=sheet, maps=maps, encoding=encoding, max_mb=max_mb, layout=layout).source()


def load(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, layout: str = "auto") -> Loaded:
    """layout: auto (a single sheet with person and company columns is a flat contact list),
    flat (read it so), tables (never)."""
    if layout not in flat.LAYOUTS:
        raise UsageError(f"--layout {layout!r} is not one of {', '.join(flat.LAYOUTS)}",
                         hint="use --layout flat or --layout tables")
    safety.check_size(path, max_mb)
    suffix = path.suffix.lower()
    extra = columns.parse_maps(maps)
    if suffix in {".xlsx", ".xlsm"}:
        return _load_xlsx(path, sheet, extra, layout)
    if suffix in {".csv", ".txt"}:
        return _load_csv(path, sheet, extra, encoding, layout)
    if suffix == ".xls":
        raise InvalidInput(f"{path.name} is an old Excel .xls file", hint="save it as .xlsx or .csv")
    raise InvalidInput(f"cannot import {path.name}: only .xlsx and .csv are read", hint="save it as .xlsx or .csv")


# -- xlsx --------------------------------------------------------------------------------------------

def _load_xlsx(path: Path, sheet: str | None, extra: dict[str, str], layout: str) -> Loaded:
    safety.check_xlsx(path)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", hint="save it again as .xlsx") from None
    names = list(wb.sheet_names)
    chosen: list[tuple[str, str | None]] = []
    if sheet:
        match = [n for n in names if columns.norm(n) == columns.norm(sheet)]
        if not match:
            kind = columns.sheet_kind(sheet)
            match = [n for n in names if kind and columns.sheet_kind(n) == kind]
        if not match:
            raise InvalidInput(f"{path.name} has no sheet {sheet!r}; it has: {', '.join(names)}",
                               hint="pass one of these to --sheet")
        chosen = [(match[0], columns.sheet_kind(sheet) or columns.sheet_kind(match[0]))]
    else:
        chosen = [(n, columns.sheet_kind(n)) for n in names if columns.sheet_kind(n)]
        if not chosen:
            skip = {columns.norm(x) for x in columns.INSTRUCTIONS_SHEET}
            data_sheets = [n for n in names if columns.norm(n) not in skip]
            if len(data_sheets) != 1:
                raise InvalidInput(f"{path.name} has no sheet named Mandanten/Tenants or Benutzer/Users "
                                   f"(it has: {', '.join(names)})", hint="rename the sheets or pass --sheet NAME")
            chosen = [(data_sheets[0], None)]
    sheets, scans = _parse_scanned(path, wb, chosen)
    if len(sheets) > 1 and layout == "auto":
        layout = "tables"  # a flat contact list is one sheet; the template's sheets are tables
    return Loaded(lambda: _xlsx_tables(path, sheets, scans, extra, layout))


def _parse_scanned(path: Path, wb: Any, chosen: list[tuple[str, str | None]]
                   ) -> tuple[list[tuple[str, str | None, Any]], dict[str, sheetscan.SheetScan]]:
    """Each chosen sheet is scanned (sheetscan: bounded grid, formulas, hidden rows) before
    python-calamine parses it; the parse of one sheet (no GIL) overlaps the scan of the next."""
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
                parsed[-1] = (*parsed[-1][:2], job.result())
            parsed.append((name, kind, None))
            job = Background(wb.get_sheet_by_name, name)
    if job is not None:
        parsed[-1] = (*parsed[-1][:2], job.result())
    return parsed, scans


def _xlsx_tables(path: Path, sheets: list[tuple[str, str | None, Any]], scans: dict[str, sheetscan.SheetScan],
                 extra: dict[str, str], layout: str) -> Source:
    src = Source(path, "xlsx")
    count = len(sheets)
    while sheets:
        name, kind, ws = sheets.pop(0)  # the parsed sheet is freed once its rows are built
        merged = list(ws.merged_cell_ranges or [])
        try:
            table = _table(src, name, kind, ws.iter_rows(), extra, merged, layout)  # rows are lists
        except InvalidInput as exc:
            if count > 1 and exc.message.endswith(("the sheet is empty", "only a header row, no data rows")):
                continue  # a workbook may hold tenants only or users only
            raise
        if table is not None:
            _check_damage(src, table, broken_text.xlsx_advice, False)
            if table.kind in src.tables:
                raise InvalidInput(f"{path.name} has two sheets of {table.kind}: "
                                   f"{src.tables[table.kind].sheet!r} and {name!r}", hint="merge them into one")
            src.tables[table.kind] = table
        scanned = scans.get(name) or sheetscan.SheetScan()
        for ref in scanned.formulas_without_value:
            src.problems.append(Problem(name, _ref_row(ref), _ref_col(ref, table),
                                        f"cell {ref} holds a formula without a computed value; "
                                        "open and save the file in Excel, or paste the values"))
    if not src.tables:
        raise InvalidInput(f"{path.name} holds no data rows", hint="fill in the Mandanten and Benutzer sheets")
    return src


def _ref_row(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit()))


def _ref_col(ref: str, table: Table | None) -> str | None:
    letters = "".join(ch for ch in ref if ch.isalpha())
    idx = 0
    for ch in letters:
        idx = idx * 26 + ord(ch) - 64
    if table is not None and 0 < idx <= len(table.headers):
        return table.headers[idx - 1] or letters
    return letters


# -- csv ---------------------------------------------------------------------------------------------

def _decode(path: Path, raw: bytes, encoding: str | None, src: Source) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}", hint="e.g. utf-8, cp1252, latin-1, utf-16") from None
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path.name} is not {encoding}: byte {exc.start} cannot be read",
                               hint="try another --encoding") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        src.notes.append(f"{path.name} is UTF-16 (byte-order mark); read as UTF-16")
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict") if _is_utf8(raw[3:]) else _cp1252(path, raw[3:], src)
    if b"\x00" in raw[:4096]:
        raise InvalidInput(f"{path.name} looks like UTF-16 without a byte-order mark",
                           hint="save it as 'CSV UTF-8', or pass --encoding utf-16-le")
    return raw.decode("utf-8") if _is_utf8(raw) else _cp1252(path, raw, src)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cp1252(path: Path, raw: bytes, src: Source) -> str:
    src.notes.append(f"{path.name} is not UTF-8; read as Windows-1252 (cp1252). "
                     "Check the umlauts, or pass --encoding")
    return raw.decode("cp1252", errors="replace")


def _load_csv(path: Path, sheet: str | None, extra: dict[str, str], encoding: str | None, layout: str) -> Loaded:
    src = Source(path, "csv")
    raw = path.read_bytes()
    content = _decode(path, raw, encoding, src)
    used = (encoding or ("utf-8" if _is_utf8(raw) else "cp1252")).lower().replace("_", "-")
    advice = broken_text.csv_advice(raw, used, forced=bool(encoding))
    del raw
    if not content.strip():
        raise InvalidInput(f"{path.name} is empty", hint="export the spreadsheet again")
    kind = None
    if sheet:
        kind = columns.sheet_kind(sheet)
        if kind is None:
            raise InvalidInput(f"--sheet {sheet!r}: a csv holds tenants or users",
                               hint="pass --sheet tenants or --sheet users")
    return Loaded(lambda: _csv_table(src, content, kind, extra, advice, bool(encoding), layout))


SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*\r?$', re.IGNORECASE)


def _csv_reader(content: str) -> tuple[Iterator[list[str]], str | None]:
    """Records of a csv as Excel shows them, and the `sep=` line's delimiter if there was one.
    Excel honours a first line `sep=;` and hides it: the header is then row 1. A record is one
    row in Excel even when a quoted cell spans several lines, so rows are counted by record."""
    first, _, rest = content.lstrip("\r\n").partition("\n")
    sep = SEP_LINE.match(first)
    if sep:
        content, delimiter = rest, sep.group(1)
        first = content.split("\n", 1)[0]
    else:
        delimiter = max((";", ",", "\t"), key=first.count)
    # long cells are read, then reported with their row and column (not a csv.Error without either)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * safety.MAX_CELL_CHARS * 16))
    return csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), sep.group(1) if sep else None


def csv_records(path: Path, encoding: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(Excel row, record) of a csv decoded as the import decodes it (for the marked copy)."""
    src = Source(path, "csv")
    reader, _ = _csv_reader(_decode(path, path.read_bytes(), encoding, src))
    return enumerate(reader, start=1)


def _csv_table(src: Source, content: str, kind: str | None, extra: dict[str, str], advice: broken_text.Advice,
               forced: bool, layout: str) -> Source:
    reader, sep = _csv_reader(content)
    if sep:
        src.notes.append(f"{src.path.name}: the first line 'sep={sep}' names the delimiter; "
                         "rows are counted from the line after it, as Excel shows them")
    table = _table(src, src.path.name, kind, reader, extra, [], layout)
    if table is not None:
        src.tables[table.kind] = table
        _check_damage(src, table, advice, forced)
    return src


def _check_damage(src: Source, table: Table, advice: broken_text.Advice, forced: bool) -> None:
    cols = {f: table.column(f) for f in broken_text.NAME_FIELDS.get(table.kind, ()) if f in table.fields}
    for i, field_name, value, damage in broken_text.damaged_cells(table.kind, cols, trust_weak=forced):
        src.problems.append(Problem(table.sheet, table.rows[i][0], table.header_of(field_name),
                                    broken_text.message(value, damage, advice)))


# -- shared: header, rows ----------------------------------------------------------------------------

def _guess_kind(cells: list[str], extra: dict[str, str]) -> str | None:
    normed = [columns.norm(c) for c in cells]
    user_aliases = columns.aliases("users")
    if any(extra.get(n) == "email" or user_aliases.get(n) == "email" for n in normed):
        return "users"
    tenant_aliases = columns.aliases("tenants")
    hits = sum(1 for n in normed if n in tenant_aliases or extra.get(n) in tenant_aliases.values())
    return "tenants" if hits else None


def _match(cells: list[str], kind: str, extra: dict[str, str]) -> dict[str, int]:
    known = columns.aliases(kind)
    out: dict[str, int] = {}
    for i, c in enumerate(cells):
        n = columns.norm(c)
        name = extra.get(n) or known.get(n)
        if name and name not in out:
            out[name] = i
    return out


def _table(src: Source, sheet: str, kind: str | None, rows: Iterable[list[Any]], extra: dict[str, str],
           merged: list[Any], layout: str = "auto") -> Table | None:
    it = iter(rows)
    header: list[str] | None = None
    header_row = 0
    for rownum, cells in enumerate(it, start=1):
        if any(text(c) for c in cells):
            header, header_row = [text(c) or "" for c in cells], rownum
            break
    if header is None:
        raise InvalidInput(f"{sheet}: the sheet is empty", hint="fill in a header row and data rows")
    if kind is None:
        kind = _guess_kind(header, extra)
    fields = _match(header, kind, extra) if kind else {}
    if layout == "flat" or (layout == "auto" and flat.is_contact_list(header, extra)):
        kind, fields = "contacts", _match(header, "contacts", extra)
    if not fields:
        # is the header further down (a title row above it)?
        lookahead: list[tuple[int, list[str]]] = []
        for rownum, cells in enumerate(it, start=header_row + 1):
            lookahead.append((rownum, [text(c) or "" for c in cells]))
            if len(lookahead) >= HEADER_SEARCH_ROWS:
                break
        for rownum, cells in lookahead:
            k = kind or _guess_kind(cells, extra)
            if k and len(_match(cells, k, extra)) >= 2:
                raise InvalidInput(f"{sheet}: the header is in row {rownum}, not in the first row ({header_row})",
                                   hint=f"delete rows {header_row}-{rownum - 1} above the header and import again")
        raise InvalidInput(f"{sheet}: no known column headers in row {header_row} "
                           f"({', '.join(h for h in header if h)[:200]})",
                           hint="use the template (tenantctl import template) or --map \"Header=field\"")
    assert kind is not None
    for (r0, c0), (r1, c1) in merged:
        if r0 <= header_row - 1 <= r1 and c1 > c0:
            raise InvalidInput(f"{sheet}: header cells are merged ({_col_letter(c0)}{header_row}:"
                               f"{_col_letter(c1)}{header_row})",
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
            raise InvalidInput(f"{sheet}: the header of column {_col_letter(i)} ({h!r}) contains the control "
                               f"character {char_name(bad)}", hint="retype that header in the file")
    unknown = [h for i, h in enumerate(header) if h and i not in fields.values()]
    if unknown:
        src.notes.append(f"{sheet}: ignored columns: {', '.join(unknown)}")
    table = Table(kind, sheet, header_row, header, fields)
    ident_fields = {f.name for f in columns.KINDS[kind] if f.identifier}
    idxs = list(fields.values())
    ident_pos = [(idx, name, pos) for pos, (name, idx) in enumerate(fields.items()) if name in ident_fields]
    limit = safety.MAX_CELL_CHARS
    # equal texts share one string object: first names, roles, languages and tenant references
    # repeat across 100,000 rows, and each cell would otherwise hold its own copy
    same: dict[str | None, str | None] = {}
    share = same.setdefault
    for rownum, cells in enumerate(it, start=header_row + 1):
        n = len(cells)
        values = [share(t := text(cells[j]), t) if j < n else None for j in idxs]
        if not any(values):
            continue  # empty rows are not rows (a million trailing ones cost nothing)
        if sum(len(v) for v in values if v) > limit:
            for pos, v in enumerate(values):
                if v is not None and len(v) > limit:
                    src.problems.append(Problem(sheet, rownum, header[idxs[pos]],
                                                f"cell has {len(v):,} characters; at most {limit:,}"))
                    values[pos] = ""
        for j, name, pos in ident_pos:
            raw = cells[j] if j < n else None
            if raw.__class__ is str:
                v = values[pos]  # stripped
                if v and v[0] in identifiers.SUSPECT_START and (why := identifiers.problem(v)):
                    src.problems.append(Problem(sheet, rownum, header[j], why))
            elif raw is not None:
                if why := identifiers.problem(raw):
                    src.problems.append(Problem(sheet, rownum, header[j], why))
                elif raw.__class__ is float or raw.__class__ is int:
                    table.numbers.add((rownum, name))
        table.rows.append((rownum, tuple(values)))
    if not table.rows:
        raise InvalidInput(f"{sheet}: only a header row, no data rows")
    if kind == "contacts":
        flat.fill_merged(table, merged)
    return table


def _col_letter(idx: int) -> str:
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
