"""Issue 10, reading side: files as a German reseller's support team really gets them (CRM exports,
Outlook contacts, lists that went through German Excel once more). Each test would fail on the
reader before issue 10: the file went in wrong with exit 0, or the error named the wrong row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import write_csv, write_xlsx


@pytest.fixture
def refused(world: Any, cli: Any, counts: Any) -> Any:
    """Run an import that must be refused with exit 4 and write nothing; return stderr on one line."""

    def run(path: Path, *extra: str) -> str:
        before = counts()
        r = cli("import", "run", str(path), *extra)
        assert r.exit_code == 4, (r.exit_code, r.stdout, r.stderr)
        after = counts()
        assert {k: v for k, v in after.items() if k != "import_run"} == {
            k: v for k, v in before.items() if k != "import_run"}
        return " ".join(r.stderr.split())

    return run


# -- class 2: identifier cells Excel has changed ------------------------------------------------------

TENANTS = ["Name", "Reseller", "Kundennummer", "Externe ID"]


def test_identifier_cells_excel_changed_are_row_errors_naming_the_fix(refused: Any, tmp_path: Path) -> None:
    # a CRM export opened in Excel: "1-3" became a date, "ja" a yes/no cell, 11,96 a decimal, and an
    # 19-digit external id the number 1.23456789012346E+18
    path = write_xlsx(tmp_path / "kunden.xlsx", {"Mandanten": [
        TENANTS,
        ["Bäckerei Weiß KG", "acme", "010042", "CRM-4711"],
        ["Schröder Logistik GmbH", "acme", dt.datetime(2024, 3, 1), "CRM-4712"],
        ["Müller & Söhne OHG", "acme", True, "CRM-4713"],
        ["Özdemir Reisen GmbH", "acme", 11.96, "CRM-4714"],
        ["Kowalski Bau GmbH", "acme", "010046", 1234567890123456789],
    ]})
    err = refused(path)
    fix = "format the column as text (Format Cells > Text), enter the values again and save"
    assert f"Mandanten, row 3, column Kundennummer: holds a date (2024-03-01): Excel turned the " \
           f"identifier into a date; {fix}" in err
    assert f"Mandanten, row 4, column Kundennummer: holds TRUE, a yes/no cell, not an identifier; {fix}" in err
    assert f"Mandanten, row 5, column Kundennummer: holds the decimal number 11.96, not an identifier; {fix}" in err
    assert ("Mandanten, row 6, column Externe ID: holds the number 1.23457e+18 with more than 15 digits: Excel "
            "keeps 15 and the rest is lost") in err
    assert "row 2" not in err


def test_identifier_texts_german_excel_wrote_to_csv_are_row_errors(refused: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kunden.csv", [
        TENANTS,
        ["Bäckerei Weiß KG", "acme", "11.960", "CRM-4711"],
        ["Schröder Logistik GmbH", "acme", "01.03.2024", "CRM-4712"],
        ["Müller & Söhne OHG", "acme", "WAHR", "CRM-4713"],
        ["Özdemir Reisen GmbH", "acme", "10043", "1,23457E+18"],
        ["Kowalski Bau GmbH", "acme", "10044", "1234567890123450000"],
        ["Fischer Feinkost GmbH", "acme", "10045", "4711.0815"],
        ["Wagner Werkzeuge GmbH", "acme", "10046", "2024-11-30"],
    ], encoding="cp1252")
    err = refused(path, "--sheet", "tenants")
    assert "row 2, column Kundennummer: '11.960' has a thousands separator: the column was formatted as a " \
           "number; format the column as text" in err
    assert "row 3, column Kundennummer: '01.03.2024' is a date: Excel turned the identifier into a date" in err
    assert "row 4, column Kundennummer: 'WAHR' is a yes/no value, not an identifier" in err
    assert "row 5, column Externe ID: '1,23457E+18' is a number Excel shortened" in err
    assert "row 6, column Externe ID: '1234567890123450000' has more than 15 digits ending in zeros" in err
    assert "row 7, column Externe ID: '4711.0815' is a decimal number, not an identifier" in err
    assert "row 8, column Externe ID: '2024-11-30' is a date" in err


def test_ordinary_identifiers_and_names_are_not_suspected(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "kunden.xlsx", {
        "Mandanten": [TENANTS, ["Fischer GmbH", "acme", "010042", "1234567890123456"],
                      ["Theodor Wagner KG", "acme", 10043, "W-4711"]],
        "Benutzer": [["Vorname", "Nachname", "E-Mail", "Mandant"],
                     ["Frieda", "Fischer", "frieda@fischer.example", "Fischer GmbH"],
                     ["Theo", "Wagner", "theo@wagner.example", "10043"]]})
    data = ok("import", "run", str(path))
    assert data["counts"]["tenants_create"] == 2 and data["counts"]["users_create"] == 2


# -- class 3: broken characters -------------------------------------------------------------------

USERS = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"]


def test_letters_excel_replaced_with_question_marks_are_refused(refused: Any, cli: Any, tmp_path: Path) -> None:
    # "CSV (Trennzeichen-getrennt)" from German Excel is Windows-1252: Ł and ı become "?"
    path = tmp_path / "benutzer.csv"
    path.write_bytes("Vorname;Nachname;E-Mail;Mandant;Rolle\r\n"
                     "?ukasz;Seidel;lukasz.seidel@mueller.example;mueller;member\r\n"
                     "Jürgen;Weiß;juergen.weiss@mueller.example;mueller;member\r\n"
                     "Jan;Y?lmaz;jan.yilmaz@mueller.example;mueller;member\r\n"
                     "Wer?;Was;wer.was@mueller.example;mueller;member\r\n".encode("cp1252"))
    err = refused(path)
    assert ("row 2, column Vorname: '?ukasz' has broken characters: a letter was replaced by '?' when the file was "
            "saved in an encoding without it; the letter is lost in this file: save it from Excel as 'CSV UTF-8") in err
    assert "row 4, column Nachname: 'Y?lmaz' has broken characters" in err
    assert "row 3" not in err and "row 5" not in err  # Weiß is right; a trailing "?" is not a lost letter
    assert cli("user", "list", "--search", "ukasz", "--json").data == []


def test_mac_roman_csv_is_named_and_imports_with_the_suggested_encoding(refused: Any, ok: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "benutzer.csv", [USERS,
                                                 ["Jörg", "Krüger", "joerg.krueger@mueller.example", "mueller", ""],
                                                 ["Max", "Mustermann", "max.m@mueller.example", "mueller", ""],
                                                 ["Grete", "Söhne", "grete.soehne@mueller.example", "mueller", ""]],
                     encoding="mac_roman")
    err = refused(path)
    assert ("row 2, column Vorname: 'Jšrg' has broken characters: Mac Roman read as Windows-1252 ('Jörg'?); "
            "the file is Mac Roman: import again with --encoding mac_roman") in err
    assert "row 2, column Nachname: 'KrŸger' has broken characters" in err
    assert "row 4, column Nachname: 'Sšhne' has broken characters" in err
    assert "row 3" not in err
    data = ok("import", "run", str(path), "--encoding", "mac_roman")
    assert data["counts"]["users_create"] == 3
    assert next(r["label"] for r in data["rows"] if r["type"] == "user").startswith("joerg.krueger@")


def test_utf8_read_as_windows_1252(refused: Any, tmp_path: Path) -> None:
    # a UTF-8 csv forced to Windows-1252: the reading is suggested
    path = write_csv(tmp_path / "benutzer.csv", [USERS, ["Jürgen", "Müller", "j.m@mueller.example", "mueller", ""]])
    err = refused(path, "--encoding", "cp1252")
    assert ("row 2, column Vorname: 'JÃ¼rgen' has broken characters: UTF-8 read as Windows-1252 ('Jürgen'?); "
            "the file is UTF-8: import again with --encoding utf-8") in err
    # a workbook whose text was damaged before: no reading repairs it, the workbook must be corrected
    book = write_xlsx(tmp_path / "kunden.xlsx", {"Benutzer": [USERS, ["Jürgen", "MÃ¼ller", "j@mueller.example",
                                                                       "mueller", ""]]})
    assert ("Benutzer, row 2, column Nachname: 'MÃ¼ller' has broken characters: UTF-8 read as Windows-1252 "
            "('Müller'?); the text was damaged before it reached this workbook") in refused(book)


def test_real_names_with_s_caron_next_to_umlauts_are_not_suspected(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "benutzer.csv", [USERS, ["Tomáš", "Novšak", "t.novsak@mueller.example", "mueller", ""],
                                                 ["Jürgen", "Weiß", "j.weiss@mueller.example", "mueller", ""],
                                                 ["Łukasz", "Yılmaz", "l.yilmaz@mueller.example", "mueller", ""]])
    assert ok("import", "run", str(path))["counts"]["users_create"] == 3
