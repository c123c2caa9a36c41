"""Property (issue 17): for generated documents and files, good and bad mixed, the dry run's problems,
plan and exit code equal the real run's, the dry run changes no table, and a refused run changes
no table either (but for the refusal's own record in import_run, which `import show` lists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_same_outcome, stored

pytestmark = pytest.mark.no_dry_run_twin("the test compares the dry run and the real run itself")

RUNS = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
REFUSED = {4, 5, 8, 9}

# pools with stored, foreign, new and broken values, so that examples hit every kind of answer
def mostly(good: list[Any], bad: list[Any]) -> Any:
    """A good value nine times in ten: refusals and writes both come up."""
    return st.integers(0, 9).flatmap(lambda n: st.sampled_from(bad if n == 9 else good))  # Hypothesis favours 0


emails = mostly(["max@mueller.example", "mia@mueller.example", "neu1@kunde.example", "neu2@kunde.example",
                 "NEU1@Kunde.example"], ["kaputt", "", "otto@other.example"])
names = mostly(["Anna", "Jürgen", "Zoë", "Weiß", "Max", "Müller"], ["", "x" * 201])
roles = mostly(["admin", "member", "billing", None], ["boss"])
actors = st.sampled_from([None, "rita.reseller", "rita.reseller", "max.mueller"])


PEOPLE = {"max@mueller.example": ("Max", "Müller"), "mia@mueller.example": ("Mia", "Meier"),
          "neu1@kunde.example": ("Anna", "Weiß"), "NEU1@Kunde.example": ("Anna", "Weiß"),
          "neu2@kunde.example": ("Zoë", "Łukasiewicz"), "otto@other.example": ("Otto", "Other")}


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    tenants = []
    for key in draw(st.lists(mostly(["mueller", "neu-gmbh", "neu-kg"], ["other", "acme"]), min_size=1, max_size=3,
                             unique=True)):
        t: dict[str, Any] = {"key": key, "kind": "customer", "name": draw(mostly(
            ["Müller & Söhne GmbH" if key == "mueller" else f"{key.title()} GmbH"], ["", "Neu GmbH"]))}
        if draw(st.integers(0, 9)) != 9:
            t["reseller"] = draw(mostly(["acme"], ["beta", "nope"]))
            t["currency"] = draw(mostly(["EUR"], ["CHF", "XXX"]))
        if draw(st.integers(0, 9)) == 9:
            t["colour"] = "blue"  # an unknown field
        users = []
        for email in draw(st.lists(emails, max_size=3, unique_by=lambda e: e.casefold())):
            first, last = PEOPLE.get(email, (draw(names), draw(names)))
            u = {"email": email, "first_name": first, "last_name": draw(mostly([last], ["", "x" * 201]))}
            if (role := draw(roles)) is not None:
                u["role"] = role
            users.append(u)
        t["users"] = users
        tenants.append(t)
    return {"tenants": tenants}


@st.composite
def user_files(draw: Any) -> list[list[Any]]:
    rows: list[list[Any]] = [["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"]]
    for _ in range(draw(st.integers(1, 5))):
        rows.append([draw(names), draw(names), draw(emails),
                     draw(mostly(["mueller", "10001", "Müller & Söhne GmbH"], ["other", "nirgends"])),
                     draw(roles) or ""])
    if draw(st.integers(0, 3)) == 3:
        rows.append(["Summe", "", "", "", ""])  # a report's totals row
    return rows


def _check(cli: Any, store_engine: Any, args: list[str], as_: str | None) -> None:
    before = stored(store_engine)
    dry = cli(*args, "--dry-run", "--json", as_=as_)
    assert stored(store_engine) == before, f"the dry run of {args} changed the store"
    real = cli(*args, "--json", as_=as_)
    assert_same_outcome(dry, real, [*args, "--json"])
    if real.exit_code in REFUSED:
        after = stored(store_engine)
        assert {k: v for k, v in after.items() if k != "import_run"} == \
               {k: v for k, v in before.items() if k != "import_run"}, f"the refused {args} wrote something"
        assert after["import_run"][0] - before["import_run"][0] in {0, 1}  # at most the refusal's record
    else:
        assert real.exit_code in {0, 6}, (real.exit_code, real.stdout, real.stderr)


@pytest.fixture
def engine_of(store: Any) -> Any:
    return lambda: store.engine


def test_apply_dry_run_equals_the_real_run(backend: str, world: Any, cli: Any, engine_of: Any,
                                           tmp_path: Path) -> None:
    @RUNS
    @given(doc=documents(), actor=actors, prune=st.booleans(), links=st.booleans())
    def run(doc: dict[str, Any], actor: str | None, prune: bool, links: bool) -> None:
        path = tmp_path / "doc.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        args = ["apply", "-f", str(path), *(["--prune", "--yes"] if prune else []),
                *(["--send-links=missing"] if links else [])]
        _check(cli, engine_of, args, actor)

    run()


def test_import_dry_run_equals_the_real_run(backend: str, world: Any, cli: Any, engine_of: Any,
                                            tmp_path: Path) -> None:
    from tests.imports.conftest import write_csv

    @RUNS
    @given(rows=user_files(), actor=actors, skip=st.booleans())
    def run(rows: list[list[Any]], actor: str | None, skip: bool) -> None:
        path = write_csv(tmp_path / "benutzer.csv", rows)
        report = tmp_path / "benutzer-fehler.xlsx"
        args = ["import", "run", str(path), "--force", *(["--skip-invalid"] if skip else [])]
        report.unlink(missing_ok=True)
        _check(cli, engine_of, args, actor)

    run()
