"""import run: create, re-run unchanged, update, dry-run, modes, skip-invalid, scope, csv variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import TENANT_HEADER, USER_HEADER, basic_workbook, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP


def test_import_creates_then_rerun_is_unchanged(world: Any, cli: Any, ok: Any, db_rows: Any, counts: Any,
                                                tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "kunden.xlsx")
    data = ok("import", "run", str(path))
    assert data["counts"]["tenants_create"] == 2 and data["counts"]["users_create"] == 3
    assert db_rows("SELECT t.key, c.customer_number, c.currency, r.key FROM tenant t JOIN connection c "
                   "ON c.customer_id = t.id JOIN tenant r ON r.id = c.reseller_id "
                   "WHERE t.key IN ('baeckerei-weiss-kg', 'schroeder-logistik-gmbh') ORDER BY t.key") == [
        ("baeckerei-weiss-kg", "20001", "EUR", "acme"), ("schroeder-logistik-gmbh", "20002", "EUR", "acme")]
    # login derived like user create (ü→ue), e-mail domain lower-cased, local part kept
    assert db_rows("SELECT u.login, u.email, m.role, t.key FROM user_account u "
                   "JOIN membership m ON m.user_id = u.id "
                   "JOIN tenant t ON t.id = m.tenant_id WHERE u.created_by = 'operator:' || u.created_by "
                   "OR u.email LIKE '%weiss%' OR u.email LIKE '%Schroeder%' ORDER BY u.login") == [
        ("juergen.weiss", "juergen@weiss.example", "admin", "baeckerei-weiss-kg"),
        ("max.mueller2", "max2@weiss.example", "member", "baeckerei-weiss-kg"),
        ("zoe.schroeder", "Zoe@schroeder.example", "admin", "schroeder-logistik-gmbh")]
    before = counts()
    again = ok("import", "run", str(path))
    assert again["state"] == "unchanged"
    assert {r["action"] for r in again["rows"]} == {"unchanged"}
    after = counts()
    # nothing written but the run record: no audit event, no run items
    assert after == {**before, "import_run": before["import_run"] + 1}


def test_changed_row_is_an_update_listing_fields(world: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))
    path = basic_workbook(tmp_path / "b.xlsx", [["Jürgen", "Weiss-Neu", "JUERGEN@weiss.example", "20001", "admin"]])
    data = ok("import", "run", str(path))
    row = next(r for r in data["rows"] if r["type"] == "user")
    assert row["action"] == "update" and row["changes"] == {"last_name": ["Weiß", "Weiss-Neu"]}
    assert db_rows("SELECT last_name FROM user_account WHERE login = 'juergen.weiss'") == [("Weiss-Neu",)]
    events = db_rows("SELECT action FROM audit_event WHERE object_key = 'juergen.weiss'")
    assert ("user.update",) in events


def test_dry_run_prints_plan_and_writes_nothing(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "kunden.xlsx")
    before = counts()
    r = cli("import", "run", str(path), "--dry-run", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    rows = r.data["rows"]
    assert [(x["type"], x["action"], x["key"]) for x in rows] == [
        ("tenant", "create", "baeckerei-weiss-kg"), ("tenant", "create", "schroeder-logistik-gmbh"),
        ("user", "create", "juergen.weiss"), ("user", "create", "zoe.schroeder"), ("user", "create", "max.mueller2")]
    assert r.data["run"] is None and r.data["dry_run"] is True
    assert counts() == before
    human = cli("import", "run", str(path), "--dry-run")
    assert human.exit_code == 0 and "dry-run" in human.stdout and "juergen.weiss" in human.stdout


def test_mode_create_refuses_existing_rows(world: Any, cli: Any, ok: Any, counts: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "kunden.xlsx")
    ok("import", "run", str(path))
    before = counts()
    r = cli("import", "run", str(path), "--mode", "create")
    assert r.exit_code == 4
    assert "already exists (--mode create)" in r.stderr
    assert counts()["tenant"] == before["tenant"] and counts()["user_account"] == before["user_account"]


def test_skip_invalid_writes_good_rows_and_says_so(world: Any, cli: Any, db_rows: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "kunden.xlsx", [
        ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],
        ["Bad", "Mail", "not-an-address", "20001", "member"]])
    r = cli("import", "run", str(path), "--skip-invalid")
    assert r.exit_code == 6
    assert "SKIPPED 1 invalid rows" in r.stderr
    assert (tmp_path / "kunden-fehler.xlsx").exists()  # the skipped rows, marked for the reseller
    assert db_rows("SELECT login FROM user_account WHERE email LIKE '%weiss%'") == [("juergen.weiss",)]


def test_reseller_admin_imports_within_scope_only(world: Any, cli: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", {"Mandanten": [["Name", "Kundennummer"], ["Neukunde GmbH", "30001"]]})
    data = ok("import", "run", str(good), as_="rita.reseller")  # default reseller: the actor's own
    assert data["rows"][0]["changes"]["reseller"] == [None, "acme"]
    bad = write_xlsx(tmp_path / "bad.xlsx", {"Mandanten": [["Name", "Reseller"], ["Fremdkunde", "beta"]],
                                             "Benutzer": [USER_HEADER,
                                                          ["Otto", "X", "x@y.example", "other", "member"]]})
    r = cli("import", "run", str(bad), as_="rita.reseller")
    assert r.exit_code == 4
    assert "reseller 'beta' not found" in r.stderr
    assert "unknown tenant 'other'" in r.stderr  # out of scope looks like unknown
    assert db_rows("SELECT count(*) FROM tenant WHERE name = 'Fremdkunde'") == [(0,)]


def test_customer_admin_cannot_create_tenants(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"Mandanten": [["Name", "Art"], ["Neu AG", "reseller"]]})
    r = cli("import", "run", str(path), as_="max.mueller")
    assert r.exit_code == 4 and "may not create a reseller" in r.stderr


def test_users_csv_with_english_aliases_and_nbsp(world: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "users.csv", [["FIRST\u00a0NAME", "last name", "Mail", "tenant", "ROLE"],
                                             ["Anna", "Öztürk", "anna@mueller.example", "mueller", "member"]],
                     delimiter=",", encoding="utf-8-sig")
    data = ok("import", "run", str(path))
    assert data["counts"]["users_create"] == 1
    assert db_rows("SELECT login FROM user_account WHERE email = 'anna@mueller.example'") == [("anna.oeztuerk",)]


def test_map_option_names_other_headers(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [["Rufname", "Zuname", "Adresse", "Firma"],
                                         ["Lea", "Lang", "lea@mueller.example", "mueller"]])
    data = ok("import", "run", str(path), "--map", "Rufname=first_name", "--map", "Zuname=last_name",
              "--map", "Adresse=email")
    # read as a flat contact list (a Firma column beside the person): the company cell names the
    # stored tenant by its key, which stays as it is
    assert [(r["type"], r["key"], r["action"]) for r in data["rows"]] == [("tenant", "mueller", "unchanged"),
                                                                          ("user", "lea.lang", "create")]


def test_user_row_names_tenant_by_key_number_or_name_and_ambiguity(world: Any, cli: Any, ok: Any,
                                                                    tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "Eins", "a1@x.example", "MUELLER", "member"],
                                          ["B", "Zwei", "b2@x.example", "10001", "member"],
                                          ["C", "Drei", "c3@x.example", "müller & söhne gmbh", "member"]])
    data = ok("import", "run", str(path), "--dry-run")
    assert [r["changes"]["tenant"] for r in data["rows"]] == [[None, "mueller"]] * 3
    # a name that is also another tenant's key is ambiguous
    amb = write_xlsx(tmp_path / "amb.xlsx", {"Mandanten": [["Schlüssel", "Name", "Reseller"],
                                                           ["zzz", "mueller", "acme"]],
                                             "Benutzer": [USER_HEADER, ["D", "Vier", "d4@x.example", "mueller", ""]]})
    r = cli("import", "run", str(amb))
    assert r.exit_code == 4 and "tenant 'mueller' is ambiguous" in r.stderr


def test_excel_row_numbers_with_leading_empty_rows(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", {"Benutzer": [[], [], USER_HEADER,
                                                         ["A", "B", "ok@x.example", "mueller", "member"],
                                                         ["A", "B", "kaputt@", "mueller", "member"]]})
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4
    r2 = cli("import", "run", str(path))
    assert "Benutzer, row 5, column E-Mail: invalid e-mail 'kaputt@'" in r2.stderr


def test_error_report_workbook_marks_cells(world: Any, cli: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = basic_workbook(tmp_path / "kunden.xlsx", [["Jürgen", "Weiß", "kaputt", "20001", "admin"]])
    r = cli("import", "run", str(path))
    assert r.exit_code == 4 and "nothing was written" in r.stderr
    report = tmp_path / "kunden-fehler.xlsx"
    ws = load_workbook(report)["Benutzer"]
    assert ws.cell(row=1, column=6).value == "Fehler"
    assert ws.cell(row=2, column=6).value == "E-Mail: ungültige E-Mail-Adresse 'kaputt': bitte korrigieren"
    assert ws.cell(row=2, column=3).fill.fgColor.rgb == "FFFFC7CE"
    assert ws.cell(row=2, column=1).fill.fgColor.rgb != "FFFFC7CE"
    custom = tmp_path / "anders.xlsx"
    assert cli("import", "run", str(path), "--report", str(custom)).exit_code == 4 and custom.exists()


def test_import_on_both_backends(backend: str, world: Any, ok: Any, counts: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "kunden.xlsx")
    assert ok("import", "run", str(path))["counts"]["users_create"] == 3
    before = counts()
    assert ok("import", "run", str(path))["state"] == "unchanged"
    assert counts()["user_account"] == before["user_account"]


def test_tenant_header_lists_accepted_aliases(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Schlüssel", "Art"], ["x", "customer"]])
    r = cli("import", "run", str(path), "--sheet", "tenants")
    assert r.exit_code == 4
    assert "missing required column 'Name' (accepted headers: Name, Firmenname" in r.stderr


def test_unused_header_constant_is_the_template_order() -> None:
    assert TENANT_HEADER[:2] == ["Schlüssel", "Name"]


def test_dry_run_with_problems_prints_plan_and_exits_4(world: Any, cli: Any, counts: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "k.xlsx", [["A", "B", "kaputt", "20001", ""]])
    before = counts()
    r = cli("import", "run", str(path), "--dry-run", "--json")
    assert r.exit_code == 4  # as the real run: the refusal, with the plan and every problem
    assert [x["action"] for x in r.json()["error"]["details"]["rows"]] == ["create", "create", "error"]
    assert r.json()["error"]["details"]["run"] is None
    assert r.stderr.startswith("error: 1 problem(s) in k.xlsx; nothing was written (dry run; marked copy: ")
    human = cli("import", "run", str(path), "--dry-run")
    assert human.exit_code == 4 and "nothing was written (dry run" in human.stderr
    assert counts() == before


def test_every_row_with_a_bad_value_is_reported_even_when_the_value_repeats(world: Any, cli: Any, counts: Any,
                                                                              tmp_path: Path) -> None:
    """Cell rules run once per distinct value; each row with that value still gets its own problem,
    in the columns' order, next to rows that are fine."""
    path = basic_workbook(tmp_path / "k.xlsx", [
        ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "chef"],
        ["Anna", "Weiß", "anna@weiss.example", "20001", "admin"],
        ["Otto", "Weiß", "otto@weiss.example", "20001", "Chef"],
        ["x" * 201, "Weiß", "JUERGEN@Weiss.example", "nirgends", "chef"]])
    before = counts()
    r = cli("import", "run", str(path), "--dry-run", "--json")
    assert r.exit_code == 4
    rows = {x["row"]: x for x in r.json()["error"]["details"]["rows"] if x["type"] == "user"}
    assert [rows[n]["action"] for n in (2, 3, 4, 5)] == ["error", "create", "error", "error"]
    assert [e["message"] for e in rows[2]["errors"]] == [rows[4]["errors"][0]["message"]]
    assert "role" in rows[2]["errors"][0]["message"] and rows[2]["errors"][0]["column"] == "Rolle"
    assert [e["column"] for e in rows[5]["errors"]] == ["Vorname", "Rolle", "E-Mail", "Mandant"]
    assert "also in row 2" in rows[5]["errors"][2]["message"]  # the same address, another spelling
    assert rows[3]["key"] == "anna.weiss"
    assert counts() == before


