"""Writing workbooks: the template, export files and the error report. openpyxl writes (DESIGN §8:
python-calamine reads, openpyxl writes). Every text cell that a spreadsheet would run as a formula
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
from importers.read import ESCAPED_START
from store.errors import InvalidInput
from store.files import write_private

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


def check_folder(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {folder} does not exist",
                           hint="create the folder first, or give another path")


def save(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write one output file (0600, all or nothing) or say in one line why it cannot be written."""
    check_folder(path)
    try:
        write_private(path, write)
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


def write_export(path: Path, tenants: list[dict[str, Any]], users: list[dict[str, Any]],
                 tenant_cols: Sequence[str], user_cols: Sequence[str]) -> list[Path]:
    check_folder(path)  # before any workbook is built
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = json.dumps({"tenants": tenants, "users": users}, ensure_ascii=False, indent=2) + "\n"
        save(path, lambda fh: fh.write(doc.encode("utf-8")))
        return [path]
    if suffix == ".csv":
        # a csv holds one kind of row: FILE.csv → FILE-mandanten.csv and FILE-benutzer.csv
        out = []
        for kind, rows, cols, tag in (("tenants", tenants, tenant_cols, "mandanten"),
                                      ("users", users, user_cols, "benutzer")):
            target = path.with_name(f"{path.stem}-{tag}.csv")

            def write(fh: Any, kind: str = kind, rows: list[dict[str, Any]] = rows,
                      cols: Sequence[str] = cols) -> None:
                w = csv.writer(fh, delimiter=";")
                w.writerow(_headers(kind, cols))
                w.writerows([escape(r.get(c)) if r.get(c) is not None else "" for c in cols] for r in rows)

            save(target, _text(write, "utf-8-sig"))
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
    save(path, wb.save)
    return [path]


def write_template(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    check_folder(path)

    wb = Workbook()
    ws0 = wb.active
    assert ws0 is not None
    wb.remove(ws0)
    examples = {
        # one example row per sheet; the customer's Reseller is left empty: the importing reseller
        # admin's own reseller (an operator names it with --reseller), so the file imports as it is
        "tenants": [{"name": "Müller & Söhne GmbH", "kind": "customer", "customer_number": "10042",
                     "currency": "EUR", "billing": "customer", "language": "de"}],
        "users": [{"first_name": "Max", "last_name": "Müller", "email": "max.mueller@mueller.example",
                   "tenant": "10042", "role": "admin", "language": "de"}],
    }
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
    save(path, wb.save)


def write_report(source_path: Path, file_type: str, tables: dict[str, Any], problems: list[dict[str, Any]],
                 target: Path) -> None:
    """A copy of the input with the bad cells highlighted and a "Fehler" column per bad row."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import PatternFill

    fill = PatternFill("solid", fgColor=FILL_ERROR)
    by_sheet: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for p in problems:
        by_sheet.setdefault(p["sheet"], {}).setdefault(p["row"] or 0, []).append(p)
    if file_type == "xlsx":
        wb = load_workbook(source_path)
    else:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        table = next(iter(tables.values()))
        ws.title = table.sheet[:31]
        from importers.read import Source, _decode

        text = _decode(source_path, source_path.read_bytes(), None, Source(source_path, "csv"))
        first = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first.count)
        for rec in csv.reader(text.splitlines(), delimiter=delimiter):
            ws.append([escape(v) for v in rec])
        # a csv is one sheet: its problems (named by file name) belong to the sheet just written
        merged: dict[int, list[dict[str, Any]]] = {}
        for rows_of_sheet in by_sheet.values():
            for row, plist in rows_of_sheet.items():
                merged.setdefault(row, []).extend(plist)
        by_sheet = {ws.title: merged}
    for sheet_name, rows in by_sheet.items():
        if sheet_name not in wb.sheetnames:
            continue
        ws = wb[sheet_name]
        table = next((t for t in tables.values() if t.sheet == sheet_name), None)
        if table is None and file_type == "csv":
            table = next(iter(tables.values()), None)
        header_row = table.header_row if table else 1
        err_col = (ws.max_column or 0) + 1
        ws.cell(row=header_row, column=err_col, value="Fehler").fill = fill
        for row, plist in rows.items():
            if not row:
                continue
            ws.cell(row=row, column=err_col, value="; ".join(
                (f"{p['column']}: " if p["column"] else "") + p["message"] for p in plist))
            for p in plist:
                if table and p["column"] in table.headers:
                    ws.cell(row=row, column=table.headers.index(p["column"]) + 1).fill = fill
    save(target, wb.save)
