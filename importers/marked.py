"""The marked copy of a refused (or --skip-invalid) file: the input with its bad cells highlighted and
one column more that says what is wrong with each row, all in the file's language
(importers/report_text.py).

A workbook of ordinary size is copied as it is (openpyxl loads it whole): bold headers, frozen
panes, drop-downs, column widths, number formats and the sheets that were not imported all stay.
A large one (over FULL_COPY_MAX bytes of sheet XML) is streamed instead, one sheet at a time
(issue 10, class 6: a refused 100,000-row workbook must not be loaded whole): its values are
copied, its header row is made bold and frozen again, other formatting is lost. A csv input gets
an .xlsx copy (cells can be highlighted there), or with `--report NAME.csv` a csv in the input's
own delimiter and encoding."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tenantctl.importers.report_text import HEADER, file_language, problem_text
from tenantctl.importers.write import FILL_ERROR, check_folder, escape, save

# sheet XML and shared strings (uncompressed) up to which the workbook is copied whole, ~5,000 rows of 5 columns.
# Measured: 10,000 such rows (4 MB of XML) cost openpyxl +28 MB and 7.7 s to load and save
FULL_COPY_MAX = 2 * 1024 * 1024
ERROR_WIDTH = 60
# stamped into a workbook copy's document properties (keywords): an earlier marked copy is ours to
# replace; any other file at the target needs --force
MARK = "tenantctl marked copy"


def write_report(source_path: Path, file_type: str, tables: dict[str, Any], problems: list[dict[str, Any]],
                 target: Path, *, lang: str | None = None, encoding: str | None = None, force: bool = True) -> str:
    """Write the marked copy to `target`; returns the language it is written in. An earlier marked
    copy of the same file there (a dry run's, the last refused run's) is replaced without `force`:
    the agent fixes the file and runs it again; any other file is kept unless `force`."""
    force = force or earlier_copy(target, source_path, file_type, encoding)
    check_folder(target, force=force)  # before any workbook is built
    lang = file_language(tables.values(), lang)
    marks = _Marks(file_type, tables, problems, lang)
    if file_type == "csv" and target.suffix.lower() == ".csv":
        _csv_copy(source_path, encoding, marks, target, force)
    elif file_type == "xlsx" and _sheet_xml_size(source_path) <= FULL_COPY_MAX:
        _full_copy(source_path, marks, target, force)
    else:
        _streamed_copy(source_path, file_type, encoding, marks, target, force)
    return lang


def earlier_copy(target: Path, source_path: Path, file_type: str, encoding: str | None) -> bool:
    """Is `target` a marked copy tenantctl wrote? A workbook carries MARK in its document properties;
    a csv copy is the input's header row with the problems' column added."""
    if not target.is_file() or target.is_symlink():
        return False
    if target.suffix.lower() == ".csv":
        return file_type == "csv" and _csv_copy_of(target, source_path, encoding)
    import zipfile

    try:
        with zipfile.ZipFile(target) as zf:
            info = zf.getinfo("docProps/core.xml")
            return info.file_size <= 65536 and MARK.encode() in zf.read(info)
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _csv_copy_of(target: Path, source_path: Path, encoding: str | None) -> bool:
    from itertools import islice

    from tenantctl.importers.read import csv_records

    try:
        ours = dict(islice(csv_records(target, encoding), 20))
        theirs = dict(islice(csv_records(source_path, encoding), 20))
    except Exception:  # an unreadable file at the target is no copy of ours
        return False
    for rownum, cells in ours.items():
        if cells and cells[-1] in HEADER.values():
            source = theirs.get(rownum, [])
            head = list(cells[:-1])
            while head and head[-1] == "":
                head.pop()
            return bool(source) and head == source
    return False


class _Marks:
    """The problems by sheet and row, worded in the copy's language."""

    def __init__(self, file_type: str, tables: dict[str, Any], problems: list[dict[str, Any]], lang: str) -> None:
        self.header = HEADER[lang]
        self.file_type = file_type
        self.tables = tables
        self.by_sheet: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for p in problems:
            self.by_sheet.setdefault(p["sheet"], {}).setdefault(p["row"] or 0, []).append(
                {**p, "text": problem_text(p, lang)})

    def of(self, sheet: str) -> tuple[dict[int, list[dict[str, Any]]], Any]:
        """(row → its problems, the table read from the sheet) of one sheet of the input."""
        if self.file_type == "csv":  # one sheet: its problems are named by the file name
            marks = {r: pl for rows_of in self.by_sheet.values() for r, pl in rows_of.items()}
            return marks, next(iter(self.tables.values()), None)
        return self.by_sheet.get(sheet, {}), next((t for t in self.tables.values() if t.sheet == sheet), None)

    @staticmethod
    def bad_columns(table: Any, plist: list[dict[str, Any]]) -> set[int]:
        """0-based column indexes (in the table's header) of the cells the problems name."""
        return {table.headers.index(p["column"]) for p in plist if table and p["column"] in table.headers}

    @staticmethod
    def text(plist: list[dict[str, Any]]) -> str:
        return escape("; ".join(p["text"] for p in plist))


