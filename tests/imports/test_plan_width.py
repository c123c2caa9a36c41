"""The plan table reads well in a terminal of 80 and 100 columns: no line wider than the terminal,
addresses and logins never broken, the changes wrapped at word and comma boundaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import write_xlsx

TENANTS = ["Schlüssel", "Name", "Art", "Reseller", "Kundennummer", "Währung", "Sprache", "Externe ID"]
USERS = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle", "Sprache"]
COMPANIES = [("Gebrüder Hofmann Sanitär- und Heizungstechnik GmbH & Co. KG", "30001"),
             ("Blumenhaus Sonnenschein Inhaberin Annemarie Müller-Lüdenscheidt e.K.", "30002"),
             ("Landmaschinen Oberschwaben Vertriebs- und Service GmbH", "30003")]
PEOPLE = [("Hans-Jürgen", "von der Heide", "hans-juergen.von-der-heide@sanitaer-heizungstechnik-hofmann.example",
           "30001", "admin"),
          ("Annemarie", "Müller-Lüdenscheidt", "annemarie.mueller-luedenscheidt@blumenhaus-sonnenschein.example",
           "30002", "admin"),
          ("Maximilian", "Schwarzenberger", "m.schwarzenberger@landmaschinen-oberschwaben.example", "30003", "member")]


def _workbook(path: Path, *, changed: bool) -> Path:
    tenants = [[None, name + (" (vormals Hofmann & Söhne)" if changed and i == 0 else ""), "customer", "acme", number,
                "EUR", "en" if changed else "de", f"CRM-{number}-{'neu' if changed else 'alt'}"]
               for i, (name, number) in enumerate(COMPANIES)]
    users = [[first + ("-Peter" if changed else ""), last + (" zu Oberschwaben" if changed else ""), email, number,
              "billing" if changed and role == "member" else role, "en" if changed else "de"]
             for first, last, email, number, role in PEOPLE]
    if changed:  # a new person and a bad row too
        users.append(["Friederike", "Zwangsvollstreckungsbeauftragte",
                      "friederike.zwangsvollstreckungsbeauftragte@oberschwaben.example", "30003",
                      "member", "de"])
        users.append(["Bruno", "Kaputt", "bruno.kaputt-at-landmaschinen-oberschwaben.example", "30003", "member", "de"])
    return write_xlsx(path, {"Mandanten": [TENANTS, *tenants], "Benutzer": [USERS, *users]})


@pytest.mark.parametrize("columns", [80, 100])
def test_the_plan_fits_the_terminal_and_never_breaks_an_address(world: Any, cli: Any, ok: Any, tmp_path: Path,
                                                                columns: int) -> None:
    ok("import", "run", str(_workbook(tmp_path / "kunden.xlsx", changed=False)))
    path = _workbook(tmp_path / "kunden-neu.xlsx", changed=True)
    r = cli("import", "run", str(path), "--dry-run", env={"COLUMNS": str(columns)})
    assert r.exit_code == 4, r.stderr  # the bad address refuses the file; the plan is printed all the same
    lines = r.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= columns, "\n".join(lines)
    logins = ["hans-juergen-peter.von-der-heide-zu-oberschwaben", "hans-juergen.von-der-heide",
              "annemarie.mueller-luedenscheidt", "maximilian.schwarzenberger",
              "friederike.zwangsvollstreckungsbeauftragte"]
    for text in [email for *_, email, _, _ in PEOPLE] + [
            "friederike.zwangsvollstreckungsbeauftragte@oberschwaben.example",
            "bruno.kaputt-at-landmaschinen-oberschwaben.example", *logins[1:]]:
        assert any(text in line for line in lines), (text, "\n".join(lines))
    # every change is there, wrapped between words: its words read in order once the lines are joined
    flat = " ".join(" ".join(lines).split())
    for change in ("first_name: Hans-Jürgen → Hans-Jürgen-Peter", "language: de → en", "role: member → billing",
                   "external_id: CRM-30002-alt → CRM-30002-neu",
                   "name: Gebrüder Hofmann Sanitär- und Heizungstechnik GmbH & Co. KG → Gebrüder Hofmann"):
        assert change in flat, (change, "\n".join(lines))
    # the errors' text too
    assert "bruno.kaputt-at-landmaschinen-oberschwaben.example" in flat


def test_a_wide_terminal_shows_every_column_side_by_side(world: Any, cli: Any, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "kunden.xlsx", changed=False)
    r = cli("import", "run", str(path), "--dry-run", env={"COLUMNS": "220"})
    assert r.exit_code == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if "changes / errors" in line)
    assert header.split() == ["sheet", "row", "action", "type", "key/login", "name/e-mail", "changes", "/", "errors"]
    row = next(line for line in r.stdout.splitlines() if "hans-juergen.von-der-heide@" in line)
    assert row.split()[:5] == ["Benutzer", "2", "create", "user", "hans-juergen.von-der-heide"]
    assert max(len(line) for line in r.stdout.splitlines()) <= 220


def test_an_address_longer_than_the_terminal_is_not_broken(world: Any, cli: Any, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "kunden.xlsx", changed=False)
    r = cli("import", "run", str(path), "--dry-run", env={"COLUMNS": "40"})
    assert r.exit_code == 0, r.stderr
    assert any(PEOPLE[1][2] in line for line in r.stdout.splitlines()), r.stdout
