"""Issue 17, section 1: a file about people names its companies, it never rewrites or invents them.
A company cell is a look-up (customer number at the reseller, then the name after NFC and case
folding); a company the file would create needs an explicit reseller and is shown as new; a name
that is almost a stored one is refused naming it; a skipped row writes nothing at all."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.imports.conftest import write_csv, write_xlsx

STORED = [  # (name, customer number) of acme's stored customers
    ("Weiß & Söhne Haustechnik GbR", "11960"),
    ("Bäckerei Kühn GmbH", "11961"),
    ("Dachdeckerei Köhler GmbH & Co. KG", "11962"),
]
PEOPLE = [("Jürgen", "Weiß", "juergen@weiss-soehne.example"), ("Anna", "Kühn", "anna@baeckerei-kuehn.example"),
          ("Jörg", "Köhler", "joerg@koehler-dach.example")]


@pytest.fixture
def customers(world: Any, ok: Any) -> dict[str, str]:
    """acme's stored customers: name → key."""
    out = {}
    for name, number in STORED:
        out[name] = ok("tenant", "create", name, "--kind", "customer", "--reseller", "acme", "--customer-number",
                       number)["key"]
    return out


def _tenants(store: Any) -> dict[str, tuple[str, str | None]]:
    """Every customer: key → (name, customer number at its reseller)."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT t.key, t.name, c.customer_number FROM tenant t LEFT JOIN connection c "
                                 "ON c.customer_id = t.id WHERE t.kind = 'customer'"))
        return {k: (n, c) for k, n, c in rows}


def _members(store: Any) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(text(  # type: ignore[misc]
            "SELECT u.email, t.key FROM membership m JOIN user_account u ON u.id = m.user_id "
            "JOIN tenant t ON t.id = m.tenant_id"))}


def _problems(r: Any) -> list[str]:
    return [p["message"] for p in r.json()["error"]["details"]["problems"]]


def _first_doc(r: Any) -> Any:
    """The result document of a --skip-invalid run (the first document on stdout)."""
    return json.JSONDecoder().raw_decode(r.stdout)[0]


@pytest.mark.parametrize("how", ["one sheet", "--sheet"])
def test_contact_list_with_only_customer_numbers_renames_nothing(backend: str, how: str, customers: dict[str, str],
                                                                 ok: Any, store: Any, tmp_path: Path) -> None:
    """A CRM export whose company column is the customer number (`Kd-Nr`): every number used to
    become the company's name (all stored customers renamed, exit 0), also when the sheet was
    chosen with --sheet as the plan's note on a two-sheet workbook suggests."""
    rows = [["Kd-Nr", "Vorname", "Nachname", "E-Mail", "Telefon"]]
    rows += [[number, first, last, mail, "+49 30 1234567"] for (_, number), (first, last, mail) in zip(
        STORED, PEOPLE, strict=True)]
    before = _tenants(store)
    if how == "one sheet":
        path = write_xlsx(tmp_path / "ansprechpartner.xlsx", {"Ansprechpartner": rows})
        args = ["--layout", "flat"]
    else:
        path = write_xlsx(tmp_path / "crm.xlsx", {"Übersicht": [["Stand", "06.12.2026"]], "Ansprechpartner": rows})
        args = ["--sheet", "Ansprechpartner"]
    data = ok("import", "run", str(path), *args, "--reseller", "acme")
    assert (data["counts"]["tenants_create"], data["counts"]["tenants_update"], data["counts"]["users_create"]) == (
        0, 0, 3)
    assert _tenants(store) == before
    assert {(m, k) for m, k in _members(store) if m.endswith(("soehne.example", "kuehn.example", "dach.example"))} == {
        (mail, customers[name]) for (name, _), (_, _, mail) in zip(STORED, PEOPLE, strict=True)}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_company_written_otherwise_keeps_the_stored_name(backend: str, kind: str, customers: dict[str, str], ok: Any,
                                                         store: Any, tmp_path: Path) -> None:
    """`WEISS & SÖHNE HAUSTECHNIK GBR` with its number overwrote `Weiß & Söhne Haustechnik GbR`."""
    rows = [["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail"],
            ["WEISS & SÖHNE HAUSTECHNIK GBR", "11960", "Jürgen", "Weiß", "juergen@weiss-soehne.example"],
            ["baeckerei kuehn gmbh", "11961", "Anna", "Kühn", "anna@baeckerei-kuehn.example"],
            ["DACHDECKEREI KÖHLER GMBH & CO. KG", None, "Jörg", "Köhler", "joerg@koehler-dach.example"]]
    path = (write_xlsx(tmp_path / "crm.xlsx", {"Kontakte": rows}) if kind == "xlsx"
            else write_csv(tmp_path / "crm.csv", rows, encoding="utf-8-sig"))
    before = _tenants(store)
    data = ok("import", "run", str(path), "--reseller", "acme", "--skip-invalid")
    assert _tenants(store) == before
    assert data["counts"]["tenants_update"] == 0 and data["counts"]["users_create"] == 3
    assert any("a list of people does not rename companies: the stored names are kept" in n for n in data["notes"])
    assert ("joerg@koehler-dach.example", customers["Dachdeckerei Köhler GmbH & Co. KG"]) in _members(store)


