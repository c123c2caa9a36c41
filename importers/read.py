"""File → the store's row contract (store/imports/rows.py): tables of text rows with Excel's row numbers,
plus problems and notes. No store access. xlsx is read with python-calamine (ten times faster than
openpyxl), csv with csv.reader."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from tenantctl.importers import broken_text, columns, flat, identifiers, safety, sheetscan
from tenantctl.importers.background import Background
from tenantctl.store.errors import InvalidInput, UsageError
from tenantctl.store.imports.rows import Problem, Source, Table
from tenantctl.store.nfc import nfc
from tenantctl.store.rules import char_name, control_char

ESCAPED_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_SEARCH_ROWS = 10
# Excel's error values: a cell showing one holds no value (a csv export writes the text; German
# Excel writes its own words for some: #NV, #BEZUG!, #WERT!, #ZAHL!, #ÜBERLAUF!)
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#NV",
                          "#BEZUG!", "#WERT!", "#ZAHL!", "#ÜBERLAUF!"})


def excel_error(cell: str, value: str) -> str:
    return (f"cell {cell} shows the Excel error {value} instead of a value: correct the formula (or the "
            "lookup it depends on) in Excel, or type the value, then save again")


def text(value: Any) -> str | None:
    """A cell as text: integral floats lose their `.0`, dates become ISO, empty is None."""
    if value.__class__ is str:  # the common case first (called once per cell)
        out = value.strip()
        if out[:1] == "'" and len(out) > 1 and out[1] in ESCAPED_START:
            out = out[1:]  # our own export's formula escape
        if not out.isascii():
            out = nfc(out)  # text enters here: a Mac's decomposed umlauts in NFC (store/nfc.py)
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
        src = build()
        skip_template_examples(src)
        return src


def skip_template_examples(src: Source) -> None:
    """Drop a row that is still the template's example (its identifying cells unchanged), with a
    note: the reseller forgot to delete it, and it would become a real customer and user."""
    keys = {"tenants": ("name", "customer_number"), "users": ("email", "tenant")}
    for table in src.tables.values():
        example = columns.TEMPLATE_EXAMPLES.get(table.kind)
        fields = keys.get(table.kind, ())
        if example is None or not all(f in table.fields for f in fields):
            continue
        at = [table.names.index(f) for f in fields]
        want = tuple(example[f].casefold() for f in fields)
        kept = [(n, v) for n, v in table.rows if tuple((v[i] or "").strip().casefold() for i in at) != want]
        for rownum in sorted({n for n, _ in table.rows} - {n for n, _ in kept}):
            src.notes.append(f"{table.sheet}, row {rownum}: the template's example row "
                             f"({', '.join(example[f] for f in fields)}) was skipped; delete it from the file")
        table.rows = kept


def read(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, header_row: int | None = None, layout: str = "auto", trust_names: bool = False) -> Source:
    return load(path, sheet=sheet, maps=maps, encoding=encoding, max_mb=max_mb, header_row=header_row,
                layout=layout, trust_names=trust_names).source()


def load(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, header_row: int | None = None, layout: str = "auto", trust_names: bool = False,
         on_scanned: Callable[[], None] | None = None) -> Loaded:
    """The file read up to its rows. `header_row` (--header-row) names the header row as Excel numbers
    it; layout: auto (a single sheet with person and company columns is a flat contact list), flat
    (read it so), tables (never). on_scanned: called once the work that holds the GIL (the xlsx
    sheet scans) is done and only python-calamine's parse (which releases it) is left. trust_names
    (--trust-names): names are taken as written, not checked for broken characters."""
    if header_row is not None and header_row < 1:
        raise UsageError(f"--header-row {header_row}: rows are numbered from 1", hint="e.g. --header-row 3")
    if layout not in flat.LAYOUTS:
        raise UsageError(f"--layout {layout!r} is not one of {', '.join(flat.LAYOUTS)}",
                         hint="use --layout flat or --layout tables")
    safety.check_size(path, max_mb)
    suffix = path.suffix.lower()
    extra = columns.parse_maps(maps)
    if suffix in {".xlsx", ".xlsm"}:
        return _load_xlsx(path, sheet, extra, header_row, layout, on_scanned, trust_names)
    if suffix in {".csv", ".txt"}:
        return _load_csv(path, sheet, extra, encoding, header_row, layout, trust_names)
    if suffix == ".xls":
        raise InvalidInput(f"{path.name} is an old Excel .xls file", hint="save it as .xlsx or .csv")
    raise InvalidInput(f"cannot import {path.name}: only .xlsx and .csv are read", hint="save it as .xlsx or .csv")


# -- xlsx --------------------------------------------------------------------------------------------

def _load_xlsx(path: Path, sheet: str | None, extra: dict[str, str], header_at: int | None, layout: str,
               on_scanned: Callable[[], None] | None = None, trust_names: bool = False) -> Loaded:
    safety.check_xlsx(path)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", hint="save it again as .xlsx") from None
    names = list(wb.sheet_names)
    hidden = {m.name for m in wb.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] != "Visible"}
    notes: list[str] = []
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
    sheets, scans = _parse_scanned(path, wb, chosen, on_scanned)
    taken = {n for n, _ in chosen}
    skip = {columns.norm(x) for x in columns.INSTRUCTIONS_SHEET}
    unread, padded_refs = _unread_sheets(path, wb, [n for n in names if n not in taken and columns.norm(n) not in skip],
                                         hidden, extra)
    notes.extend(unread)
    if len(sheets) > 1 and layout == "auto":
        layout = "tables"  # a flat contact list is one sheet; the template's sheets are tables
    return Loaded(lambda: _xlsx_tables(path, sheets, scans, extra, notes, header_at, layout, trust_names,
                                       padded_refs))


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
                if kind is None and i < HEADER_SEARCH_ROWS and (k := _guess_kind(texts, extra)):
                    kind, header, count = k, texts, 0
                    ref_at = _match(header, kind, extra).get("tenant") if kind == "users" else None
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
                known = _match(header, kind, extra)
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


def _parse_scanned(path: Path, wb: Any, chosen: list[tuple[str, str | None]],
                   on_scanned: Callable[[], None] | None = None,
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
                parsed[-1] = (*parsed[-1][:2], _parsed(job, parsed[-1][0], scans))
            parsed.append((name, kind, None))
            job = Background(wb.get_sheet_by_name, name)
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


def _xlsx_tables(path: Path, sheets: list[tuple[str, str | None, Any]], scans: dict[str, sheetscan.SheetScan],
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
                _check_damage(src, table, broken_text.xlsx_advice, False, genuine_utf8=False)
            if table.kind in src.tables:
                raise InvalidInput(f"{path.name} has two sheets of {table.kind}: "
                                   f"{src.tables[table.kind].sheet!r} and {name!r}", hint="merge them into one")
            src.tables[table.kind] = table
        scanned = scans.get(name) or sheetscan.SheetScan()
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
                row = _ref_row(ref)
                if row > table.header_row and sheetscan.col_index(ref.rstrip("0123456789")) in read_cols:
                    src.problems.append(Problem(name, row, _ref_col(ref, table), excel_error(ref, value)))
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
        return raw[3:].decode("utf-8", errors="strict") if broken_text.is_utf8(raw[3:]) else _cp1252(path, raw[3:], src)
    if b"\x00" in raw[:4096]:
        raise InvalidInput(f"{path.name} looks like UTF-16 without a byte-order mark",
                           hint="save it as 'CSV UTF-8', or pass --encoding utf-16-le")
    return raw.decode("utf-8") if broken_text.is_utf8(raw) else _cp1252(path, raw, src)


def _cp1252(path: Path, raw: bytes, src: Source) -> str:
    src.notes.append(f"{path.name} is not UTF-8; read as Windows-1252 (cp1252). "
                     "Check the umlauts, or pass --encoding")
    return raw.decode("cp1252", errors="replace")


def _load_csv(path: Path, sheet: str | None, extra: dict[str, str], encoding: str | None,
              header_at: int | None, layout: str, trust_names: bool = False) -> Loaded:
    src = Source(path, "csv")
    raw = path.read_bytes()
    content = _decode(path, raw, encoding, src)
    used = (encoding or ("utf-8" if broken_text.is_utf8(raw) else "cp1252")).lower().replace("_", "-")
    advice = broken_text.csv_advice(raw, used, forced=bool(encoding))
    # a file that is UTF-8 for certain (a byte-order mark, or letters outside ASCII that only UTF-8
    # encodes so) lost no letter to '?': "Warum?Marketing GmbH" is the company's own spelling
    # (or one --encoding utf-8 says is)
    genuine = used in {"utf-8", "utf8", "utf-8-sig"} and (
        bool(encoding) or raw.startswith(b"\xef\xbb\xbf") or not raw.isascii())
    del raw
    if not content.strip():
        raise InvalidInput(f"{path.name} is empty", hint="export the spreadsheet again")
    kind = None
    if sheet:
        kind = columns.sheet_kind(sheet)
        if kind is None:
            raise InvalidInput(f"--sheet {sheet!r}: a csv holds tenants or users",
                               hint="pass --sheet tenants or --sheet users")
    return Loaded(lambda: _csv_table(src, content, kind, extra, advice, bool(encoding), header_at, layout,
                                     None if trust_names else genuine))


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
               forced: bool, header_at: int | None, layout: str, genuine_utf8: bool | None) -> Source:
    """genuine_utf8: None under --trust-names (names are not checked for broken characters)."""
    reader, sep = _csv_reader(content)
    if sep:
        src.notes.append(f"{src.path.name}: the first line 'sep={sep}' names the delimiter; "
                         "rows are counted from the line after it, as Excel shows them")
    table = _table(src, src.path.name, kind, reader, extra, [], header_at, layout, ragged=True)
    if table is not None:
        src.tables[table.kind] = table
        if genuine_utf8 is not None:
            _check_damage(src, table, advice, forced, genuine_utf8=genuine_utf8)
    return src


def _check_damage(src: Source, table: Table, advice: broken_text.Advice, forced: bool, *, genuine_utf8: bool) -> None:
    cols = {f: table.column(f) for f in broken_text.NAME_FIELDS.get(table.kind, ()) if f in table.fields}
    for i, field_name, value, damage in broken_text.damaged_cells(table.kind, cols, trust_weak=forced,
                                                                  lost_possible=not genuine_utf8):
        src.problems.append(Problem(table.sheet, table.rows[i][0], table.header_of(field_name),
                                    broken_text.message(value, damage, advice)))


# -- shared: header, rows ----------------------------------------------------------------------------

def _guess_kind(cells: list[str], extra: dict[str, str]) -> str | None:
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


def _match(cells: list[str], kind: str, extra: dict[str, str]) -> dict[str, int]:
    known = columns.aliases(kind)
    out: dict[str, int] = {}
    for i, c in enumerate(cells):
        n = columns.norm(c)
        name = extra.get(n) or known.get(n)
        if name and name not in out:
            out[name] = i
    return out


def _find_header(src: Source, sheet: str, kind: str | None, it: Iterator[list[Any]], extra: dict[str, str],
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
        k = kind or _guess_kind(header, extra)
        fields = _match(header, k, extra) if k else {}
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
    k0 = kind or _guess_kind(first, extra)
    f0 = _match(first, k0, extra) if k0 else {}
    pick: tuple[int, list[str], str, dict[str, int]] | None = (first_row, first, k0, f0) if k0 and f0 else None
    if pick is None or len(f0) < 2:
        for n, t in filled[1:]:
            k = kind or _guess_kind(t, extra)
            f = _match(t, k, extra) if k else {}
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


def _may_be_label(first: Any) -> bool:
    """The first cell of a row could be a totals label (or is empty: then the second could be)."""
    if first.__class__ is not str:
        return first is None
    text_ = first.lstrip()
    return not text_ or (text_[0] in SUMMARY_START and SUMMARY_LABEL.match(text_) is not None)


def _summary_label(cells: list[Any], values: list[str | None]) -> str | None:
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


def _table(src: Source, sheet: str, kind: str | None, rows: Iterable[list[Any]], extra: dict[str, str],
           merged: list[Any], header_at: int | None = None, layout: str = "auto", ragged: bool = False) -> Table | None:
    """ragged: a row with more cells than the header is a problem (a csv: a separator inside a
    cell that is not quoted shifts the row, and the cells past the header would be lost)."""
    it = iter(rows)
    header_row, header, kind, fields, replay = _find_header(src, sheet, kind, it, extra, header_at)
    if layout == "flat" or (layout == "auto" and flat.is_contact_list(header, extra)):
        kind, fields = "contacts", flat.contact_fields(sheet, header, extra, src.notes)
    header = [" ".join(h.split()) for h in header]  # "Vorname\n(Pflichtfeld)" is shown on one line
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
            hit = labels[first] = _may_be_label(first)
        if hit:
            label = _summary_label(cells, values)
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
                                                excel_error(f"{_col_letter(idx)}{rownum}", v or "")))
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


def _col_letter(idx: int) -> str:
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
