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


# -- class 4: nothing dropped or misread silently -------------------------------------------------

FIRST = ["Jürgen", "Zoë", "Ömer", "Bärbel", "Łukasz", "Grete", "Jörg", "Özlem"]
LAST = ["Weiß", "Schröder", "Yılmaz", "Köhler", "Nowak", "Müller", "Straße", "Şahin"]


def _people(n: int, start: int = 0) -> list[list[str]]:
    return [[FIRST[i % 8], LAST[(i * 3) % 8], f"person{start + i}@mueller.example"] for i in range(n)]


def test_a_sheet_of_people_that_is_not_imported_is_named(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "crm.xlsx", {
        "Kunden": [TENANTS, ["Bäckerei Weiß KG", "acme", "20001", "CRM-1"]],
        "Ansprechpartner": [["Vorname", "Nachname", "E-Mail", "Telefon", "Firma"]]
                           + [[*p, "+49 89 1234", "Bäckerei Weiß KG"] for p in _people(16)],
        "Notizen": [["Anruf am 3.11."], ["Rückruf erbeten"]],
    })
    data = ok("import", "run", str(path))
    assert data["counts"]["tenants_create"] == 1
    assert ("sheet 'Ansprechpartner' (16 rows) was not read, although it looks like a flat contact list (Vorname, "
            "Nachname, E-Mail, Firma); pass --sheet 'Ansprechpartner' to import it, or rename it") in data["notes"]
    assert "sheet 'Notizen' (2 rows) was not read" in data["notes"]


def test_a_users_file_with_marked_required_headers_is_read_as_users(world: Any, ok: Any, tmp_path: Path) -> None:
    # before: `Firma` made it a tenants file: one customer "mueller", no users, exit 0
    path = write_csv(tmp_path / "benutzer_export.csv", [["Vorname*", "Nachname*", "E-Mail*", "Firma"]]
                     + [[*p, "mueller"] for p in _people(3)])
    data = ok("import", "run", str(path))
    assert data["counts"]["users_create"] == 3 and data["counts"]["tenants_create"] == 0
    book = write_xlsx(tmp_path / "benutzer.xlsx", {"Tabelle1": [
        ["Vorname\n(Pflichtfeld)", "Nachname\n(Pflichtfeld)", "E-Mail-Adresse *", "Firma"],
        *([*p, "mueller"] for p in _people(2, start=10))]})
    data = ok("import", "run", str(book))
    assert data["counts"]["users_create"] == 2 and data["counts"]["tenants_create"] == 0


def test_totals_rows_are_refused_with_their_row(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "kunden.xlsx", {"Kunden": [
        TENANTS,
        ["Bäckerei Weiß KG", "acme", "20001", "CRM-1"],
        ["Total Energies Deutschland GmbH", "acme", "20002", "CRM-2"],  # a company, not a total
        ["Schröder Logistik GmbH", "acme", "20003", "CRM-3"],
        ["", "", "", ""],
        ["Anzahl Kunden: 3", None, None, None],
        ["Summe", None, 60006, None],
        ["Gesamt", None, None, None],
    ]})
    err = refused(path)
    assert "Kunden, row 6: 'Anzahl Kunden: 3' is a totals row, not a company: delete the row" in err
    assert "Kunden, row 7: 'Summe' is a totals row" in err
    assert "Kunden, row 8: 'Gesamt' is a totals row" in err
    assert "row 3" not in err


def test_hidden_rows_filtered_rows_and_hidden_sheets_are_reported(world: Any, ok: Any, tmp_path: Path) -> None:
    from tests.imports.conftest import raw_xlsx, xml_row

    header = ["Vorname", "Nachname", "E-Mail", "Mandant"]
    rows = [xml_row(1, header)] + [xml_row(i, [*p, "mueller"]) for i, p in enumerate(_people(4), start=2)]
    rows[2] = rows[2].replace('<row r="3">', '<row r="3" hidden="1">')
    rows[4] = rows[4].replace('<row r="5">', '<row r="5" hidden="1">')
    old = [xml_row(1, header), xml_row(2, ["Alt", "Alt", "alt@mueller.example", "mueller"])]
    path = raw_xlsx(tmp_path / "benutzer.xlsx", {"Benutzer": rows, "Benutzer alt": old, "Listen": [xml_row(1, ["de"])]},
                    extra={"Benutzer": '<autoFilter ref="A1:D5"/>'}, hidden={"Benutzer alt", "Listen"})
    data = ok("import", "run", str(path), "--dry-run")
    assert data["counts"]["users_create"] == 4  # hidden and filtered rows are imported, and said so
    assert ("Benutzer: rows 3, 5 are filtered out (AutoFilter) in Excel; they are imported like the visible rows "
            "(delete them in the file to leave them out)") in data["notes"]
    assert ("hidden sheet 'Benutzer alt' (1 rows) was not read, although it looks like a list of people (Vorname, "
            "Nachname, E-Mail, Mandant); pass --sheet 'Benutzer alt' to import it, or rename it") in data["notes"]
    assert "hidden sheet 'Listen' (1 rows) was not read" in data["notes"]
    assert ok("import", "run", str(path), "--sheet", "Benutzer alt", "--dry-run")["counts"]["users_create"] == 1