def test_company_column_holding_numbers_is_a_lookup_not_new_customers(backend: str, customers: dict[str, str],
                                                                     ok: Any, cli: Any, store: Any, counts: Any,
                                                                     tmp_path: Path) -> None:
    """Without a customer-number column, `11960` in the company column created customers `11960`-`11962`
    beside the stored ones with those numbers; now it names them (at the one reseller that has them)."""
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"]]
    rows += [[number, first, last, mail] for (_, number), (first, last, mail) in zip(STORED, PEOPLE, strict=True)]
    path = write_csv(tmp_path / "kontakte.csv", rows)
    before = _tenants(store)
    data = ok("import", "run", str(path))  # the operator, no --reseller: the numbers are acme's only
    assert data["counts"]["tenants_create"] == 0 and data["counts"]["users_create"] == 3
    assert _tenants(store) == before
    # a number no stored customer has is no company name: refused, nothing written
    rows.append(["11999", "Uwe", "Neu", "uwe@neu.example"])
    snapshot = counts()
    r = cli("import", "run", str(write_csv(tmp_path / "mehr.csv", rows)), "--reseller", "acme", "--json")
    assert r.exit_code == 4
    assert _problems(r) == ["customer number 11999 is not a stored customer of reseller 'acme': a new company "
                            "needs its name (add a column Firma)", "its tenant (row 5) has errors"]
    assert counts() == {**snapshot, "import_run": snapshot["import_run"] + 1}


def test_new_company_needs_an_explicit_reseller_and_is_shown_as_new(backend: str, customers: dict[str, str],
                                                                   ok: Any, cli: Any, counts: Any,
                                                                   tmp_path: Path) -> None:
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"],
            ["Bäckerei Kühn GmbH", "Anna", "Kühn", "anna@baeckerei-kuehn.example"],
            ["Elektro Yılmaz e.K.", "Mehmet", "Yılmaz", "mehmet@elektro-yilmaz.example"]]
    path = write_xlsx(tmp_path / "kontakte.xlsx", {"Kontakte": rows})
    before = counts()
    r = cli("import", "run", str(path), "--json")  # the operator names no reseller
    assert r.exit_code == 4
    assert _problems(r) == ["a flat contact list of customers needs their reseller: add --reseller KEY, or a "
                            "'Reseller' column"]
    assert counts() == {**before, "import_run": before["import_run"] + 1}
    plan = ok("import", "run", str(path), "--reseller", "acme", "--dry-run")
    assert "1 companies are not stored and will be created (+ tenant): 'Elektro Yılmaz e.K.' (row 3)" in plan["notes"]
    assert [(r["type"], r["action"], r["label"]) for r in plan["rows"] if r["type"] == "tenant"] == [
        ("tenant", "unchanged", "Bäckerei Kühn GmbH"), ("tenant", "create", "Elektro Yılmaz e.K.")]


@pytest.mark.parametrize(("written", "stored"), [
    ("WEISS UND SOEHNE HAUSTECHNIK GBR", "Weiß & Söhne Haustechnik GbR"),
    ("Weiss u. Söhne Haustechnik G.b.R.", "Weiß & Söhne Haustechnik GbR"),
    ("Weiß & Söhne Haustechnik Gesellschaft bürgerlichen Rechts", "Weiß & Söhne Haustechnik GbR"),
    ("Dachdeckerei Koehler GmbH & Co.KG", "Dachdeckerei Köhler GmbH & Co. KG")])
