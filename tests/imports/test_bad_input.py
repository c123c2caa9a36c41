"""Every bad input of issue 5: a clear error (sheet, row, column where it applies), exit code 4,
nothing written. Attack files are crafted cheaply (zip entries written directly, sparse files)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import TENANT_HEADER, USER_HEADER, basic_workbook, patch_part, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

USER = ["Jürgen", "Weiß", "juergen@weiss.example", "mueller", "member"]


@pytest.fixture
def refused(world: Any, cli: Any, counts: Any) -> Any:
    """Run an import that must be refused with exit 4; return stderr. Checks nothing was written
    (a refused run is recorded as such, nothing else)."""

    def run(path: Path, *extra: str) -> str:
        before = counts()
        r = cli("import", "run", str(path), *extra)
        assert r.exit_code == 4, (r.exit_code, r.stdout, r.stderr)
        after = counts()
        assert {k: v for k, v in after.items() if k != "import_run"} == {
            k: v for k, v in before.items() if k != "import_run"}
        assert after["import_run"] - before["import_run"] in (0, 1)
        return " ".join(r.stderr.split())

    return run


def test_missing_required_column_lists_accepted_headers(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [["Vorname", "Nachname", "Mandant"], ["A", "B", "mueller"]]})
    err = refused(path)
    assert "missing required column 'E-Mail' (accepted headers: E-Mail, Email, Mail," in err


def test_unknown_sheet(refused: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "x.xlsx")
    err = refused(path, "--sheet", "Kontakte")
    assert "has no sheet 'Kontakte'; it has: Mandanten, Benutzer" in err


def test_empty_file(refused: Any, tmp_path: Path) -> None:
    (tmp_path / "leer.csv").write_bytes(b"")
    assert "leer.csv is empty" in refused(tmp_path / "leer.csv")
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    assert "blank.csv is empty" in refused(tmp_path / "blank.csv")
    empty = write_xlsx(tmp_path / "leer.xlsx", {"Benutzer": []})
    assert "the sheet is empty" in refused(empty)


def test_header_only(refused: Any, tmp_path: Path) -> None:
    assert "only a header row, no data rows" in refused(write_csv(tmp_path / "u.csv", [USER_HEADER]))
    wb = write_xlsx(tmp_path / "u.xlsx", {"Mandanten": [TENANT_HEADER], "Benutzer": [USER_HEADER]})
    assert "holds no data rows" in refused(wb)


def test_header_below_rows_that_hold_data(refused: Any, tmp_path: Path) -> None:
    # a title row is skipped (tests/imports/test_reading.py); rows with data above the header are not
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [["Stand", "30.11.2025", "Müller", "intern"], [],
                                                         USER_HEADER, USER]})
    assert ("the header seems to be in row 3, but the rows above it hold data (pass --header-row 3, or delete "
            "rows 1-2)") in refused(path)


def test_merged_header_cells(refused: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"], USER]})
    wb = load_workbook(path)
    wb["Benutzer"].merge_cells("A1:B1")
    wb.save(path)
    assert "header cells are merged (A1:B1)" in refused(path)


def test_same_email_twice_in_file(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [USER_HEADER, USER,
                                                         ["J.", "Weiß", "JUERGEN@weiss.example", "mueller", ""]]})
    assert "Benutzer, row 3, column E-Mail: e-mail JUERGEN@weiss.example also in row 2" in refused(path)


def test_email_of_a_user_outside_the_actor_scope(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [USER_HEADER, ["Otto", "Other", "otto@other.example",
                                                                       "mueller", "member"]]})
    before = counts()
    r = cli("import", "run", str(path), as_="rita.reseller")
    assert r.exit_code == 4
    assert "a user with e-mail otto@other.example already exists outside your tenants" in r.stderr
    assert counts()["membership"] == before["membership"]


def test_invalid_emails(refused: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "a@@x.example", "mueller", ""],
                                          ["C", "D", "c at x.example", "mueller", ""],
                                          ["E", "F", "e@localhost", "mueller", ""]])
    err = refused(path)
    assert "u.csv, row 2, column E-Mail: invalid e-mail 'a@@x.example'" in err
    assert "row 3, column E-Mail: invalid e-mail 'c at x.example'" in err
    assert "row 4, column E-Mail: invalid e-mail 'e@localhost'" in err


def test_unknown_tenant(refused: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "a@x.example", "gibtsnicht", ""]])
    assert "row 2, column Mandant: unknown tenant 'gibtsnicht': not in the file and not in the store" in refused(path)


def test_customer_numbers_that_lost_leading_zeros(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Mandanten": [["Name", "Reseller", "Kundennummer"],
                                                          ["Eins GmbH", "acme", "01066"],
                                                          ["Zwei GmbH", "acme", "02001"],
                                                          ["Drei GmbH", "acme", 1067]]})
    assert "Mandanten, row 4, column Kundennummer: customer number 1067 is shorter than the others" in refused(path)


def test_formula_cell_without_cached_value(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [USER_HEADER, ["A", "B", '=CONCAT("a","@x.example")',
                                                                       "mueller", ""]]})
    assert "Benutzer, row 2, column E-Mail: cell C2 holds a formula without a computed value" in refused(path)


def test_one_megabyte_cell(refused: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A" * 1_000_000, "B", "a@x.example", "mueller", ""]])
    assert "row 2, column Vorname: cell has 1,000,000 characters; at most 32,767" in refused(path)


def test_a_million_empty_trailing_rows(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [USER_HEADER, USER]})
    tail = b"".join(b'<row r="%d"><c r="A%d"/></row>' % (i, i) for i in range(3, 1_000_003))
    patch_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b"</sheetData>", tail + b"</sheetData>"))
    data = ok("import", "run", str(path))  # empty rows are not rows: read quickly, one user imported
    assert data["counts"]["users_create"] == 1


def test_dimension_tag_claiming_a1(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {"Benutzer": [USER_HEADER, USER,
                                                         ["Zoë", "Ölmann", "zoe@x.example", "mueller", ""]]})
    patch_part(path, "xl/worksheets/sheet1.xml",
               lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', x))
    assert ok("import", "run", str(path))["counts"]["users_create"] == 2  # every row read, not only A1


def test_semicolon_csv_in_cp1252_is_read_with_a_notice(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["Jürgen", "Weiß", "j@x.example", "mueller", ""]],
                     encoding="cp1252")
    r = cli("import", "run", str(path))
    assert r.exit_code == 0
    assert "u.csv is not UTF-8; read as Windows-1252 (cp1252)" in " ".join(r.stderr.split())
    listed = cli("user", "list", "--search", "weiß", "--json").data
    assert [u["login"] for u in listed] == ["juergen.weiss"]


def test_utf16_csv(world: Any, cli: Any, refused: Any, tmp_path: Path) -> None:
    with_bom = write_csv(tmp_path / "bom.csv", [USER_HEADER, ["Jürgen", "Weiß", "j@x.example", "mueller", ""]],
                         delimiter="\t", encoding="utf-16")
    r = cli("import", "run", str(with_bom), "--dry-run")
    assert r.exit_code == 0 and "UTF-16" in r.stderr
    raw = tmp_path / "nobom.csv"
    raw.write_bytes(";".join(USER_HEADER).encode("utf-16-le"))
    assert "looks like UTF-16 without a byte-order mark" in refused(raw)
    forced = cli("import", "run", str(raw), "--encoding", "utf-16-le")
    assert "only a header row" in forced.stderr


def test_xls_renamed_to_xlsx(refused: Any, tmp_path: Path) -> None:
    path = tmp_path / "alt.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    assert "alt.xlsx is an old Excel .xls file, not .xlsx" in refused(path)


def test_password_protected_workbook(refused: Any, tmp_path: Path) -> None:
    path = tmp_path / "geheim.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le")
                     + b"\x00" * 500)
    assert "geheim.xlsx is a password-protected workbook" in refused(path)


def test_zip_bomb_is_refused_before_parsing(refused: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * 20_000_000)  # 20 MB of zeros: ~20 KB compressed
    assert "expands" in refused(path) and "zip bomb" in refused(path)


def test_too_many_zip_entries(refused: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "many.xlsx")
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(2_100):
            zf.writestr(f"xl/x/{i}.txt", b"")
    assert "parts; a workbook has far fewer" in refused(path)


def test_xml_entity_bomb(refused: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "lol.xlsx")
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>')
    patch_part(path, "xl/sharedStrings.xml" if _has(path, "xl/sharedStrings.xml") else "xl/workbook.xml",
               lambda x: bomb + x.split(b"?>", 1)[-1])
    assert "declares a DTD or XML entities; refused" in refused(path)


def _has(path: Path, part: str) -> bool:
    with zipfile.ZipFile(path) as zf:
        return part in zf.namelist()


def test_200_mb_file_is_refused(refused: Any, tmp_path: Path) -> None:
    path = tmp_path / "riesig.csv"
    with path.open("wb") as fh:  # sparse: costs no disk and no time
        fh.truncate(200_000_000)
    assert "riesig.csv is 200 MB; the import reads at most 100 MB" in refused(path)


def test_invalid_rows_are_all_reported_at_once(refused: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", {
        "Mandanten": [TENANT_HEADER, ["bad key!", "", "customer", "acme", "1", "XXX", "fr"]],
        "Benutzer": [USER_HEADER, ["", "B", "b@x.example", "mueller", "chef"]]})
    err = refused(path)
    for text in ("column Schlüssel: tenant key 'bad key!' is not valid", "column Name: tenant name must not be empty",
                 "column Währung: unknown currency 'XXX'", "column Sprache: language 'fr' is not one of de, en",
                 "Benutzer, row 2, column Vorname: first name must not be empty",
                 "column Rolle: role 'chef' is not one of admin, member, billing"):
        assert text in err


def test_refused_run_with_json_lists_every_problem(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "a@@x.example", "mueller", ""],
                                          ["C", "D", "c@x.example", "gibtsnicht", ""]])
    before = counts()
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4 and r.stderr.startswith("error: 2 problem(s) in u.csv; nothing was written (run ")
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and error["message"].startswith("2 problem(s) in u.csv")
    assert error["details"]["report"] == str(tmp_path / "u-fehler.xlsx")
    assert [(p["row"], p["column"]) for p in error["details"]["problems"]] == [(2, "E-Mail"), (3, "Mandant")]
    assert counts()["user_account"] == before["user_account"]


@pytest.mark.parametrize(("sheets", "problem"), [
    ({"Mandanten": [TENANT_HEADER, [None, "Gut GmbH", "customer", "acme", "40001", "EUR", "de"],
                    ["Summe", None, None, None, None, None, None]]},
     "'Summe' is a totals row, not a company: delete the row"),
    ({"Kontakte": [["Firma", "Vorname", "Nachname", "E-Mail"],
                   ["Bäckerei Kühn GmbH", "Anna", "Kühn", "anna@baeckerei-kuehn.example"]]},
     "a flat contact list of customers needs their reseller: add --reseller KEY, or a 'Reseller' column"),
], ids=["totals-row", "contacts-without-reseller"])
def test_skip_invalid_never_skips_a_problem_of_the_file(backend: str, sheets: Any, problem: str, world: Any,
                                                        cli: Any, counts: Any, tmp_path: Path) -> None:
    """--skip-invalid skips bad rows, never a problem of the file: the run is refused with the
    problem, nothing written but the refusal's record, though every other row is good."""
    before = counts()
    r = cli("import", "run", str(write_xlsx(tmp_path / "datei.xlsx", sheets)), "--skip-invalid", "--json")
    assert r.exit_code == 4, (r.stdout, r.stderr)
    error = r.json()["error"]
    assert [p["message"] for p in error["details"]["problems"]] == [problem]
    assert error["hint"] == "fix the rows and import again (--skip-invalid cannot skip these)"
    assert "nothing was written" in error["message"]
    assert counts() == {**before, "import_run": before["import_run"] + 1}
