"""Issue 17, section 2: cells are read as Excel shows them and text the way it was meant. Excel error
values are problems naming the cell; a `?` in a genuine UTF-8 file is text; titles stay out of names
and logins; `--layout flat` and workbooks with one sheet per customer get a reading or a refusal
naming one; the round-trip checks hold whichever sheet is chosen; a ragged csv row is a problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.imports.conftest import raw_xlsx, write_csv, write_xlsx, xml_row


def _problems(r: Any) -> list[dict[str, Any]]:
    assert r.exit_code == 4, (r.exit_code, r.stdout, r.stderr)
    return [{k: p[k] for k in ("row", "column", "message")} for p in r.json()["error"]["details"]["problems"]]


def _unchanged(before: dict[str, int], after: dict[str, int]) -> bool:
    """Nothing written but the recorded refusal."""
    return after == {**before, "import_run": before["import_run"] + 1}


def _error_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="e"><f>SVERWEIS(A2;Stamm!A:B;2;FALSCH)</f><v>{value}</v></c>'


@pytest.mark.parametrize("value", ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!",
                                   "#GETTING_DATA"])
def test_excel_error_in_a_workbook_is_a_row_problem_naming_cell_and_value(backend: str, value: str, world: Any,
                                                                          cli: Any, counts: Any,
                                                                          tmp_path: Path) -> None:
    """A VLOOKUP that found nothing: `#N/A` was read as an empty cell and the import exited 0 without
    the customer number."""
    row2 = (xml_row(2, ["Bäckerei Kühn GmbH", None, "Anna", "Kühn", "anna@kuehn.example"])
            .replace("</row>", _error_cell("B2", value) + "</row>"))
    path = raw_xlsx(tmp_path / "kontakte.xlsx", {"Kontakte": [
        xml_row(1, ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon"]), row2,
        xml_row(3, ["Elektro Wagner KG", "20002", "Uwe", "Wagner", "uwe@wagner.example"])
        .replace("</row>", _error_cell("F3", value) + "</row>")]})  # an ignored column: not a problem
    before = counts()
    r = cli("import", "run", str(path), "--json", as_="rita.reseller")
    if value == "#GETTING_DATA":  # python-calamine cannot parse the sheet: the file is refused naming the cell
        assert r.exit_code == 4 and r.json()["error"]["message"].startswith(
            "Kontakte: cell B2 shows the Excel error #GETTING_DATA instead of a value")
        assert counts() == before
        return
    assert _problems(r)[0] == {"row": 2, "column": "Kundennummer", "message": (
        f"cell B2 shows the Excel error {value} instead of a value: correct the formula (or the lookup it depends "
        "on) in Excel, or type the value, then save again")}
    assert all(p["row"] == 2 for p in _problems(r))
    assert _unchanged(before, counts())


def test_excel_errors_written_by_german_excel_into_a_csv(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    rows = [["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail"],
            ["Bäckerei Kühn GmbH", "#NV", "Anna", "Kühn", "anna@kuehn.example"],
            ["Elektro Wagner KG", "20002", "Uwe", "#WERT!", "uwe@wagner.example"],
            ["Sanitär Becker GmbH", "20003", "Heike", "Becker", "heike@becker.example"]]
    before = counts()
    r = cli("import", "run", str(write_csv(tmp_path / "export.csv", rows, encoding="cp1252")), "--json",
            as_="rita.reseller")
    assert [(p["row"], p["column"], p["message"].split(" instead")[0]) for p in _problems(r)] == [
        (2, "Kundennummer", "cell B2 shows the Excel error #NV"),
        (3, "Nachname", "cell D3 shows the Excel error #WERT!")]
    assert _unchanged(before, counts())


def _tenant_names(store: Any) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT name FROM tenant"))}


def test_question_mark_in_genuine_utf8_is_text(backend: str, world: Any, ok: Any, cli: Any, store: Any,
                                               tmp_path: Path) -> None:
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"],
            ["Warum?Marketing GmbH", "Jörg", "Schäfer", "joerg@warum-marketing.example"]]
    ok("import", "run", str(write_csv(tmp_path / "utf8.csv", rows)), as_="rita.reseller")
    assert "Warum?Marketing GmbH" in _tenant_names(store)
    # a letter Excel really lost when it saved Windows-1252 is still found …
    lost = [rows[0], ["Nowak Bau GmbH", "?ukasz", "Nowak", "lukasz@nowak-bau.example"],
            ["Bäckerei Kühn GmbH", "Anna", "Kühn", "anna@kuehn.example"]]
    r = cli("import", "run", str(write_csv(tmp_path / "cp1252.csv", lost, encoding="cp1252")), "--json",
            as_="rita.reseller")
    assert "'?ukasz' has broken characters" in _problems(r)[0]["message"]
    # … and so is a `?` in a file that could be either (only ASCII); the override takes names as written
    ascii_rows = [rows[0], ["Fragezeichen?Agentur KG", "Uwe", "Lange", "uwe@fragezeichen.example"]]
    path = write_xlsx(tmp_path / "ascii.xlsx", {"Kontakte": ascii_rows})
    assert "has broken characters" in _problems(cli("import", "run", str(path), "--json", as_="rita.reseller"))[0][
        "message"]
    ok("import", "run", str(path), "--trust-names", as_="rita.reseller")
    assert "Fragezeichen?Agentur KG" in _tenant_names(store)


def _people(store: Any) -> set[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(text(  # type: ignore[misc]
            "SELECT first_name, last_name, login FROM user_account WHERE email LIKE '%@praxis.example'"))}


def test_titles_stay_out_of_names_and_logins(backend: str, world: Any, ok: Any, store: Any, tmp_path: Path) -> None:
    rows = [["Firma", "Ansprechpartner", "E-Mail"],
            ["Zahnarztpraxis Heide", "Dr. med. Hans-Jürgen von der Heide", "heide@praxis.example"],
            ["Zahnarztpraxis Heide", "Freifrau Sophie von Stein", "stein@praxis.example"],
            ["Zahnarztpraxis Heide", "Prof. Dr.-Ing. Karl Maier", "maier@praxis.example"],
            ["Zahnarztpraxis Heide", "Herr Dipl.-Kfm. Uwe Lange", "lange@praxis.example"]]
    data = ok("import", "run", str(write_xlsx(tmp_path / "praxis.xlsx", {"Kontakte": rows})), as_="rita.reseller")
    assert any(n.startswith("titles dropped from 4 names (row 2: 'Dr. med. Hans-Jürgen von der Heide' → "
                            "Hans-Jürgen | von der Heide") for n in data["notes"])
    assert _people(store) == {("Hans-Jürgen", "von der Heide", "hans-juergen.von-der-heide"),
                              ("Sophie", "von Stein", "sophie.von-stein"), ("Karl", "Maier", "karl.maier"),
                              ("Uwe", "Lange", "uwe.lange")}
    # separate name columns too (the template's users sheet); a re-run with the titles changes nothing
    users = [["Vorname", "Nachname", "E-Mail", "Mandant"],
             ["Dr. Anna", "Roth", "roth@praxis.example", "mueller"],
             ["Dr. rer. nat. Eva", "Graf", "graf@praxis.example", "mueller"]]
    path = write_xlsx(tmp_path / "benutzer.xlsx", {"Benutzer": users})
    data = ok("import", "run", str(path), as_="rita.reseller")
    assert any(n.startswith("titles dropped from 2 names (row 2: 'Dr. Anna' → 'Anna'") for n in data["notes"])
    assert {p for p in _people(store) if p[0] in {"Anna", "Eva"}} == {("Anna", "Roth", "anna.roth"),
                                                                      ("Eva", "Graf", "eva.graf")}
    assert ok("import", "run", str(path), as_="rita.reseller")["state"] == "unchanged"


def test_layout_flat_with_a_mandant_column_or_none(world: Any, ok: Any, cli: Any, counts: Any,
                                                   tmp_path: Path) -> None:
    """`--layout flat` crashed with "internal error: StopIteration" on both."""
    mandant = [["Mandant", "Vorname", "Nachname", "E-Mail"], ["mueller", "Lea", "Lang", "lea@mueller.example"],
               ["Müller & Söhne GmbH", "Tom", "Tal", "tom@mueller.example"]]
    data = ok("import", "run", str(write_xlsx(tmp_path / "m.xlsx", {"Benutzer": mandant})), "--layout", "flat",
              as_="rita.reseller")
    assert (data["counts"]["tenants_create"], data["counts"]["tenants_update"], data["counts"]["users_create"]) == (
        0, 0, 2)
    assert "Benutzer: column 'Mandant' names each person's company (--layout flat)" in data["notes"]
    none = [["Vorname", "Nachname", "E-Mail", "Telefon"], ["Lea", "Lang", "lea2@mueller.example", "030 1"]]
    before = counts()
    r = cli("import", "run", str(write_csv(tmp_path / "n.csv", none)), "--layout", "flat", "--json",
            as_="rita.reseller")
    assert r.exit_code == 4, r.stdout
    assert r.json()["error"]["message"] == ("n.csv: read as a contact list (--layout flat), but no column names the "
                                            "company: add a column Firma (or Kundennummer)")
    assert counts() == before


def test_workbook_with_one_sheet_per_customer_is_refused_naming_a_reading(world: Any, ok: Any, cli: Any,
                                                                          counts: Any, tmp_path: Path) -> None:
    header = ["Vorname", "Nachname", "E-Mail", "Telefon"]
    path = write_xlsx(tmp_path / "kunden.xlsx", {
        "Bäckerei Kühn": [header, ["Anna", "Kühn", "anna@kuehn.example", "030 1"]],
        "Elektro Wagner": [header, ["Uwe", "Wagner", "uwe@wagner.example", "030 2"]],
        "Sanitär Becker": [header, ["Heike", "Becker", "heike@becker.example", "030 3"]]})
    before = counts()
    r = cli("import", "run", str(path), "--json", as_="rita.reseller")
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == ("kunden.xlsx has 3 sheets of people ('Bäckerei Kühn', 'Elektro Wagner', "
                                            "'Sanitär Becker'), one per customer: such a workbook is not read sheet "
                                            "by sheet")
    assert "column Firma holding each sheet's customer" in r.json()["error"]["hint"]
    assert counts() == before
    # the reading it names: one sheet with the company on each row
    one = [["Firma", *header], ["Bäckerei Kühn", "Anna", "Kühn", "anna@kuehn.example", "030 1"],
           ["Elektro Wagner", "Uwe", "Wagner", "uwe@wagner.example", "030 2"]]
    assert ok("import", "run", str(write_xlsx(tmp_path / "alle.xlsx", {"Alle": one})), "--dry-run",
              as_="rita.reseller")["counts"]["tenants_create"] == 2


def test_round_trip_checks_hold_for_a_sheet_chosen_with_sheet(backend: str, world: Any, cli: Any, counts: Any,
                                                              tmp_path: Path) -> None:
    """`--sheet Mandanten` on a workbook whose numbers lost their zeros stored them silently: the
    users sheet (not imported) still shows the zero-padded references."""
    path = write_xlsx(tmp_path / "kunden.xlsx", {
        "Mandanten": [["Name", "Reseller", "Kundennummer"], ["Bäckerei Kühn GmbH", "acme", 30001],
                      ["Elektro Wagner KG", "acme", 30002]],
        "Benutzer": [["Vorname", "Nachname", "E-Mail", "Mandant"], ["Anna", "Kühn", "anna@kuehn.example", "030001"],
                     ["Uwe", "Wagner", "uwe@wagner.example", "030002"]]})
    before = counts()
    for args in ((), ("--sheet", "Mandanten")):
        problems = _problems(cli("import", "run", str(path), *args, "--json"))
        assert [(p["row"], p["column"]) for p in problems if "lost leading zeros" in p["message"]] == [
            (2, "Kundennummer"), (3, "Kundennummer")], args
    assert counts()["tenant"] == before["tenant"]


def test_ragged_csv_row_is_a_problem(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    """`Müller; Söhne GmbH` unquoted: the row is shifted by one cell, the last one was silently cut."""
    path = tmp_path / "kontakte.csv"
    path.write_text("Firma;Vorname;Nachname;E-Mail\n"
                    "Bäckerei Kühn GmbH;Anna;Kühn;anna@kuehn.example\n"
                    "Müller; Söhne GmbH;Max;Müller;max2@mueller.example\n", encoding="utf-8")
    before = counts()
    problems = _problems(cli("import", "run", str(path), "--json", as_="rita.reseller"))
    assert {"row": 3, "column": None, "message": (
        "the row has 5 cells, the header 4: a separator inside a cell that is not quoted? The row is shifted and "
        "its last cells would be lost; quote the cell or correct the row")} in problems
    assert _unchanged(before, counts())