def test_near_name_is_refused_naming_the_stored_tenant(backend: str, written: str, stored: str,
                                                       customers: dict[str, str],
                                                       cli: Any, counts: Any, tmp_path: Path) -> None:
    """`&`/`und`, umlaut as `ae`/`oe`, `Co.KG`/`Co. KG`, the legal form spelled out: never a silent
    second customer."""
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"], [written, "Jürgen", "Weiß", "juergen@weiss-soehne.example"]]
    before = counts()
    r = cli("import", "run", str(write_xlsx(tmp_path / "k.xlsx", {"Kontakte": rows})), "--reseller", "acme",
            "--skip-invalid", "--json")
    assert r.exit_code == 6, r.stdout
    (problem, _) = _first_doc(r)["data"]["problems"]
    assert problem["message"].startswith(f"company {written!r} is not stored, but tenant {customers[stored]!r} is "
                                         f"{stored!r}: write the company as stored")
    assert (counts()["tenant"], counts()["user_account"]) == (before["tenant"], before["user_account"])


def test_same_name_at_another_reseller_is_no_second_company(backend: str, customers: dict[str, str], cli: Any,
                                                            counts: Any, tmp_path: Path) -> None:
    """Importing the same contact list again under another reseller created a second company of the same name."""
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"],
            ["Bäckerei Kühn GmbH", "Anna", "Kühn", "anna@baeckerei-kuehn.example"]]
    before = counts()
    r = cli("import", "run", str(write_xlsx(tmp_path / "k.xlsx", {"Kontakte": rows})), "--reseller", "beta", "--json")
    assert r.exit_code == 4
    assert _problems(r)[0].startswith(f"company 'Bäckerei Kühn GmbH' is not stored, but tenant "
                                      f"{customers['Bäckerei Kühn GmbH']!r} is 'Bäckerei Kühn GmbH'")
    assert counts()["tenant"] == before["tenant"]


