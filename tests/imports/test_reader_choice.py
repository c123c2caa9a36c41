"""Which reader an import uses: TENANTCTL_IMPORT_READER=auto (the default) reads a file of
read.COLUMNAR_FROM bytes or more into columns and a smaller one row by row; rows and columns force one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantctl.importers import read
from tenantctl.store.errors import UsageError

CSV = "Vorname;Nachname;E-Mail;Mandant\nMax;Müller;max@example.com;acme\n"
ROWS = [("Max", "Müller", "max@example.com", "acme")]


def _users(tmp_path: Path) -> Path:
    path = tmp_path / "benutzer.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _columnar(path: Path) -> bool:
    table = read.read(path).tables["users"]
    columnar = table.columns is not None
    assert [values for _, values in table.rows] == ROWS  # either reader, the same rows
    return columnar


@pytest.mark.parametrize("value", [None, "", "auto", " Auto "])
def test_auto_is_the_default_and_reads_a_small_file_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(read.READER, raising=False)
    else:
        monkeypatch.setenv(read.READER, value)
    assert read.default_reader() == "auto"
    assert not _columnar(_users(tmp_path))


def test_auto_reads_a_file_from_the_threshold_on_into_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(read.READER, raising=False)
    path = _users(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(read, "COLUMNAR_FROM", size + 1)
    assert not _columnar(path)
    monkeypatch.setattr(read, "COLUMNAR_FROM", size)
    assert _columnar(path)


def test_the_threshold_is_a_megabyte() -> None:
    # an xlsx of ~25,000 rows or a csv of ~15,000: below, importing polars costs more than it saves
    assert read.COLUMNAR_FROM == 1 << 20


@pytest.mark.parametrize(("value", "columnar"), [("rows", False), ("ROWS", False), ("columns", True)])
def test_rows_and_columns_force_a_reader_whatever_the_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          value: str, columnar: bool) -> None:
    monkeypatch.setenv(read.READER, value)
    path = _users(tmp_path)
    for threshold in (1, 1 << 40):  # every file large, every file small
        monkeypatch.setattr(read, "COLUMNAR_FROM", threshold)
        assert _columnar(path) is columnar


def test_an_unknown_reader_is_named_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(read.READER, "fast")
    with pytest.raises(UsageError, match="TENANTCTL_IMPORT_READER='fast' is not auto, rows or columns") as err:
        read.read(_users(tmp_path))
    assert err.value.hint == "unset TENANTCTL_IMPORT_READER (auto) or set it to rows or columns"
