"""Files the tool writes for people (template, exports, marked copies) never replace an existing
file silently: the command refuses in one line (exit 4) and leaves it as it was; --force replaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, write_csv

HINT = "add --force to replace it, or choose another name"


def _refused(r: Any, path: Path) -> None:
    assert r.exit_code == 4, (r.stdout, r.stderr)
    assert r.json()["error"] == {"code": "invalid_input", "message": f"{path} exists already", "hint": HINT}


def test_template_refuses_an_existing_file(cli: Any, ok: Any, tmp_path: Path) -> None:
    path = tmp_path / "kunden.xlsx"
    path.write_bytes(b"the reseller's filled-in workbook")
    _refused(cli("import", "template", str(path), "--json"), path)
    assert path.read_bytes() == b"the reseller's filled-in workbook"
    ok("import", "template", str(path), "--force")
    assert path.read_bytes()[:2] == b"PK"  # now the template
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name, written", [("out.xlsx", ["out.xlsx"]), ("out.json", ["out.json"]),
                                           ("out.csv", ["out-mandanten.csv", "out-benutzer.csv"])])
def test_export_refuses_an_existing_file(world: Any, cli: Any, ok: Any, tmp_path: Path, name: str,
                                         written: list[str]) -> None:
    existing = tmp_path / written[-1]  # for csv: the second of the two files; the first is not written either
    existing.write_text("keep me")
    r = cli("export", str(tmp_path / name), "--json")
    _refused(r, existing)
    assert existing.read_text() == "keep me"
    assert [n for n in written if (tmp_path / n).exists()] == [written[-1]]
    data = ok("export", str(tmp_path / name), "--force")
    assert data["files"] == [str(tmp_path / n) for n in written]
    assert existing.read_bytes() != b"keep me"


def test_export_document_to_a_file_refuses_too(world: Any, cli: Any, ok: Any, tmp_path: Path) -> None:
    path = tmp_path / "setup.yaml"
    path.write_text("edited by hand")
    _refused(cli("export", "-o", "yaml", str(path), "--json"), path)
    assert path.read_text() == "edited by hand"
    ok("export", "-o", "yaml", str(path), "--force")
    assert "mueller" in path.read_text()


@pytest.mark.usefixtures("cli_mode")
def test_the_marked_copy_does_not_replace_an_earlier_one(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "kaputt", "mueller", ""]])
    report = tmp_path / "u-fehler.xlsx"
    report.write_text("yesterday's marked copy, with notes")
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4
    error = r.json()["error"]
    assert error["details"]["report"] is None
    assert f"no marked copy: {report} exists already (--force replaces it)" in error["message"]
    assert report.read_text() == "yesterday's marked copy, with notes"
    r = cli("import", "run", str(path), "--force", "--json")
    assert r.exit_code == 4 and r.json()["error"]["details"]["report"] == str(report)
    assert report.read_bytes()[:2] == b"PK"


@pytest.mark.usefixtures("cli_mode")
def test_an_earlier_marked_copy_of_the_file_is_replaced_without_force(world: Any, cli: Any, tmp_path: Path) -> None:
    """The agent's loop: a dry run writes the marked copy, the agent fixes a row, runs again: the
    copy is the tool's own, so it is replaced (a workbook by its stamp, a csv by its header)."""
    from openpyxl import load_workbook

    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "kaputt", "mueller", ""]])
    report = tmp_path / "u-fehler.xlsx"
    assert cli("import", "run", str(path), "--dry-run", "--json").exit_code == 4
    assert report.read_bytes()[:2] == b"PK"
    write_csv(path, [USER_HEADER, ["A", "B", "a@example.com", "gibt-es-nicht", ""]])
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4 and r.json()["error"]["details"]["report"] == str(report)
    cells = [c for row in load_workbook(report).active.iter_rows(values_only=True) for c in row if c]
    assert any("gibt-es-nicht" in str(c) for c in cells) and "kaputt" not in cells

    as_csv = tmp_path / "u-fehler.csv"
    for _ in range(2):
        r = cli("import", "run", str(path), "--report", str(as_csv), "--json")
        assert r.exit_code == 4 and r.json()["error"]["details"]["report"] == str(as_csv)


@pytest.mark.usefixtures("cli_mode")
def test_a_workbook_that_is_no_marked_copy_is_kept(world: Any, cli: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "kaputt", "mueller", ""]])
    report = tmp_path / "u-fehler.xlsx"
    wb = Workbook()
    wb.active.append(["Notizen des Kunden"])
    wb.save(report)
    before = report.read_bytes()
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4 and r.json()["error"]["details"]["report"] is None
    assert report.read_bytes() == before
