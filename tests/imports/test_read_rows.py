"""Rows are converted column by column when a chunk is rectangular and cell by cell otherwise:
both ways must give the same table, the same problems and the same number cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from importers import read, safety

CELLS: list[list[Any]] = [
    ["  Jürgen ", "Weiß", 1067.0, "admin", True],
    ["", None, "", None, None],                                  # an empty row is skipped
    ["'=SUMME(A1)", "x" * 12, "01067", "member", date(2025, 12, 31)],
    ["Zoë", "Łukasiewicz", 20002, "  admin", 1.5],
    ["Anna", "'-", None, "ADMIN", False],
]


def _convert(how: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    monkeypatch.setattr(safety, "MAX_CELL_CHARS", 11)
    src = read.Source(Path("k.xlsx"), "xlsx")
    table = read.Table("users", "Benutzer", 1, ["Vorname", "Nachname", "Kundennummer", "Rolle", "Aktiv"],
                       {"first_name": 0, "last_name": 1, "customer_number": 2, "role": 3, "active": 4})
    rows = read._Rows(src, table, [0, 1, 2, 3, 4], {2: "customer_number"})
    getattr(rows, how)([list(r) for r in CELLS], 2)
    return table.rows, sorted(table.numbers), [p.as_dict() for p in src.problems]


def test_column_and_cell_conversion_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    by_column = _convert("_by_column", monkeypatch)
    assert by_column == _convert("_by_cell", monkeypatch)
    rows, numbers, problems = by_column
    assert rows[0] == (2, ("Jürgen", "Weiß", "1067", "admin", "ja"))
    assert [r for r, _ in rows] == [2, 4, 5, 6]
    assert rows[1][1][0] == "=SUMME(A1)" and rows[1][1][1] == ""  # escape undone; too long → emptied
    assert rows[3][1][1] == "-"
    assert numbers == [(2, "customer_number"), (5, "customer_number")]
    assert problems == [{"sheet": "Benutzer", "row": 4, "column": "Nachname",
                         "message": "cell has 12 characters; at most 11"}]


def test_a_ragged_chunk_is_converted_cell_by_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    src = read.Source(Path("k.csv"), "csv")
    table = read.Table("users", "k.csv", 1, ["Vorname", "Nachname"], {"first_name": 0, "last_name": 1})
    rows = read._Rows(src, table, [0, 1], {})
    monkeypatch.setattr(rows, "_by_cell", lambda chunk, start: calls.append("cell"))
    monkeypatch.setattr(rows, "_by_column", lambda chunk, start: calls.append("column"))
    rows.add([["a", "b"], []], 2)
    rows.add([["a", "b"], ["c", "d"]], 4)
    assert calls == ["cell", "column"]