SALESFORCE_FOOTER = [
    [None, None, None, None, None],
    ['"Contacts & Accounts"', None, None, None, None],
    ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.", None, None, None, None],
    ["Confidential Information - Do Not Distribute", None, None, None, None],
    ["Generated By:  Rita Reseller  06.12.2026 04:22", None, None, None, None],
    ["ACME Reseller AG", None, None, None, None],
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_skipped_rows_write_no_company(backend: str, kind: str, world: Any, cli: Any, store: Any,
                                       tmp_path: Path) -> None:
    """A Salesforce report's footer became customers "Copyright (c) …" and the reseller itself, with
    --skip-invalid, although every one of those rows was reported as skipped."""
    rows: list[list[Any]] = [["Account Name", "First Name", "Last Name", "Email", "Phone"],
                             ["Sanitär Becker GmbH", "Thomas", "Becker", "thomas@sanitaer-becker.example", "030 1"],
                             ["Sanitär Becker GmbH", "Heike", "Wagner", "heike@sanitaer-becker.example", "030 2"],
                             ["Steuerberatung Lange", "Katrin", "Lange", "katrin@stb-lange.example", "030 3"],
                             *SALESFORCE_FOOTER]
    path = (write_xlsx(tmp_path / "report.xlsx", {"report": rows}) if kind == "xlsx"
            else write_csv(tmp_path / "report.csv", rows, delimiter=",", encoding="utf-8-sig"))
    before = _tenants(store)
    r = cli("import", "run", str(path), "--skip-invalid", "--json", as_="rita.reseller")
    assert r.exit_code == 6, r.stdout
    created = {k: v for k, v in _tenants(store).items() if k not in before}
    assert sorted(name for name, _ in created.values()) == ["Sanitär Becker GmbH", "Steuerberatung Lange"]
    skipped = {p["row"] for p in _first_doc(r)["data"]["problems"]}
    assert skipped >= {7, 8, 9, 10}  # the footer's rows, each reported


def test_tenants_table_warns_about_a_near_name(backend: str, customers: dict[str, str], ok: Any,
                                               tmp_path: Path) -> None:
    """A tenants sheet may create tenants (and rename them by key); a new one almost named like a
    stored one is named in the plan."""
    path = write_xlsx(tmp_path / "mandanten.xlsx", {"Mandanten": [["Name", "Reseller", "Kundennummer"],
                                                                  ["Baeckerei Kuehn GmbH", "acme", "20001"]]})
    plan = ok("import", "run", str(path), "--dry-run")
    assert (f"Mandanten, row 2: new tenant 'Baeckerei Kuehn GmbH' is almost the stored tenant "
            f"{customers['Bäckerei Kühn GmbH']!r} ('Bäckerei Kühn GmbH')") in " ".join(plan["notes"])


def _nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def test_mac_nfd_file_matches_stored_names_and_stores_nfc(backend: str, customers: dict[str, str], ok: Any,
                                                          store: Any, tmp_path: Path) -> None:
    """A csv from a Mac in NFD: no look-alike duplicate company, no name rewritten to NFD, the people
    findable with `--search Müller`."""
    rows = [["Firma", "Vorname", "Nachname", "E-Mail"],
            [_nfd("Bäckerei Kühn GmbH"), _nfd("Jürgen"), _nfd("Müller"), "juergen@baeckerei-kuehn.example"],
            [_nfd("Schlüsseldienst Größ GmbH"), "Zoë", _nfd("Größ"), "zoe@schluessel.example"]]
    path = write_csv(tmp_path / "mac.csv", rows)
    assert _nfd("Kühn") in path.read_text(encoding="utf-8") and "Kühn" not in path.read_text(encoding="utf-8")
    before = _tenants(store)
    data = ok("import", "run", str(path), "--reseller", "acme")
    assert data["counts"]["tenants_create"] == 1  # Größ is new; Kühn is the stored one
    after = _tenants(store)
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(unicodedata.is_normalized("NFC", name) for name, _ in after.values())
    with store.engine.connect() as conn:
        names = [tuple(r) for r in conn.execute(text("SELECT first_name, last_name FROM user_account "
                                                      "WHERE email LIKE '%kuehn.example' OR email LIKE 'zoe@%'"))]
    assert sorted(names) == [("Jürgen", "Müller"), ("Zoë", "Größ")]
    found = {u["email"] for u in ok("user", "list", "--search", "Müller")}
    assert found == {"juergen@baeckerei-kuehn.example", "max@mueller.example"}
    # a search typed in NFD (a Mac's terminal) finds the same
    assert {u["email"] for u in ok("user", "list", "--search", _nfd("Müller"))} == found
    assert [t["key"] for t in ok("tenant", "list", "--search", _nfd("Kühn"))] == [customers["Bäckerei Kühn GmbH"]]


def test_nfd_arguments_are_stored_in_nfc(backend: str, world: Any, ok: Any, store: Any) -> None:
    key = ok("tenant", "create", _nfd("Jäger & Söhne GmbH"), "--kind", "customer", "--reseller", "acme")["key"]
    ok("user", "create", "--tenant", key, "--first-name", _nfd("Björn"), "--last-name", _nfd("Jäger"),
       "--email", "bjoern@jaeger.example")
    with store.engine.connect() as conn:
        assert conn.execute(text(f"SELECT name FROM tenant WHERE key = '{key}'")).scalar_one() == "Jäger & Söhne GmbH"
        assert tuple(conn.execute(text("SELECT first_name, last_name FROM user_account WHERE "
                                       "email = 'bjoern@jaeger.example'")).one()) == ("Björn", "Jäger")
    # a second create in NFD is the same tenant, not a look-alike
    again = ok("tenant", "create", _nfd("Jäger & Söhne GmbH"), "--kind", "customer", "--reseller", "acme",
               "--if-not-exists")
    assert again["key"] == key and again["action"] == "unchanged"


def test_upgrade_normalises_stored_names_to_nfc(backend: str, world: Any, ok: Any, store: Any) -> None:
    """Names written before text entered in NFC (a Mac's file or terminal) are normalised by the
    migration identity_0001, so that look-ups and searches find them. (Its upgrade step is run on
    the store directly: downgrading the later migrations of a filled store is not what is tested.)"""
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from tenantctl.store.migrate import MIGRATIONS

    spec = importlib.util.spec_from_file_location("text_nfc", MIGRATIONS / "versions" / "0005_text_nfc.py")
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE tenant SET name = :n WHERE key = 'mueller'"), {"n": _nfd("Müller & Söhne GmbH")})
        conn.execute(text("UPDATE user_account SET last_name = :n WHERE email = 'max@mueller.example'"),
                     {"n": _nfd("Müller")})
    assert ok("tenant", "list", "--search", "Müller") == []  # a stored NFD name is not found
    with store.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM tenant WHERE key = 'mueller'")).scalar_one() == "Müller & Söhne GmbH"
        assert conn.execute(text("SELECT last_name FROM user_account WHERE email = 'max@mueller.example'")
                            ).scalar_one() == "Müller"
    assert [t["key"] for t in ok("tenant", "list", "--search", "Müller")] == ["mueller"]
