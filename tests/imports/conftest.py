"""Helpers for import tests: small workbooks and csv files written in the test's folder, and
counts of what is in the store."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TENANT_HEADER = ["Schlüssel", "Name", "Art", "Reseller", "Kundennummer", "Währung", "Sprache"]
USER_HEADER = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"]


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ";", encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def patch_part(path: Path, part: str, fn: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of an xlsx (crafting files Excel would never write)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts[part] = fn(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def basic_workbook(path: Path, users: list[list[Any]] | None = None) -> Path:
    return write_xlsx(path, {
        "Mandanten": [TENANT_HEADER,
                      [None, "Bäckerei Weiß KG", "customer", "acme", "20001", "EUR", "de"],
                      [None, "Schröder Logistik GmbH", "customer", "acme", "20002", "EUR", "en"]],
        "Benutzer": [USER_HEADER] + (users if users is not None else [
            ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],
            ["Zoë", "Schröder", "Zoe@Schroeder.example", "Schröder Logistik GmbH", "admin"],
            ["Max", "Müller", "max2@weiss.example", "baeckerei-weiss-kg", "member"]]),
    })


@pytest.fixture
def counts(store: Any) -> Callable[[], dict[str, int]]:
    """Rows per table: the store's state to compare before and after a command."""
    from sqlalchemy import text

    tables = ("tenant", "user_account", "membership", "connection", "tenant_application", "access_right",
              "audit_event", "import_run", "import_run_item", "outbox_mail")

    def run() -> dict[str, int]:
        with store.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    return run


_NS_PKG = "http://schemas.openxmlformats.org/package/2006"
_NS_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8"?>'


def raw_xlsx(path: Path, sheets: dict[str, list[str]], *, extra: dict[str, str] | None = None,
             hidden: set[str] | None = None) -> Path:
    """A workbook written as XML directly: sheet name → list of `<row>…</row>` strings. For files
    Excel writes that openpyxl cannot (100,000 rows in a second, stray cells, hidden rows)."""
    names = list(sheets)
    hidden = hidden or set()
    nums = range(1, len(names) + 1)
    book = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"' + (' state="hidden"' if n in hidden else "")
                   + "/>" for i, n in enumerate(names, 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'{_XML}<Types xmlns="{_NS_PKG}/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
                    + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                              for i in nums) + "</Types>")
        zf.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_NS_PKG}/relationships">'
                    f'<Relationship Id="rId1" Type="{_NS_DOC}/officeDocument" Target="xl/workbook.xml"/>'
                    "</Relationships>")
        zf.writestr("xl/workbook.xml", f'{_XML}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_DOC}"><sheets>{book}'
                    "</sheets></workbook>")
        zf.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="{_NS_PKG}/relationships">'
                    + "".join(f'<Relationship Id="rId{i}" Type="{_NS_DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                              for i in nums) + "</Relationships>")
        for i, n in enumerate(names, 1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", f'{_XML}<worksheet xmlns="{_NS_MAIN}"><sheetData>'
                        + "".join(sheets[n]) + "</sheetData>" + (extra or {}).get(n, "") + "</worksheet>")
    return path


def xml_row(num: int, values: list[Any], first_col: int = 1) -> str:
    """One `<row>` of inline strings (None: no cell)."""
    from xml.sax.saxutils import escape

    cells = []
    for i, v in enumerate(values):
        if v is None:
            continue
        col, n = "", first_col + i
        while n:
            n, rem = divmod(n - 1, 26)
            col = chr(65 + rem) + col
        if isinstance(v, int | float):
            cells.append(f'<c r="{col}{num}"><v>{v}</v></c>')
        else:
            cells.append(f'<c r="{col}{num}" t="inlineStr"><is><t xml:space="preserve">{escape(str(v))}</t></is></c>')
    return f'<row r="{num}">' + "".join(cells) + "</row>"


def run_measured(*args: str, timeout: int = 300) -> tuple[int, str, float]:
    """`tenantctl ARGS` in a child process: (exit code, stdout and stderr, the child's peak RSS in MB), measured
    with getrusage(RUSAGE_CHILDREN) inside a fresh wrapper process (so no other child counts)."""
    import json
    import subprocess
    import sys

    wrapper = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, "
               "text=True); print(json.dumps([r.returncode, r.stdout + r.stderr, "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "tenantctl.cli", *args],
                         capture_output=True, text=True, timeout=timeout, check=True)
    code, stderr, kb = json.loads(out.stdout)
    return code, stderr, kb / 1024
