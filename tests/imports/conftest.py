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