def test_bulk_written_times_are_stored_as_the_orm_stores_them(world: Any, ok: Any, store: Any, db_rows: Any,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk writer binds times through the dialect's own type: on SQLite always with microseconds,
    as every other write path stores them (sqlite3's default adapter would drop '.000000' and format
    each row anew), so text comparisons of times (audit --since, ordering) see one format."""
    from datetime import UTC, datetime

    import tenantctl.store.imports.write as write

    if store.engine.dialect.name != "sqlite":
        pytest.skip("the stored text format is SQLite's; PostgreSQL stores timestamps natively")
    monkeypatch.setattr(write, "utcnow", lambda: datetime(2026, 11, 30, 21, 0, 0, tzinfo=UTC))
    ok("import", "run", str(basic_workbook(tmp_path / "kunden.xlsx")))
    assert db_rows("SELECT DISTINCT u.created_at, typeof(u.created_at) FROM user_account u "
                   "WHERE u.email LIKE '%weiss.example'") == [("2026-11-30 21:00:00.000000", "text")]
    assert db_rows("SELECT DISTINCT c.approved_at FROM connection c JOIN tenant t ON t.id = c.customer_id "
                   "WHERE t.key = 'baeckerei-weiss-kg'") == [("2026-11-30 21:00:00.000000",)]
