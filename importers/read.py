"""File → the store's row contract (store/imports/rows.py): tables of text rows with Excel's row
numbers, plus problems and notes. No store access. A file of 1 MB or more is read into columns (polars):
xlsx with fastexcel (importers/read_xlsx.py), csv with polars' csv reader (importers/read_csv.py);
a smaller one, and the few files the columnar reader does not read exactly as the row-wise reader
would (a ragged csv, yes/no and date cells in an xlsx), go to the row-wise reader
(importers/read_rowwise.py), which gives the same Source cell by cell (READER below)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tenantctl.importers import background, columns, flat, read_csv, read_rowwise, read_xlsx, safety
from tenantctl.importers.cells import ESCAPED_START, EXCEL_ERRORS, excel_error, text
from tenantctl.importers.csv_text import csv_records
from tenantctl.store.errors import InvalidInput, UsageError
from tenantctl.store.imports.rows import Source

__all__ = ["ESCAPED_START", "EXCEL_ERRORS", "Loaded", "csv_records", "excel_error", "file_hash", "load", "read",
           "text"]


def file_hash(path: Path) -> str:
    """SHA-256 of the file, recorded with the run (`import show`)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Loaded:
    """A file read as far as it goes without building its tables: safety checks, csv bytes
    decoded, xlsx sheets parsed (fastexcel and python-calamine release the GIL, so `load` runs in
    a background thread while the store's modules load). `source()` builds the tables in the
    caller's thread, where the parsed sheets' memory is then freed (issue 5, point 11)."""

    build: Callable[[], Source] | None

    def source(self) -> Source:
        """Once: the parsed sheets are released as soon as their tables are built."""
        build, self.build = self.build, None
        if build is None:
            raise RuntimeError("Loaded.source() called twice")
        src = build()
        skip_template_examples(src)
        background.trim()
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
        want = tuple(example[f].casefold() for f in fields)
        if table.columns is not None:
            skipped = read_xlsx.columnar.drop_equal(table, fields, want)
        else:
            at = [table.names.index(f) for f in fields]
            kept = [(n, v) for n, v in table.rows if tuple((v[i] or "").strip().casefold() for i in at) != want]
            skipped = sorted({n for n, _ in table.rows} - {n for n, _ in kept})
            table.rows = kept
        for rownum in skipped:
            src.notes.append(f"{table.sheet}, row {rownum}: the template's example row "
                             f"({', '.join(example[f] for f in fields)}) was skipped; delete it from the file")


# Which reader: `auto` (the default) reads a file of COLUMNAR_FROM bytes or more into columns and a
# smaller one row by row; `rows` and `columns` force one (python -m bench import passes the variable on).
# Below ~1 MB (an xlsx of ~25,000 rows, a csv of ~15,000) the columnar reader saves less than importing
# polars costs (~0.1 s and ~40-60 MB of resident memory): a 20-row csv or the demo's workbook pays none
# of it; above, it reads faster and the planner compares in columns (docs/import.md).
READER = "TENANTCTL_IMPORT_READER"
READERS = ("auto", "rows", "columns")
COLUMNAR_FROM = 1 << 20


def default_reader() -> str:
    """`auto`, `rows` or `columns`, from TENANTCTL_IMPORT_READER (auto when unset or empty)."""
    import os

    value = os.environ.get(READER, "").strip().lower() or "auto"
    if value not in READERS:
        raise UsageError(f"{READER}={value!r} is not auto, rows or columns",
                         hint=f"unset {READER} (auto) or set it to rows or columns")
    return value


def reads_rowwise(path: Path) -> bool:
    """Whether `path` is read row by row: TENANTCTL_IMPORT_READER, and for `auto` the file's size."""
    reader = default_reader()
    if reader == "auto":
        return path.stat().st_size < COLUMNAR_FROM
    return reader == "rows"


def read(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, header_row: int | None = None, layout: str = "auto", trust_names: bool = False,
         rowwise: bool | None = None) -> Source:
    return load(path, sheet=sheet, maps=maps, encoding=encoding, max_mb=max_mb, header_row=header_row,
                layout=layout, trust_names=trust_names, rowwise=rowwise).source()


def load(path: Path, *, sheet: str | None = None, maps: list[str] | None = None, encoding: str | None = None,
         max_mb: int = 100, header_row: int | None = None, layout: str = "auto", trust_names: bool = False,
         on_scanned: Callable[[], None] | None = None, rowwise: bool | None = None) -> Loaded:
    """The file read up to its tables. `header_row` (--header-row) names the header row as Excel
    numbers it; layout: auto (a single sheet with person and company columns is a flat contact
    list), flat (read it so), tables (never). on_scanned: called once the work that holds the GIL
    (the xlsx sheet scans) is done and only the parse (which releases it) is left. trust_names
    (--trust-names): names are taken as written, not checked for broken characters. rowwise: the
    row-wise reader, True/False, or None: as READER and the file's size say (reads_rowwise)."""
    if header_row is not None and header_row < 1:
        raise UsageError(f"--header-row {header_row}: rows are numbered from 1", hint="e.g. --header-row 3")
    if layout not in flat.LAYOUTS:
        raise UsageError(f"--layout {layout!r} is not one of {', '.join(flat.LAYOUTS)}",
                         hint="use --layout flat or --layout tables")
    safety.check_size(path, max_mb)
    if rowwise is None:
        rowwise = reads_rowwise(path)
    suffix = path.suffix.lower()
    extra = columns.parse_maps(maps)
    if suffix in {".xlsx", ".xlsm"}:
        if rowwise:
            return Loaded(read_rowwise.load_xlsx(path, sheet, extra, header_row, layout, on_scanned, trust_names))
        return Loaded(read_xlsx.load(path, sheet, extra, header_row, layout, on_scanned, trust_names))
    if suffix in {".csv", ".txt"}:
        return Loaded(read_csv.load(path, sheet, extra, encoding, header_row, layout, trust_names, rowwise))
    if suffix == ".xls":
        raise InvalidInput(f"{path.name} is an old Excel .xls file", hint="save it as .xlsx or .csv")
    raise InvalidInput(f"cannot import {path.name}: only .xlsx and .csv are read", hint="save it as .xlsx or .csv")
