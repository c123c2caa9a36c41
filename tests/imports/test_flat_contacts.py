"""The flat contact list (issue 10, class 1): one sheet, one row per person, the company repeated on
each row, as a CRM or Outlook exports it. Imported as companies, people and memberships."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import write_csv, write_xlsx

HEADER = ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon", "Straße", "PLZ", "Ort"]
FIRST = ["Jürgen", "Anna", "Özlem", "Lukas", "Bärbel", "Jörg", "Sophie", "Mehmet", "Grete", "Łukasz", "Heike",
         "Thomas", "Zoë", "Uwe", "Katrin"]
LAST = ["Müller", "Schmidt", "Weiß", "Schäfer", "Yılmaz", "Krüger", "Becker", "Hoffmann", "Groß", "Nowak",
        "Köhler", "Wagner", "Fuchs", "Lange", "Böhm"]
KINDS = ["GmbH", "KG", "AG", "GmbH & Co. KG", "e.K."]
TRADES = ["Bäckerei", "Sanitär", "Elektro", "Dachdeckerei", "Steuerberatung", "Zahnarztpraxis"]
CITIES = [("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("20095", "Hamburg"), ("04109", "Leipzig")]


def _ascii(name: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ł", "l"), ("ı", "i"), ("ë", "e"), ("Ł", "L"),
                 ("Ö", "Oe"), ("Z", "Z")):
        name = name.replace(a, b)
    return name.lower()


def crm_export(companies: int = 30, per_company: int = 3, seed: int = 10) -> list[list[Any]]:
    """A CRM's contact export: 30 companies with zero-padded customer numbers, 3 people each."""
    rnd = random.Random(seed)
    rows: list[list[Any]] = [HEADER]
    for c in range(companies):
        owner = LAST[c % len(LAST)]
        company = f"{TRADES[c % len(TRADES)]} {owner} {KINDS[c % len(KINDS)]}"
        number = f"{4711 + c:06d}"
        plz, city = CITIES[c % len(CITIES)]
        street = f"{rnd.choice(['Haupt', 'Bahnhof', 'Garten', 'Schiller'])}straße {c + 1}"
        for p in range(per_company):
            first, last = FIRST[(c + p) % len(FIRST)], LAST[(c * 3 + p) % len(LAST)]
            mail = f"{_ascii(first)}.{_ascii(last)}{c}{p}@{_ascii(owner)}-{c}.example"
            rows.append([company, number, first, last, mail, f"+49 30 {rnd.randint(1000000, 9999999)}", street,
                         plz, city])
    return rows


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_flat_contact_list_imports_companies_people_and_memberships(kind: str, world: Any, ok: Any, db_rows: Any,
                                                                    counts: Any, tmp_path: Path) -> None:
    rows = crm_export()
    path = (write_xlsx(tmp_path / "crm-export.xlsx", {"Kontakte": rows}) if kind == "xlsx"
            else write_csv(tmp_path / "crm-export.csv", rows, encoding="utf-8-sig"))
    before = counts()
    plan = ok("import", "run", str(path), "--dry-run", as_="rita.reseller")
    assert "read as a flat contact list: 30 companies, 90 people" in plan["notes"]
    assert (plan["counts"]["tenants_create"], plan["counts"]["users_create"]) == (30, 90)
    data = ok("import", "run", str(path), as_="rita.reseller")
    assert (data["counts"]["tenants_create"], data["counts"]["users_create"], data["counts"]["problems"]) == (
        30, 90, 0)
    after = counts()
    assert (after["tenant"] - before["tenant"], after["user_account"] - before["user_account"],
            after["membership"] - before["membership"]) == (30, 90, 90)
    # the company under the importing reseller, with its zero-padded number as text
    assert db_rows("SELECT t.name, c.customer_number, r.key FROM tenant t JOIN connection c "
                   "ON c.customer_id = t.id JOIN tenant r ON r.id = c.reseller_id "
                   "WHERE c.customer_number = '004711'") == [("Bäckerei Müller GmbH", "004711", "acme")]
    assert set(db_rows("SELECT u.first_name, u.last_name FROM user_account u JOIN membership m "
                       "ON m.user_id = u.id JOIN tenant t ON t.id = m.tenant_id "
                       "WHERE t.name = 'Bäckerei Müller GmbH'")) == {("Jürgen", "Müller"), ("Anna", "Schmidt"),
                                                                         ("Özlem", "Weiß")}
    again = ok("import", "run", str(path), as_="rita.reseller")
    assert again["state"] == "unchanged" and counts()["tenant"] == after["tenant"]


