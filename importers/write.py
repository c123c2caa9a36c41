"""Writing workbooks: the template, export files and the error report. python-calamine reads (fast),
openpyxl writes. Every text cell that a spreadsheet would run as a formula
is escaped with a leading apostrophe; the import strips exactly that escape again."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from importers import columns
from importers.cells import ESCAPED_START
from store.errors import InvalidInput
from store.files import occupied, write_private

FILL_ERROR = "FFFFC7CE"
FILL_HEADER = "FFDDEBF7"


# C0 characters a worksheet cannot hold (openpyxl refuses them): written as visible \x1b, so a
# hostile cell still gets its marked copy instead of crashing the report
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _XLSX_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return "'" + value if value.startswith(ESCAPED_START) else value


def check_folder(path: Path, *, force: bool = True) -> None:
    """Before any work: the folder exists and, unless `force`, the file does not."""
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {folder} does not exist",
                           hint="create the folder first, or give another path")
    if not force and occupied(path):
        raise exists(path)


def exists(path: Path) -> InvalidInput:
    return InvalidInput(f"{path} exists already", hint="add --force to replace it, or choose another name")


def save(path: Path, write: Callable[[BinaryIO], object], *, force: bool = True) -> None:
    """Write one output file (0600, all or nothing) or say in one line why it cannot be written.
    Without `force` an existing file (even one that appeared meanwhile) is never replaced."""
    check_folder(path, force=force)
    try:
        write_private(path, write, replace=force)
    except FileExistsError:
        raise exists(path) from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}",
                           hint="choose a folder you can write to") from None


def _text(write: Callable[[Any], None], encoding: str = "utf-8") -> Callable[[BinaryIO], None]:
    def run(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        write(text)
        text.flush()
        text.detach()  # leave the binary file open for write_private

    return run


def _headers(kind: str, names: Sequence[str]) -> list[str]:
    by_name = {f.name: f for f in columns.KINDS[kind]}
    return [by_name[n].de for n in names]


def export_targets(path: Path) -> list[Path]:
    """The files `write_export` writes: a csv holds one kind of row, so FILE.csv →
    FILE-mandanten.csv and FILE-benutzer.csv."""
    if path.suffix.lower() == ".csv":
        return [path.with_name(f"{path.stem}-{tag}.csv") for tag in ("mandanten", "benutzer")]
    return [path]


def write_export(path: Path, tenants: list[dict[str, Any]], users: list[dict[str, Any]],
                 tenant_cols: Sequence[str], user_cols: Sequence[str], *, force: bool = True) -> list[Path]:
    for target in export_targets(path):
        check_folder(target, force=force)  # before any workbook is built
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = json.dumps({"tenants": tenants, "users": users}, ensure_ascii=False, indent=2) + "\n"
        save(path, lambda fh: fh.write(doc.encode("utf-8")), force=force)
        return [path]
    if suffix == ".csv":
        out = []
        for (kind, rows, cols), target in zip((("tenants", tenants, tenant_cols), ("users", users, user_cols)),
                                              export_targets(path), strict=True):

            def write(fh: Any, kind: str = kind, rows: list[dict[str, Any]] = rows,
                      cols: Sequence[str] = cols) -> None:
                w = csv.writer(fh, delimiter=";")
                w.writerow(_headers(kind, cols))
                w.writerows([escape(r.get(c)) if r.get(c) is not None else "" for c in cols] for r in rows)

            save(target, _text(write, "utf-8-sig"), force=force)
            out.append(target)
        return out
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for kind, rows, cols in (("tenants", tenants, tenant_cols), ("users", users, user_cols)):
        ws = wb.create_sheet(columns.SHEET_NAMES[kind][0])
        ws.freeze_panes = "A2"
        ws.append(_headers(kind, cols))
        for r in rows:
            ws.append([escape(r.get(c)) for c in cols])
    save(path, wb.save, force=force)
    return [path]


def write_template(path: Path, *, force: bool = True) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    check_folder(path, force=force)

    wb = Workbook()
    ws0 = wb.active
    assert ws0 is not None
    wb.remove(ws0)
    # one example row per sheet; the customer's Reseller is left empty: the importing reseller
    # admin's own reseller (an operator names it with --reseller), so the file imports as it is
    examples = {kind: [row] for kind, row in columns.TEMPLATE_EXAMPLES.items()}
    choices = {"kind": "customer,reseller", "role": "admin,member,billing", "language": "de,en",
               "billing": "customer,reseller", "currency": "EUR,CHF,USD,GBP"}
    for kind in ("tenants", "users"):
        fields = [f for f in columns.KINDS[kind] if f.name != "login"]
        ws = wb.create_sheet(columns.SHEET_NAMES[kind][0])
        ws.append([f.de for f in fields])
        for example in examples[kind]:
            ws.append([example.get(f.name) for f in fields])
        ws.freeze_panes = "A2"
        for i, f in enumerate(fields, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=FILL_HEADER)
            letter = cell.column_letter
            ws.column_dimensions[letter].width = max(14, len(f.de) + 4)
            if f.identifier:  # identifiers stay text: no lost leading zeros
                for row in range(2, 5001):
                    ws.cell(row=row, column=i).number_format = "@"
            if f.name in choices:
                dv = DataValidation(type="list", formula1=f'"{choices[f.name]}"', allow_blank=True,
                                    showErrorMessage=f.name != "currency")
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
    ins = wb.create_sheet(columns.INSTRUCTIONS_SHEET[0])
    ins.column_dimensions["A"].width = 22
    ins.column_dimensions["B"].width = 70
    ins.column_dimensions["C"].width = 70
    ins.append(["Spalte / Column", "Deutsch", "English"])
    ins.append(["", "Ein Blatt Mandanten (Firmen) und ein Blatt Benutzer. Die erste Zeile ist die Kopfzeile; "
                    "die Beispielzeile darf überschrieben werden. Pflichtfelder: Name; Vorname, Nachname, "
                    "E-Mail, Mandant.",
                "One sheet of tenants (companies) and one of users. The first row is the header; "
                "overwrite the example row. Required: Name; First name, Last name, Email, Tenant."])
    ins.append(["", "Ein erneuter Import derselben Datei ändert nichts; geänderte Zeilen werden aktualisiert.",
                "Importing the same file again changes nothing; changed rows are updated."])
    for kind in ("tenants", "users"):
        for f in columns.KINDS[kind]:
            ins.append([f"{columns.SHEET_NAMES[kind][0]}: {f.de} / {f.en}",
                        ("Pflicht. " if f.required else "") + f.help_de,
                        ("Required. " if f.required else "") + f.help_en])
    for cell in ins[1]:
        cell.font = Font(bold=True)
    save(path, wb.save, force=force)


def write_report(source_path: Path, file_type: str, tables: dict[str, Any], problems: list[dict[str, Any]],
                 target: Path, *, encoding: str | None = None, force: bool = True) -> None:
    """A copy of the input with the bad cells highlighted and a "Fehler" column per bad row.
    Streamed (issue 10, class 6): the input is read again one sheet at a time (python-calamine,
    bounded by importers.sheetscan) and written with openpyxl's write-only mode, so a rejected
    100,000-row workbook is not loaded whole. Values are copied; cell formatting is not."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import PatternFill

    check_folder(target, force=force)  # before any workbook is built
    fill = PatternFill("solid", fgColor=FILL_ERROR)
    by_sheet: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for p in problems:
        by_sheet.setdefault(p["sheet"], {}).setdefault(p["row"] or 0, []).append(p)
    wb = Workbook(write_only=True)
    for name, first_col, width, rows in _source_sheets(source_path, file_type, encoding):
        if file_type == "csv":  # one sheet: its problems are named by the file name
            marks = {r: pl for rows_of in by_sheet.values() for r, pl in rows_of.items()}
            table = next(iter(tables.values()), None)
        else:
            marks = by_sheet.get(name, {})
            table = next((t for t in tables.values() if t.sheet == name), None)
        header_row = table.header_row if table else 1
        ws = wb.create_sheet(name[:31])
        pad = [None] * first_col
        for rownum, cells in rows:
            values = pad + [escape(v) for v in cells]
            if not marks:
                ws.append(values)
                continue
            if rownum == header_row:
                width = max(width, len(values))  # the "Fehler" column: right of the header and the data
            plist = marks.get(rownum)
            if rownum == header_row:
                values += [None] * (width - len(values))
                cell = WriteOnlyCell(ws, value="Fehler")
                cell.fill = fill
                ws.append([*values, cell])
                continue
            if not plist:
                ws.append(values)
                continue
            bad = {table.headers.index(p["column"]) + first_col for p in plist
                   if table and p["column"] in table.headers}
            out: list[Any] = []
            for i, v in enumerate(values + [None] * (width - len(values))):
                if i in bad:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.fill = fill
                    out.append(cell)
                else:
                    out.append(v)
            out.append("; ".join((f"{p['column']}: " if p["column"] else "") + p["message"] for p in plist))
            ws.append(out)
    save(target, wb.save, force=force)


def _source_sheets(path: Path, file_type: str, encoding: str | None) -> Any:
    """(sheet name, index of its first column, its width, iterator of (Excel row, cell values))."""
    if file_type == "csv":
        from importers.csv_text import csv_records

        yield path.name[:31], 0, 0, csv_records(path, encoding)
        return
    import zipfile

    from python_calamine import CalamineWorkbook

    from importers import safety, sheetscan

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
