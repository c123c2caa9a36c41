"""Template, export (round trip, formula escaping), application catalogue and entitlements."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from tests.imports.conftest import USER_HEADER, write_xlsx


def test_template_has_sheets_dropdowns_and_imports_cleanly(world: Any, ok: Any, cli: Any, db_rows: Any,
                                                           tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "vorlage.xlsx"
    ok("import", "template", str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Mandanten", "Benutzer", "Anleitung"]
    users = wb["Benutzer"]
    assert users.freeze_panes == "A2"
    assert [c.value for c in users[1]][:4] == ["Vorname", "Nachname", "E-Mail", "Mandant"]
    lists = {dv.formula1 for ws in (wb["Mandanten"], users) for dv in ws.data_validations.dataValidation}
    assert {'"customer,reseller"', '"admin,member,billing"', '"de,en"', '"EUR,CHF,USD,GBP"'} <= lists
    assert "Deutsch" in [c.value for c in wb["Anleitung"][1]] and "English" in [c.value for c in wb["Anleitung"][1]]
    filled = [sum(1 for row in wb[name].iter_rows(min_row=2, values_only=True) if any(row))
              for name in ("Mandanten", "Benutzer")]
    assert filled == [1, 1]  # one example row per sheet
    # left as it is, the example is skipped with a note (tests/imports/test_template_example.py); filled
    # in as a reseller would (its own number), it is a real row and the customer lands under that reseller
    skipped = ok("import", "run", str(path), "--dry-run", as_="rita.reseller")
    assert skipped["counts"]["tenants_create"] == 0 and any("example row" in n for n in skipped["notes"])
    wb["Mandanten"]["E2"] = wb["Benutzer"]["D2"] = "10043"
    wb.save(path)
    data = ok("import", "run", str(path), "--dry-run", as_="rita.reseller")
    counts = data["counts"]
    assert (counts["tenants_create"], counts["users_create"], counts["problems"]) == (1, 1, 0)
    # an operator names the reseller
    r = cli("import", "run", str(path))
    assert r.exit_code == 4 and "a customer needs its reseller (column Reseller, or --reseller KEY)" in r.stderr
    data = ok("import", "run", str(path), "--reseller", "acme")
    assert (data["counts"]["tenants_create"], data["counts"]["users_create"]) == (1, 1)
    assert db_rows("SELECT c.customer_number, r.key FROM connection c JOIN tenant r ON r.id = c.reseller_id "
                   "WHERE c.customer_number = '10043'") == [("10043", "acme")]
    assert db_rows("SELECT login FROM user_account WHERE email = 'max.mueller@mueller.example'") == [
        ("max.mueller2",)]


def test_template_needs_xlsx_name(world: Any, cli: Any, tmp_path: Path) -> None:
    r = cli("import", "template", str(tmp_path / "v.csv"))
    assert r.exit_code == 4 and "the template is an .xlsx workbook" in r.stderr


def test_app_catalogue(world: Any, cli: Any, ok: Any) -> None:
    assert ok("app", "create", "Lohnbuchhaltung")["key"] == "lohnbuchhaltung"
    assert cli("app", "create", "Lohnbuchhaltung").exit_code == 5
    assert cli("app", "create", "X", as_="rita.reseller").exit_code == 9
    assert [a["key"] for a in ok("app", "list")] == ["lohnbuchhaltung"]


def test_entitlements_from_the_workbook(world: Any, cli: Any, ok: Any, db_rows: Any, tmp_path: Path) -> None:
    ok("app", "create", "Lohnbuchhaltung")
    ok("app", "create", "Zeiterfassung")
    path = write_xlsx(tmp_path / "e.xlsx", {
        "Mandanten": [["Name", "Reseller", "Anwendungen"], ["Apfel GmbH", "acme", "Lohnbuchhaltung, zeiterfassung"]],
        "Benutzer": [[*USER_HEADER, "Zugriffsrechte"], ["Ada", "Apfel", "ada@apfel.example", "Apfel GmbH", "admin",
                                                        "lohnbuchhaltung"]]})
    ok("import", "run", str(path))
    assert db_rows("SELECT a.key FROM tenant_application b JOIN application a ON a.id = b.application_id "
                   "JOIN tenant t ON t.id = b.tenant_id WHERE t.key = 'apfel-gmbh' ORDER BY a.key") == [
        ("lohnbuchhaltung",), ("zeiterfassung",)]
    assert db_rows("SELECT a.key FROM access_right r JOIN application a ON a.id = r.application_id "
                   "JOIN membership m ON m.id = r.membership_id JOIN user_account u ON u.id = m.user_id "
                   "WHERE u.login = 'ada.apfel'") == [("lohnbuchhaltung",)]
    assert ok("import", "run", str(path))["state"] == "unchanged"
    bad = write_xlsx(tmp_path / "b.xlsx", {
        "Mandanten": [["Name", "Reseller", "Anwendungen"], ["Birne GmbH", "acme", "Buchhaltung Pro"]],
        "Benutzer": [[*USER_HEADER, "Zugriffsrechte"], ["Bo", "Birne", "bo@birne.example", "Birne GmbH", "",
                                                        "zeiterfassung"]]})
    r = cli("import", "run", str(bad))
    assert r.exit_code == 4
    assert "these apps do not exist: Buchhaltung Pro" in r.stderr  # said once, with the fix
    assert 'tenantctl app create "Buchhaltung Pro"' in r.stderr
    assert "row 2, column Zugriffsrechte: application 'zeiterfassung' is not booked for this tenant" in r.stderr


def test_export_then_import_reports_everything_unchanged(world: Any, ok: Any, counts: Any, tmp_path: Path) -> None:
    ok("tenant", "update", "mueller", "--name", "=HYPERLINK(\"http://evil\")")
    for name in ("alles.xlsx", "alles.csv"):
        files = ok("export", str(tmp_path / name))["files"]
        before = counts()
        for f in files:
            data = ok("import", "run", f)
            assert data["state"] == "unchanged", [r for r in data["rows"] if r["action"] != "unchanged"]
        assert {k: v for k, v in counts().items() if k != "import_run"} == {
            k: v for k, v in before.items() if k != "import_run"}


def test_export_escapes_formulas_and_respects_scope(world: Any, ok: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    ok("tenant", "update", "mueller", "--name", "=1+2")
    ok("export", str(tmp_path / "x.xlsx"))
    names = [r[1].value for r in load_workbook(tmp_path / "x.xlsx")["Mandanten"].iter_rows(min_row=2)]
    assert "'=1+2" in names and "=1+2" not in names
    ok("export", str(tmp_path / "x.csv"), as_="rita.reseller")
    with (tmp_path / "x-mandanten.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:2] == ["Schlüssel", "Name"]
    assert sorted(r[0] for r in rows[1:]) == ["acme", "mueller"]  # not beta, not other
    ok("export", str(tmp_path / "x.json"), "--tenant", "mueller")
    data = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    assert [t["key"] for t in data["tenants"]] == ["mueller"]
    assert sorted(u["login"] for u in data["users"]) == ["max.mueller", "mia.meier"]