def test_one_person_in_several_companies_is_one_user(world: Any, ok: Any, cli: Any, db_rows: Any,
                                                     tmp_path: Path) -> None:
    rows = [HEADER[:5],
            ["Steuerberatung Fuchs KG", "000101", "Heike", "Lange", "h.lange@lange-buchhaltung.example"],
            ["Bäckerei Groß GmbH", "000102", "Heike", "Lange", "h.lange@lange-buchhaltung.example"],
            ["Bäckerei Groß GmbH", "000102", "Uwe", "Groß", "uwe@baeckerei-gross.example"],
            ["Elektro Böhm e.K.", "000103", "Heike", "Lange", "H.Lange@lange-buchhaltung.example"]]
    data = ok("import", "run", str(write_xlsx(tmp_path / "kontakte.xlsx", {"Kontakte": rows})), "--reseller", "acme")
    assert (data["counts"]["tenants_create"], data["counts"]["users_create"], data["counts"]["memberships_create"]) == (
        3, 2, 2)
    assert db_rows("SELECT t.name FROM user_account u JOIN membership m ON m.user_id = u.id JOIN tenant t "
                   "ON t.id = m.tenant_id WHERE u.email = 'h.lange@lange-buchhaltung.example' ORDER BY t.name") == [
        ("Bäckerei Groß GmbH",), ("Elektro Böhm e.K.",), ("Steuerberatung Fuchs KG",)]
    # the same e-mail with another name is a problem naming both rows
    rows[4] = ["Elektro Böhm e.K.", "000103", "Heiko", "Lange", "h.lange@lange-buchhaltung.example"]
    r = cli("import", "run", str(write_xlsx(tmp_path / "kontakte2.xlsx", {"Kontakte": rows})), "--reseller", "acme",
            "--json")
    assert r.exit_code == 4
    (problem,) = r.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"]) == (5, "E-Mail")
    assert problem["message"] == ("e-mail h.lange@lange-buchhaltung.example also in row 2, with another name "
                                  "(Heike Lange)")


