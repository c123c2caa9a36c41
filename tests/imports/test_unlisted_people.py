"""The plan says how many stored people of the file's tenants the file leaves out: an import never
removes anyone, so a row deleted from the spreadsheet is not a removal (apply --prune is)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import TENANT_HEADER, USER_HEADER, basic_workbook, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("cli_mode")  # locally and over HTTP (the last test: also on PostgreSQL)

NOTE = ("stored users of these tenants are not in the file; importing adds and updates, it never removes "
        "(tenantctl apply --prune removes people not listed; see docs/apply.md)")


ONE = "1 stored user of these tenants is " + NOTE.split(" are ", 1)[1]
MAX = ["Max", "Müller", "max@mueller.example", "mueller", "admin"]


def _unlisted(notes: list[str]) -> list[str]:
    return [n for n in notes if "not in the file" in n]


def test_a_deleted_row_is_named_in_the_plan_in_dry_run_and_real_run(world: Any, cli: Any, ok: Any,
                                                                    db_rows: Any, tmp_path: Path) -> None:
    first = ok("import", "run", str(basic_workbook(tmp_path / "kunden.xlsx")))
    assert _unlisted(first["notes"]) == []  # every stored user of the new tenants is in the file
    # Max Müller's row deleted: the re-import leaves him in place and says so
    path = basic_workbook(tmp_path / "kunden2.xlsx", [
        ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],
        ["Zoë", "Schröder", "Zoe@Schroeder.example", "Schröder Logistik GmbH", "admin"]])
    for args in (("--dry-run",), ()):
        data = ok("import", "run", str(path), *args)
        assert _unlisted(data["notes"]) == [ONE]
    assert db_rows("SELECT login FROM user_account WHERE email = 'max2@weiss.example'") == [("max.mueller2",)]
    # the table's run prints it too (stderr, with the plan's other notes)
    r = cli("import", "run", str(path), "--dry-run")
    assert r.exit_code == 0 and "1 stored user of these tenants is not in the file" in " ".join(r.stderr.split())


def test_counts_the_stored_users_of_the_tenants_a_users_file_names(world: Any, ok: Any, tmp_path: Path) -> None:
    # mueller has Max and Mia; the file lists Max only. acme's and other's people are not counted:
    # the file does not touch those tenants
    path = write_csv(tmp_path / "users.csv", [USER_HEADER, MAX])
    data = ok("import", "run", str(path), "--dry-run")
    assert _unlisted(data["notes"]) == [ONE]
    # a new person in mueller: still Mia alone is missing, the new one is in the file
    path = write_csv(tmp_path / "users2.csv", [USER_HEADER, MAX,
                                              ["Nina", "Neu", "nina@mueller.example", "10001", "member"]])
    data = ok("import", "run", str(path))
    assert _unlisted(data["notes"]) == [ONE]
    # a file of nobody of mueller's stored people: all three
    path = write_csv(tmp_path / "users3.csv", [USER_HEADER, ["Ole", "Olsen", "ole@mueller.example", "mueller",
                                                             "member"]])
    data = ok("import", "run", str(path), "--dry-run")
    assert _unlisted(data["notes"]) == ["3 " + NOTE]


def test_a_person_in_two_tenants_touches_only_the_tenant_the_row_names(world: Any, ok: Any, tmp_path: Path) -> None:
    # Max is also a member of `other`: his unchanged row names mueller, so other's Otto is not counted
    ok("member", "add", "max.mueller", "--tenant", "other", "--role", "member")
    path = write_csv(tmp_path / "users.csv", [USER_HEADER,
                                              ["Max", "Müller", "max@mueller.example", "Müller & Söhne GmbH", "admin"],
                                              ["Mia", "Meier", "mia@mueller.example", "mueller", "member"]])
    data = ok("import", "run", str(path), "--dry-run")
    assert all(r["action"] == "unchanged" for r in data["rows"])
    assert _unlisted(data["notes"]) == []
    # named with other instead: Otto is left out
    path = write_csv(tmp_path / "users2.csv", [USER_HEADER,
                                               ["Max", "Müller", "max@mueller.example", "other", "member"]])
    data = ok("import", "run", str(path), "--dry-run")
    assert _unlisted(data["notes"]) == [ONE]


def test_a_tenants_only_file_says_nothing_about_people(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "mandanten.xlsx", {"Mandanten": [
        TENANT_HEADER, ["mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "EUR", "de"]]})
    data = ok("import", "run", str(path), "--dry-run")
    assert data["rows"][0]["action"] in {"unchanged", "update"}
    assert _unlisted(data["notes"]) == []


def test_a_flat_contact_list_counts_its_companies_people(world: Any, ok: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kontakte.csv", [
        ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail"],
        ["Müller & Söhne GmbH", "10001", "Mia", "Meier", "mia@mueller.example"]])
    data = ok("import", "run", str(path), "--dry-run", "--reseller", "acme")
    assert any("flat contact list" in n for n in data["notes"])
    assert _unlisted(data["notes"]) == [ONE]


def test_a_refused_file_carries_the_note_too(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "users.csv", [USER_HEADER, MAX,
                                              ["Bad", "Row", "kaputt", "mueller", "member"]])
    r = cli("import", "run", str(path), "--json")
    assert r.exit_code == 4
    assert _unlisted(r.json()["error"]["details"]["notes"]) == [ONE]


@pytest.mark.parametrize("scan_above", [0, 500])
def test_many_tenants_read_the_memberships_in_one_scan_and_count_the_same(backend: str, world: Any, ok: Any,
                                                                          tmp_path: Path, scan_above: int,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tenantctl.store.imports.unlisted.SCAN_ABOVE", scan_above)  # 0: every file has "many" tenants
    ok("member", "add", "max.mueller", "--tenant", "other", "--role", "member")
    path = write_csv(tmp_path / "users.csv", [USER_HEADER, MAX])  # Max (in two tenants) names mueller
    data = ok("import", "run", str(path), "--dry-run")
    assert data["rows"][0]["action"] == "unchanged" and _unlisted(data["notes"]) == [ONE]  # Mia, not Otto