def _sheet_xml_size(path: Path) -> int:
    """The uncompressed size of the sheets and their shared strings: what openpyxl would hold."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return sum(i.file_size for i in zf.infolist()
                   if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml")


def _full_copy(path: Path, marks: _Marks, target: Path, force: bool) -> None:
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = load_workbook(path)  # formulas as written, formatting, validations: a copy, not a re-make
    fill = PatternFill("solid", fgColor=FILL_ERROR)
    for ws in wb.worksheets:
        rows, table = marks.of(ws.title)
        if not rows:
            continue
        header_row = table.header_row if table else 1
        first_col = _first_column(ws, header_row)
        col = _last_filled_column(ws) + 1  # right of the header and of every data cell
        head = ws.cell(row=header_row, column=col, value=marks.header)
        head.font, head.fill = Font(bold=True), fill
        ws.column_dimensions[head.column_letter].width = ERROR_WIDTH
        for rownum, plist in rows.items():
            if rownum < 1:
                continue
            for i in marks.bad_columns(table, plist):
                ws.cell(row=rownum, column=first_col + i).fill = fill
            cell = ws.cell(row=rownum, column=col, value=marks.text(plist))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.keywords = MARK
    save(target, wb.save, force=force)


def _last_filled_column(ws: Any) -> int:
    """The rightmost column holding a value (max_column counts formatted empty cells too, such as a
    whole formatted row). openpyxl keeps a sheet's cells in a dict: one pass over the cells that exist."""
    return max((col for (_, col), cell in ws._cells.items() if cell.value not in (None, "")), default=0)


def _first_column(ws: Any, header_row: int) -> int:
    """The column of the header's first cell (a table need not start in column A)."""
    for cell in ws[header_row]:
        if cell.value not in (None, ""):
            return int(cell.column)
    return 1


def _streamed_copy(path: Path, file_type: str, encoding: str | None, marks: _Marks, target: Path,
                   force: bool) -> None:
    """Values only, one sheet at a time (openpyxl write-only); the header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor=FILL_ERROR)
    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    for name, first_col, width, rows in _source_sheets(path, file_type, encoding):
        by_row, table = marks.of(name)
        header_row = table.header_row if table else 1
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = f"A{header_row + 1}"
        pad = [None] * first_col
        for rownum, cells in rows:
            values: list[Any] = pad + [escape(v) for v in cells]
            if rownum == header_row:
                width = max(width, len(values))  # the problems' column: right of the header and the data
                head = [_cell(ws, v, bold) for v in values] + [None] * (width - len(values))
                ws.append([*head, _cell(ws, marks.header, bold, fill)] if by_row else head)
                continue
            plist = by_row.get(rownum)
            if not plist:
                ws.append(values)
                continue
            bad = {i + first_col for i in marks.bad_columns(table, plist)}
            out = [WriteOnlyCell(ws, value=v) if i in bad else v
                   for i, v in enumerate(values + [None] * (width - len(values)))]
            for i in bad:
                out[i].fill = fill
            ws.append([*out, marks.text(plist)])
    wb.properties.keywords = MARK
    save(target, wb.save, force=force)


def _cell(ws: Any, value: Any, font: Any, fill: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _csv_copy(path: Path, encoding: str | None, marks: _Marks, target: Path, force: bool) -> None:
    """A csv in the input's delimiter and encoding (its `sep=` line and byte-order mark kept), with
    the problems' column added."""
    from tenantctl.importers.read import csv_records

    raw = path.read_bytes()
    used = _csv_encoding(raw, encoding)
    first = raw.decode(used, errors="replace").lstrip("\ufeff\r\n").split("\n", 1)[0]
    sep_line = first.rstrip("\r") if first.lower().lstrip('"').startswith("sep=") else None
    delimiter = sep_line[-1 if not sep_line.endswith('"') else -2] if sep_line else max(
        (";", ",", "\t"), key=first.count)
    del raw
    by_row, table = marks.of(path.name)
    header_row = table.header_row if table else 1
    out = io.StringIO(newline="")
    if sep_line:
        out.write(sep_line + "\r\n")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    records = list(csv_records(path, encoding))
    width = max((len(r) for _, r in records), default=0)
    for rownum, cells in records:
        extra = marks.header if rownum == header_row else (marks.text(by_row[rownum]) if rownum in by_row else "")
        writer.writerow([*cells, *[""] * (width - len(cells)), extra])
    data = out.getvalue().encode(used, errors="replace")
    save(target, lambda fh: fh.write(data), force=force)


def _csv_encoding(raw: bytes, forced: str | None) -> str:
    """The encoding the import read the file in (utf-8-sig keeps a byte-order mark)."""
    from tenantctl.importers import broken_text

    if forced:
        return forced
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return "utf-8" if broken_text.is_utf8(raw) else "cp1252"


def _source_sheets(path: Path, file_type: str, encoding: str | None) -> Iterator[tuple[str, int, int, Any]]:
    """(sheet name, index of its first column, its width, iterator of (Excel row, cell values))."""
    if file_type == "csv":
        from tenantctl.importers.read import csv_records

        yield path.name[:31], 0, 0, csv_records(path, encoding)
        return
    import zipfile

    from python_calamine import CalamineWorkbook

    from tenantctl.importers import safety, sheetscan

    wb = CalamineWorkbook.from_path(str(path))
    with zipfile.ZipFile(path) as zf:
        parts = {name: part for part, name in safety.sheet_parts(zf).items()}
        for name in wb.sheet_names:
            part = parts.get(name)
            try:
                if part is not None:
                    sheetscan.scan(zf, part, name)  # a sheet the import did not read may be hostile
            except Exception:  # such a sheet is left out of the copy
                continue
            ws = wb.get_sheet_by_name(name)
            first = ws.start[1] if ws.start else 0
            yield name, first, first + ws.width, (
                (n, [None if v == "" else v for v in cells]) for n, cells in enumerate(ws.iter_rows(), start=1))
            del ws