def test_differing_company_attributes_name_both_rows(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    rows = [HEADER[:5],
            ["Dachdeckerei Köhler GmbH", "000201", "Jörg", "Köhler", "joerg@koehler.example"],
            ["Dachdeckerei Köhler GmbH", "000201", "Katrin", "Köhler", "katrin@koehler.example"],
            ["Dachdeckerei Kohler GmbH", "000201", "Lukas", "Wagner", "lukas@koehler.example"]]
    before = counts()
    r = cli("import", "run", str(write_csv(tmp_path / "kontakte.csv", rows)), "--reseller", "acme", "--json")
    assert r.exit_code == 4
    (problem,) = r.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"]) == (4, "Firma")
    assert problem["message"] == ("Firma 'Dachdeckerei Kohler GmbH' differs from row 2 ('Dachdeckerei Köhler GmbH') "
                                  "for customer number 000201: one company has one value")
    assert counts()["tenant"] == before["tenant"]


def test_name_columns_are_split_and_ambiguous_ones_reported(world: Any, ok: Any, cli: Any, db_rows: Any,
                                                           tmp_path: Path) -> None:
    rows = [["Firma", "Nachname, Vorname", "E-Mail"],
            ["Zahnarztpraxis Becker", "Becker, Sophie", "sophie@praxis-becker.example"],
            ["Zahnarztpraxis Becker", "Nowak, Łukasz", "lukasz@praxis-becker.example"]]
    data = ok("import", "run", str(write_xlsx(tmp_path / "a.xlsx", {"Kontakte": rows})), "--reseller", "acme")
    assert data["counts"]["users_create"] == 2
    assert any(n.startswith("column 'Nachname, Vorname' split into first and last names in 2 rows (row 2: "
                            "'Becker, Sophie' → Sophie | Becker)") for n in data["notes"])
    assert db_rows("SELECT first_name, last_name, login FROM user_account WHERE email LIKE '%praxis-becker%' "
                   "ORDER BY email") == [("Łukasz", "Nowak", "lukasz.nowak"), ("Sophie", "Becker", "sophie.becker")]
    rows = [["Firma", "Ansprechpartner", "E-Mail"],
            ["Sanitär Wagner GmbH", "Thomas Wagner", "thomas@wagner-sanitaer.example"],
            ["Sanitär Wagner GmbH", "Karl von Hoffmann", "karl@wagner-sanitaer.example"],
            ["Sanitär Wagner GmbH", "Anna Maria Schulz", "anna@wagner-sanitaer.example"]]
    r = cli("import", "run", str(write_xlsx(tmp_path / "b.xlsx", {"Kontakte": rows})), "--reseller", "acme",
            "--dry-run", "--json")
    assert r.exit_code == 4
    planned = {row["row"]: row for row in r.json()["error"]["details"]["rows"] if row["type"] == "user"}
    assert planned[2]["action"] == "create" and planned[3]["action"] == "create"
    assert planned[3]["key"] == "karl.von-hoffmann"
    assert planned[4]["errors"] == [{"column": "Ansprechpartner", "message": (
        "name 'Anna Maria Schulz' can be split more than one way (a double first or last name?): write it as "
        "'Nachname, Vorname', or use the columns Vorname and Nachname")}]


def test_merged_company_cell_is_filled_down(world: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Ansprechpartner"
    ws.append(HEADER[:5])
    ws.append(["Elektro Krüger GmbH", "000301", "Bärbel", "Krüger", "baerbel@krueger-elektro.example"])
    ws.append([None, None, "Mehmet", "Yılmaz", "mehmet@krueger-elektro.example"])
    ws.append([None, None, "Grete", "Fuchs", "grete@krueger-elektro.example"])
    ws.append(["Bäckerei Lange KG", "000302", "Uwe", "Lange", "uwe@baeckerei-lange.example"])
    ws.merge_cells("A2:A4")
    ws.merge_cells("B2:B4")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    data = ok("import", "run", str(path), "--reseller", "acme")
    assert (data["counts"]["tenants_create"], data["counts"]["users_create"]) == (2, 4)
    assert "Ansprechpartner: column 'Firma' is merged over the rows of its contacts; filled down into 2 rows" in data[
        "notes"]
    assert db_rows("SELECT count(*) FROM membership m JOIN tenant t ON t.id = m.tenant_id "
                   "WHERE t.name = 'Elektro Krüger GmbH'") == [(3,)]


def test_layout_option_forces_a_reading(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kontakte.csv", crm_export(companies=2, per_company=1))
    r = cli("import", "run", str(path), "--reseller", "acme", "--dry-run", "--layout", "tables", "--json")
    assert r.exit_code == 4  # read as a users file: the companies are unknown tenants
    assert {e["message"] for row in r.json()["error"]["details"]["rows"] for e in row["errors"]} == {
        "unknown tenant 'Bäckerei Müller GmbH': not in the file and not in the store",
        "unknown tenant 'Sanitär Schmidt KG': not in the file and not in the store"}
    r = cli("import", "run", str(path), "--layout", "rows")
    assert r.exit_code == 2 and "--layout 'rows' is not one of auto, flat, tables" in r.stderr


def test_operator_without_reseller_gets_one_file_problem_naming_the_fix(world: Any, ok: Any, cli: Any,
                                                                        counts: Any, db_rows: Any,
                                                                        tmp_path: Path) -> None:
    """Not one 'a customer needs its reseller' per company: one line saying how to name the reseller."""
    path = write_xlsx(tmp_path / "crm-export.xlsx", {"Kontakte": crm_export(companies=12, per_company=2)})
    before = counts()
    r = cli("import", "run", str(path), "--json")  # the operator, who has no reseller of its own
    assert r.exit_code == 4, (r.exit_code, r.stdout, r.stderr)
    (problem,) = r.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"]) == (None, None)
    assert problem["message"] == ("a flat contact list of customers needs their reseller: add --reseller KEY, "
                                  "or a 'Reseller' column")
    assert counts() == {**before, "import_run": before["import_run"] + 1}  # only the recorded refusal
    # the fix it names works: --reseller …
    assert ok("import", "run", str(path), "--reseller", "acme", "--dry-run")["counts"]["tenants_create"] == 12
    # … or a Reseller column
    rows = crm_export(companies=12, per_company=2)
    rows = [[*rows[0], "Reseller"], *([*row, "acme"] for row in rows[1:])]
    data = ok("import", "run", str(write_xlsx(tmp_path / "mit-reseller.xlsx", {"Kontakte": rows})))
    assert (data["counts"]["tenants_create"], data["counts"]["users_create"]) == (12, 24)
    assert db_rows("SELECT DISTINCT r.key FROM connection c JOIN tenant r ON r.id = c.reseller_id "
                   "JOIN tenant t ON t.id = c.customer_id WHERE t.name LIKE 'Bäckerei%'") == [("acme",)]
    # a reseller's admin needs neither: the companies go under its own tenant
    again = crm_export(companies=3, per_company=1, seed=11)
    again = [again[0], *([f"Neu {row[0]}", f"9{row[1]}", *row[2:]] for row in again[1:])]
    assert ok("import", "run", str(write_xlsx(tmp_path / "rita.xlsx", {"Kontakte": again})),
              as_="rita.reseller")["counts"]["tenants_create"] == 3


def _people(db_rows: Any) -> list[Any]:
    return db_rows("SELECT u.id, u.login, u.email, u.first_name, u.last_name, u.language, u.status, t.key, m.role "
                   "FROM user_account u LEFT JOIN membership m ON m.user_id = u.id LEFT JOIN tenant t "
                   "ON t.id = m.tenant_id ORDER BY u.id, t.key")


def test_stored_person_renamed_in_several_companies_is_updated_once(world: Any, ok: Any, db_rows: Any, counts: Any,
                                                                    tmp_path: Path) -> None:
    """Mia Meier (stored, member of Müller & Söhne) married and is now Mia Meier-Schulz; the CRM lists her
    as the bookkeeper of three companies. One user update (her first row), the other rows refer to it."""
    rows = [HEADER[:5],
            ["Steuerberatung Fuchs KG", "000301", "Mia", "Meier-Schulz", "mia@mueller.example"],
            ["Steuerberatung Fuchs KG", "000301", "Jörg", "Fuchs", "joerg@fuchs-stb.example"],
            ["Bäckerei Groß GmbH", "000302", "Mia", "Meier-Schulz", "Mia@Mueller.example"],
            ["Elektro Böhm e.K.", "000303", "Uwe", "Böhm", "uwe@elektro-boehm.example"],
            ["Elektro Böhm e.K.", "000303", "Mia", "Meier-Schulz", "mia@mueller.example"]]
    path = write_xlsx(tmp_path / "kontakte.xlsx", {"Kontakte": rows})
    before, people_before = counts(), _people(db_rows)
    plan = ok("import", "run", str(path), "--reseller", "acme", "--dry-run")
    mia = [r for r in plan["rows"] if r["type"] != "tenant" and r["key"] == "mia.meier"]
    assert [(r["row"], r["type"], r["action"], r["changes"]) for r in mia] == [
        (2, "user", "update", {"last_name": ["Meier", "Meier-Schulz"], "membership": [None, "member"]}),
        (4, "membership", "update", {"membership": [None, "member"], "same_person_as_row": [None, 2]}),
        (6, "membership", "update", {"membership": [None, "member"], "same_person_as_row": [None, 2]})]
    assert (plan["counts"]["users_update"], plan["counts"]["memberships_update"],
            plan["counts"]["users_create"]) == (1, 2, 2)
    data = ok("import", "run", str(path), "--reseller", "acme")
    assert db_rows("SELECT u.last_name, t.key FROM user_account u JOIN membership m ON m.user_id = u.id "
                   "JOIN tenant t ON t.id = m.tenant_id WHERE u.login = 'mia.meier' ORDER BY t.key") == [
        ("Meier-Schulz", "baeckerei-gross-gmbh"), ("Meier-Schulz", "elektro-boehm-e-k"),
        ("Meier-Schulz", "mueller"), ("Meier-Schulz", "steuerberatung-fuchs-kg")]
    shown = ok("import", "show", str(data["run"]))
    assert [(u["type"], u["before"], u["after"]) for u in shown["updated"]] == [
        ("user", {"last_name": "Meier"}, {"last_name": "Meier-Schulz"})]
    assert db_rows("SELECT count(*) FROM audit_event WHERE action = 'user.update' "
                   "AND object_key = 'mia.meier'") == [(1,)]
    ok("import", "undo", str(data["run"]), "--yes")
    after = counts()
    assert {t: after[t] for t in ("tenant", "user_account", "membership", "connection", "access_right")} == {
        t: before[t] for t in ("tenant", "user_account", "membership", "connection", "access_right")}
    assert _people(db_rows) == people_before
