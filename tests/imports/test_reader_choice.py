"""Which reader an import uses: the row-wise one unless TENANTCTL_IMPORT_READER=columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantctl.importers import read
from tenantctl.store.errors import UsageError

CSV = "Vorname;Nachname;E-Mail;Mandant\nMax;Müller;max@example.com;acme\n"


def _users(tmp_path: Path) -> Path:
    path = tmp_path / "benutzer.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_the_row_wise_reader_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(read.READER, raising=False)
    table = read.read(_users(tmp_path)).tables["users"]
    assert table.columns is None
    assert [values for _, values in table.rows] == [("Max", "Müller", "max@example.com", "acme")]


def test_the_columnar_reader_on_request_reads_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(read.READER, "columns")
    table = read.read(_users(tmp_path)).tables["users"]
    assert table.columns is not None and table.columns.height == 1
    assert [values for _, values in table.rows] == [("Max", "Müller", "max@example.com", "acme")]


def test_an_unknown_reader_is_named_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(read.READER, "fast")
    with pytest.raises(UsageError, match="TENANTCTL_IMPORT_READER='fast' is not rows or columns"):
        read.read(_users(tmp_path))