def test_title_rows_above_the_header_are_skipped_or_named(world: Any, ok: Any, refused: Any, tmp_path: Path) -> None:
    header = ["Vorname", "Nachname", "E-Mail", "Mandant"]
    people = [[*p, "mueller"] for p in _people(2)]
    bad = ["Kaputt", "X", "kaputt", "mueller"]
    path = write_xlsx(tmp_path / "liste.xlsx", {"Tabelle1": [["Kundenliste Müller & Söhne"], ["Stand: 30.11.2026"],
                                                             [], header, *people, bad]})
    err = refused(path)
    assert "Tabelle1, row 7, column E-Mail: invalid e-mail 'kaputt'" in err
    assert "the header is row 4; rows 1-3 above it were skipped ('Kundenliste Müller & Söhne / Stand: 30.11.2026')" \
        in err
    # a header that is not unambiguous is named with --header-row
    odd = write_xlsx(tmp_path / "odd.xlsx", {"Tabelle1": [["Export", "CRM", "30.11.2026", "intern"], header, *people]})
    assert "pass --header-row 2" in refused(odd)
    assert ok("import", "run", str(odd), "--header-row", "2")["counts"]["users_create"] == 2


def test_excel_sep_line_is_honoured(refused: Any, tmp_path: Path) -> None:
    path = tmp_path / "benutzer.csv"
    path.write_text("sep=,\r\nVorname,Nachname,E-Mail,Mandant\r\nJürgen,Weiß,j.weiss@mueller.example,mueller\r\n"
                    "Zoë,Schröder,kaputt,mueller\r\n", encoding="utf-8-sig")
    err = refused(path)
    assert "benutzer.csv, row 3, column E-Mail: invalid e-mail 'kaputt'" in err  # Excel hides the sep= line


# -- class 5: row numbers as the spreadsheet shows them --------------------------------------------

def test_multiline_cell_rows_are_numbered_as_excel_does_and_marked_there(refused: Any, tmp_path: Path) -> None:
    # an Outlook contact export: the address is one quoted cell over three lines
    path = tmp_path / "kontakte.csv"
    path.write_text('Vorname;Nachname;E-Mail;Mandant;Adresse\r\n'
                    'Jürgen;Weiß;j.weiss@mueller.example;mueller;"Hauptstr. 1\r\n80331 München\r\nDeutschland"\r\n'
                    'Zoë;Schröder;zoe.schroeder@mueller.example;mueller;"Ring 2\r\n10115 Berlin"\r\n'
                    'Ömer;Yılmaz;kaputt;mueller;Weg 3\r\n', encoding="utf-8")
    err = refused(path)
    assert "kontakte.csv, row 4, column E-Mail: invalid e-mail 'kaputt'" in err  # physical line 7
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "kontakte-fehler.xlsx").active
    assert ws is not None
    assert ws.cell(row=4, column=1).value == "Ömer" and ws.cell(row=4, column=3).fill.fgColor.rgb == "FFFFC7CE"
    assert "ungültige E-Mail-Adresse 'kaputt'" in ws.cell(row=4, column=6).value  # German headers: German copy
    assert ws.cell(row=2, column=5).value == "Hauptstr. 1\n80331 München\nDeutschland"
    assert ws.cell(row=3, column=6).value is None and ws.cell(row=1, column=6).value == "Fehler"


def test_dry_run_lists_every_error_row_first(world: Any, cli: Any, tmp_path: Path) -> None:
    people = [[*p, "mueller"] for p in _people(2_000)]
    people[1_899][2] = "kaputt-at-mueller.example"
    path = write_csv(tmp_path / "benutzer.csv", [["Vorname", "Nachname", "E-Mail", "Mandant"], *people])
    r = cli("import", "run", str(path), "--dry-run")
    assert r.exit_code == 4
    out = " ".join(r.stdout.split())
    assert "1901" in out and "invalid e-mail 'kaputt-at-mueller.example'" in out  # before: only rows 2-201
    assert "… and 1,800 more rows" in " ".join(r.stderr.split())


def test_flat_contact_list_on_a_hidden_sheet_is_named_not_read(world: Any, ok: Any, cli: Any,
                                                               tmp_path: Path) -> None:
    """The CRM export pasted into a hidden sheet of the template: not read, and the plan's JSON says
    what it is and how to read it, so a script sees it too."""
    from tests.imports.conftest import raw_xlsx, xml_row

    header = ["Vorname", "Nachname", "E-Mail", "Mandant"]
    users = [xml_row(1, header)] + [xml_row(i, [*p, "mueller"]) for i, p in enumerate(_people(2), start=2)]
    crm = [xml_row(1, ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon"]),
           xml_row(2, ["Bäckerei Groß GmbH", "000402", "Bärbel", "Groß", "baerbel@baeckerei-gross.example",
                       "+49 30 1234567"]),
           xml_row(3, ["Bäckerei Groß GmbH", "000402", "Jörg", "Weiß", "joerg@baeckerei-gross.example",
                       "+49 30 1234568"]),
           xml_row(4, ["Elektro Böhm e.K.", "000403", "Özlem", "Yılmaz", "oezlem@elektro-boehm.example", ""])]
    path = raw_xlsx(tmp_path / "vorlage.xlsx", {"Benutzer": users, "CRM-Export": crm}, hidden={"CRM-Export"})
    r = cli("import", "run", str(path), "--dry-run", "--json")
    assert r.exit_code == 0 and r.stderr == "", (r.exit_code, r.stdout, r.stderr)
    data = r.json()["data"]
    assert data["counts"]["users_create"] == 2 and data["counts"]["tenants_create"] == 0
    assert ("hidden sheet 'CRM-Export' (3 rows) was not read, although it looks like a flat contact list (Firma, "
            "Kundennummer, Vorname, Nachname, E-Mail); pass --sheet 'CRM-Export' to import it, or rename it"
            ) in data["notes"]
    named = ok("import", "run", str(path), "--sheet", "CRM-Export", "--reseller", "acme", "--dry-run")
    assert "read as a flat contact list: 2 companies, 3 people" in named["notes"]
    assert (named["counts"]["tenants_create"], named["counts"]["users_create"]) == (2, 3)
