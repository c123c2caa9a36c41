"""Files that went through Excel once more (issue 10, classes 2 and 3, planning side): customer
numbers that lost their leading zeros match the stored customer and keep the stored number; a
stored correct name is never overwritten by a damaged one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.imports.conftest import write_csv, write_xlsx

FIRMEN = [("Łukasiewicz Sanitär GmbH", "020000"), ("Müller & Söhne KG", "020001"), ("Bäckerei Weiß", "020002"),
          ("Krüger Elektro", "020003"), ("Yılmaz Reinigung", "020004")]
HEADER = ["Name", "Kundennummer", "Währung"]


def _first_import(ok: Any, tmp_path: Path) -> None:
    ok("import", "run", str(write_xlsx(tmp_path / "kunden.xlsx", {"Mandanten": [HEADER] + [
        [name, number, "EUR"] for name, number in FIRMEN]})), "--reseller", "acme")


def test_excel_saved_numbers_match_the_stored_customers(world: Any, ok: Any, db_rows: Any, counts: Any,
                                                        tmp_path: Path) -> None:
    _first_import(ok, tmp_path)
    before = counts()
    # opened and saved in Excel: the column became numbers (010000 -> 10000), nothing else changed
    saved = write_xlsx(tmp_path / "kunden-excel.xlsx", {"Mandanten": [HEADER] + [
        [name, int(number), "EUR"] for name, number in FIRMEN]})
    data = ok("import", "run", str(saved), "--reseller", "acme")
    assert data["counts"]["tenants_create"] == 0 and data["counts"]["tenants_unchanged"] == 5
    assert counts()["tenant"] == before["tenant"]
    assert db_rows("SELECT customer_number FROM connection WHERE customer_number LIKE '0200%' "
                   "ORDER BY customer_number") == [(n,) for _, n in FIRMEN]
    assert any("5 customer numbers lost their leading zeros" in n and "20000 = 020000" in n
               for n in data["notes"])


def test_new_number_cell_beside_zero_padded_store_is_refused(world: Any, cli: Any, ok: Any, store: Any, db_rows: Any,
                                                             tmp_path: Path) -> None:
    """A whole column of numbers (no mixed lengths in the file itself) is flagged when the store's
    numbers at this reseller are zero-padded text: the new customer's number lost its zeros."""
    _first_import(ok, tmp_path)
    saved = write_xlsx(tmp_path / "neu.xlsx", {"Mandanten": [
        HEADER, ["Müller & Söhne KG", 20001, "EUR"], ["Schröder Logistik", 20005, "EUR"]]})
    r = cli("import", "run", str(saved), "--reseller", "acme", "--json")
    assert r.exit_code == 4
    (problem,) = r.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"]) == (3, "Kundennummer")
    assert "20005 is a number cell" in problem["message"] and "020000" in problem["message"]
    assert db_rows("SELECT count(*) FROM tenant WHERE name = 'Schröder Logistik'") == [(0,)]


def test_users_sheet_reference_without_zeros_matches(world: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    _first_import(ok, tmp_path)
    path = write_xlsx(tmp_path / "benutzer.xlsx", {"Benutzer": [["Vorname", "Nachname", "E-Mail", "Mandant"],
                                                                ["Jörg", "Krüger", "joerg@krueger.example", 20003]]})
    data = ok("import", "run", str(path))
    assert data["counts"]["users_create"] == 1
    assert db_rows("SELECT t.name FROM user_account u JOIN membership m ON m.user_id = u.id "
                   "JOIN tenant t ON t.id = m.tenant_id WHERE u.email = 'joerg@krueger.example'") == [
        ("Krüger Elektro",)]


def test_damaged_names_never_replace_stored_ones(world: Any, cli: Any, ok: Any, db_rows: Any, counts: Any,
                                                 tmp_path: Path) -> None:
    _first_import(ok, tmp_path)
    people = [["Łukasz", "Łukasiewicz", "lukasz@lukasiewicz.example", "020000"],
              ["Jürgen", "Müller", "juergen@mueller.example", "020001"],
              ["Jörg", "Krüger", "joerg@krueger.example", "020003"]]
    ok("import", "run", str(write_csv(tmp_path / "benutzer.csv", [["Vorname", "Nachname", "E-Mail", "Mandant"],
                                                                   *people])))
    before = counts()
    # the same list after a round trip: cp1252 '?' for Ł, UTF-8 read as cp1252, Mac Roman read as cp1252
    damaged = [["?ukasz", "?ukasiewicz", "lukasz@lukasiewicz.example", "020000"],
               ["JÃ¼rgen", "MÃ¼ller", "juergen@mueller.example", "020001"],
               ["Jšrg", "KrŸger", "joerg@krueger.example", "020003"]]
    r = cli("import", "run", str(write_csv(tmp_path / "benutzer-excel.csv", [["Vorname", "Nachname", "E-Mail",
                                                                              "Mandant"], *damaged])), "--json")
    assert r.exit_code == 4
    assert {(p["row"], p["column"]) for p in r.json()["error"]["details"]["problems"]} >= {
        (2, "Vorname"), (2, "Nachname"), (3, "Vorname"), (3, "Nachname"), (4, "Nachname")}
    assert counts()["user_account"] == before["user_account"]
    assert db_rows("SELECT first_name, last_name FROM user_account WHERE email LIKE '%.example' "
                   "AND email IN ('lukasz@lukasiewicz.example', 'juergen@mueller.example', "
                   "'joerg@krueger.example') ORDER BY email") == [
        ("Jörg", "Krüger"), ("Jürgen", "Müller"), ("Łukasz", "Łukasiewicz")]


def test_engine_refuses_a_damaged_copy_of_a_stored_name(world: Any, ok: Any, ctx_for: Any, tmp_path: Path) -> None:
    """The same rule for rows that do not come through the file reader (a document, an upload): the
    store compares with what it holds. `Sšhne` alone is not certain damage for a reader (š is a
    Czech letter), but as a copy of the stored `Söhne` it is."""
    from tenantctl.store.imports.plan import Options
    from tenantctl.store.imports.planning import build_plan
    from tenantctl.store.imports.rows import Source, Table

    _first_import(ok, tmp_path)
    ok("import", "run", str(write_csv(tmp_path / "benutzer.csv", [["Vorname", "Nachname", "E-Mail", "Mandant"],
                                                                   ["Łukasz", "Söhne", "ls@example.org", "020000"],
                                                                   ["Jürgen", "Müller", "jm@example.org", "020001"]])))
    table = Table("users", "users", 0, ["first_name", "last_name", "email", "tenant"],
                  {"first_name": 0, "last_name": 1, "email": 2, "tenant": 3},
                  [(1, ("?ukasz", "Sšhne", "ls@example.org", "020000")),
                   (2, ("Jürgen", "MÃ¼ller", "jm@example.org", "020001"))])
    with ctx_for() as ctx:
        plan = build_plan(ctx, Source(tmp_path / "doc.json", "json", {"users": table}), Options())
    messages = {(p["row"], p["column"]): p["message"] for p in plan.problems()}
    assert set(messages) == {(1, "first_name"), (1, "last_name"), (2, "last_name")}
    assert messages[(1, "first_name")].startswith("first name '?ukasz' would replace the stored 'Łukasz'")
    assert "'Söhne' in mac_roman read as cp1252" in messages[(1, "last_name")]
    assert "'Müller' in utf-8 read as cp1252" in messages[(2, "last_name")]
