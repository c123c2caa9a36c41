"""The columnar reader (fastexcel / polars, importers/read_xlsx.py, read_csv.py) builds the same
Source as the row-wise reader (importers/read_rowwise.py) on generated workbooks and csv files:
the tables' rows, identifier number cells, notes and problems, or the same refusal."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantctl.importers import read
from tenantctl.store.errors import InvalidInput
from tests.imports.conftest import write_xlsx

TEXTS = ["Anna", "Müller", "Mu\u0308ller", "\u00a0Jörg\u00a0", "  Zoë ", "Weiß", "anna@example.org",
         "ZOE@Example.ORG", "acme", "00123", "123", "20001", "#NV", "#DIV/0!", "#WERT!", "#N/A", "Summe",
         "Gesamt", "Anzahl Kunden: 3", "Total Energies GmbH", "'=1+2", "'@home", "Zeile\nzwei", "a;b", "x,y",
         '"zitiert"', "11.960", "01.03.2024", "WAHR", "1,23457E+18", "12345678901234567890", "admin", "member",
         "MÃ¼ller", "M?ller", "Warum?Marketing GmbH", "\u00e9t\u00e9", "", " ", "\t", "Max", "10042",
         "max.mueller@mueller.example", "Müller & Söhne GmbH", "customer", "de", "EUR"]
NUMBERS = [123, 20001, 1.5, 0, 1e16, 42.0, -7]
USERS = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"]
TENANTS = ["Name", "Kundennummer", "Art", "Währung", "Sprache"]

text_cells = st.sampled_from(TEXTS)


@st.composite
def sheets(draw: Any, cells: Any, typed: bool) -> list[list[Any]]:
    """A header (maybe below a title), data rows, maybe empty rows and a totals row."""
    header = list(draw(st.sampled_from([USERS, TENANTS])))
    if draw(st.booleans()):
        header.append("Bemerkung")  # an ignored column
    rows: list[list[Any]] = []
    if draw(st.integers(0, 4)) == 0:
        rows.append(["Kundenliste", None, None])
    rows.append(header)
    for _ in range(draw(st.integers(0, 7))):
        if draw(st.integers(0, 6)) == 0:
            rows.append([None] * len(header))
            continue
        rows.append([draw(cells) for _ in header])
    if draw(st.integers(0, 4)) == 0:
        rows.append([draw(st.sampled_from(["Summe", "Gesamt:", "Anzahl 3", "Summen"])), None, None, "7"])
    if typed and draw(st.integers(0, 9)) == 0:
        rows.append(["Jan", "Datum", "jan@example.org", draw(st.sampled_from([True, dt.date(2024, 3, 1)]))])
    return rows


def _same(tmp: Path, path: Path, **kw: Any) -> bool:
    """Both readers agree; True when the columnar reader read the file in columns (no fallback)."""
    columnar = []

    def outcome(rowwise: bool) -> Any:
        try:
            src = read.read(path, rowwise=rowwise, **kw)
        except InvalidInput as exc:
            return ("refused", exc.message, exc.hint)
        columnar.extend(t.columns is not None and t._rows is None for t in src.tables.values() if not rowwise)
        tables = {k: (t.sheet, t.header_row, t.headers, t.fields, t.rows, sorted(t.numbers), t.notes)
                  for k, t in src.tables.items()}
        return (tables, [p.as_dict() for p in src.problems], src.notes, sorted(src.padded_refs))

    assert outcome(False) == outcome(True)
    return bool(columnar) and all(columnar)


RUNS = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_csv_reads_as_the_row_wise_reader(tmp_path: Path) -> None:
    @RUNS
    @given(rows=sheets(text_cells, typed=False), delimiter=st.sampled_from([";", ",", "\t"]),
           encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), sep_line=st.booleans(),
           terminator=st.sampled_from(["\r\n", "\n"]))
    def run(rows: list[list[Any]], delimiter: str, encoding: str, sep_line: bool, terminator: str) -> None:
        path = tmp_path / "liste.csv"
        with path.open("w", encoding=encoding, errors="replace", newline="") as fh:
            if sep_line:
                fh.write(f"sep={delimiter}{terminator}")
            csv.writer(fh, delimiter=delimiter, lineterminator=terminator).writerows(
                ["" if c is None else c for c in r] for r in rows)
        in_columns.append(_same(tmp_path, path))

    in_columns: list[bool] = []
    run()
    assert sum(in_columns) > len(in_columns) / 2  # most files are read in columns, not by the fallback


def test_xlsx_reads_as_the_row_wise_reader(tmp_path: Path) -> None:
    @RUNS
    @given(rows=sheets(st.one_of(text_cells, text_cells, st.sampled_from(NUMBERS), st.none()), typed=True),
           second=st.booleans())
    def run(rows: list[list[Any]], second: bool) -> None:
        book = {"Tabelle1": [[c.replace("\t", " ") if isinstance(c, str) else c for c in r] for r in rows]}
        if second:
            book["Anleitung"] = [["Hinweise"]]
        path = write_xlsx(tmp_path / "liste.xlsx", book)
        in_columns.append(_same(tmp_path, path))

    in_columns: list[bool] = []
    run()
    assert sum(in_columns) > len(in_columns) / 2


def test_template_sheets_read_as_the_row_wise_reader(tmp_path: Path) -> None:
    """Both sheets of the template, identifier numbers that were number cells, the template's example row."""
    path = write_xlsx(tmp_path / "k.xlsx", {
        "Mandanten": [["Name", "Kundennummer", "Art"], ["Müller & Söhne GmbH", "10042", "customer"],
                      ["Bäckerei Weiß", 20001, "customer"], ["Schröder", "00123", None], ["Zahl", 1.5, None]],
        "Benutzer": [USERS, ["Max", "Müller", "max.mueller@mueller.example", "10042", "admin"],
                     ["Anna", "Weiß", "anna@example.org", 20001, "member"]],
    })
    _same(tmp_path, path)
    src = read.read(path, rowwise=False)
    assert src.tables["tenants"].columns is not None  # read in columns, no rows built
    assert sorted(src.tables["tenants"].numbers) == [(3, "customer_number")]
    assert sorted(src.tables["users"].numbers) == [(3, "tenant")]
    # the number cell 1.5 and its text '1.5', as the row-wise reader reports them
    assert [(p.row, p.message[:26]) for p in src.problems] == [(5, "holds the decimal number 1"),
                                                               (5, "'1.5' is a decimal number,")]
    assert src.tables["users"].rows == [(3, ("Anna", "Weiß", "anna@example.org", "20001", "member"))]


