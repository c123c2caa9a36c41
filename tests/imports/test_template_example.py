"""The template's example row, left in by a reseller who forgot to delete it, is skipped with a
note instead of becoming a customer "Müller & Söhne GmbH" and a user Max Müller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook


def _template_with(tmp_path: Path, ok: Any, tenant: list[Any] | None, user: list[Any] | None) -> Path:
    path = tmp_path / "kunden.xlsx"
    ok("import", "template", str(path))
    wb = load_workbook(path)
    for sheet, row in (("Mandanten", tenant), ("Benutzer", user)):
        if row:
            wb[sheet].append(row)
    wb.save(path)
    return path


@pytest.mark.usefixtures("cli_mode")
def test_the_example_rows_are_skipped_with_a_note(world: Any, cli: Any, ok: Any, tmp_path: Path) -> None:
    path = _template_with(tmp_path, ok, [None, "Kanzlei Vogel", "customer", "acme", "30001", "EUR"],
                          ["Vera", "Vogel", "vera@vogel.example", "30001", "admin"])
    r = cli("import", "run", str(path), "--json", as_="rita.reseller")
    assert r.exit_code == 0, r.stdout
    data = r.json()["data"]
    assert [(row["type"], row["key"], row["action"]) for row in data["rows"]] == [
        ("tenant", "kanzlei-vogel", "create"), ("user", "vera.vogel", "create")]
    assert "Mandanten, row 2: the template's example row (Müller & Söhne GmbH, 10042) was skipped; " \
           "delete it from the file" in data["notes"]
    assert any(n.startswith("Benutzer, row 2: the template's example row") for n in data["notes"])
    assert ok("user", "list", "--search", "max.mueller@mueller.example") == []


def test_an_edited_example_row_is_a_real_row(world: Any, ok: Any, tmp_path: Path) -> None:
    path = tmp_path / "kunden.xlsx"
    ok("import", "template", str(path))
    wb = load_workbook(path)
    wb["Mandanten"]["D2"] = "acme"  # the operator filled in the row instead of adding one
    wb["Mandanten"]["E2"] = "10043"
    wb["Benutzer"]["D2"] = "10043"
    wb.save(path)
    data = ok("import", "run", str(path))
    assert data["counts"]["tenants_create"] == 1 and data["counts"]["users_create"] == 1
    assert not any("example row" in n for n in data["notes"])
