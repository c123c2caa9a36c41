"""Writing workbooks: the template and export files (the marked copy: importers/marked.py).
python-calamine reads (fast), openpyxl writes. Every text cell that a spreadsheet would run as a formula
is escaped with a leading apostrophe; the import strips exactly that escape again."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from tenantctl.importers import columns
from tenantctl.importers.read import ESCAPED_START
from tenantctl.store.errors import InvalidInput
from tenantctl.store.files import occupied, write_private

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