@pytest.mark.parametrize("content, rowwise_only", [
    ("Vorname;Nachname;E-Mail;Mandant\nAnna;Weiß;anna@example.org;acme;x\n", True),   # ragged: row-wise
    ("Vorname;Nachname;E-Mail;Mandant\rAnna;Weiß;anna@example.org;acme\r", True),     # bare CR: row-wise
    ("Vorname;Nachname;E-Mail;Mandant\nAnna;Weiß;anna@example.org;acme\n", False),
])
def test_a_csv_polars_would_read_otherwise_goes_row_wise(tmp_path: Path, content: str, rowwise_only: bool) -> None:
    path = tmp_path / "u.csv"
    path.write_text(content, encoding="utf-8")
    _same(tmp_path, path)
    assert (read.read(path, rowwise=False).tables["users"].columns is None) is rowwise_only


def test_only_number_like_identifier_texts_ask_the_sheet_for_number_cells(tmp_path: Path, monkeypatch: Any) -> None:
    """fastexcel writes every cell as text: a column of zero-padded texts (`000123`, never a number's
    text) costs no second pass; a column with `20001` does, and only that column."""
    from tenantctl.importers import sheetscan

    asked: list[str] = []
    real = sheetscan.number_cells
    monkeypatch.setattr(sheetscan, "number_cells", lambda zf, part, letters: asked.append(letters) or real(
        zf, part, letters))
    path = write_xlsx(tmp_path / "k.xlsx", {"Mandanten": [["Name", "Kundennummer", "Externe ID"],
                                                          ["A GmbH", "000123", 20001], ["B GmbH", "000124", "x"]]})
    table = read.read(path, rowwise=False).tables["tenants"]
    assert asked == ["C"]
    assert sorted(table.numbers) == [(2, "external_id")]
    assert table.rows == [(2, ("A GmbH", "000123", "20001")), (3, ("B GmbH", "000124", "x"))]
