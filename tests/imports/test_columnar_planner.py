"""Differential test (issue 20): the columnar user planner (store/imports/plan_users.py, rows equal
to the store found by joins) and the row-by-row one it replaced (store/imports/rowwise) give the
same problems and the same plan — rows, actions, changes, payloads, notes — for generated users
tables (valid and broken rows: bad e-mail, unknown role, duplicates, unknown and near tenant names,
NFD text, titles, damaged names, rows equal to or changed from the stored users), for several
actors and both modes, with and without a tenants table; on SQLite, and on PostgreSQL when
TENANTCTL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RUNS = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

USER_HEADERS = {"first_name": "Vorname", "last_name": "Nachname", "email": "E-Mail", "tenant": "Mandant",
                "role": "Rolle", "language": "Sprache", "access": "Zugriff"}
TENANT_HEADERS = {"key": "Schlüssel", "name": "Name", "kind": "Art", "reseller": "Reseller",
                  "customer_number": "Kundennummer", "currency": "Währung"}
# the stored people of the `world` fixture, as the store holds them: such a row is unchanged
STORED = [("Max", "Müller", "max@mueller.example", "mueller", "admin"),
          ("Mia", "Meier", "mia@mueller.example", "mueller", "member"),
          ("Otto", "Other", "otto@other.example", "other", "admin")]

emails = st.sampled_from(["max@mueller.example", "mia@mueller.example", "otto@other.example", "Max@Mueller.example",
                          "MIA@mueller.EXAMPLE", "neu1@kunde.example", "neu2@kunde.example", "NEU1@Kunde.example",
                          "kaputt", "jürgen@exämple.de", None])
firsts = st.sampled_from(["Max", "Mia", "Otto", "Anna", "Dr. Max", "Herr Max", "Maximilian", "  Max ", "Zoë",
                          "Zoe\u0308", "M?x", None, "x" * 201])
lasts = st.sampled_from(["Müller", "Meier", "Other", "Mu\u0308ller", "MÃ¼ller", "M?ller", "Weiß", "Prof. Dr. Weiß",
                         None])
tenant_refs = st.sampled_from(["mueller", "MUELLER", "10001", "Müller & Söhne GmbH", "muller & sohne gmbh",
                               "Mueller und Soehne GmbH", "other", "acme", "neu-gmbh", "Neu GmbH", "unbekannt",
                               None, "1001"])
roles = st.sampled_from([None, None, "admin", "member", "Admin", "billing", "boss", ""])
languages = st.sampled_from([None, None, None, "de", "en", "DE", "xx", ""])
access = st.sampled_from([None, None, None, None, "", "crm", "crm, crm"])


# new people (the fast lane of new_users.py): mostly distinct addresses, some repeated, some the fast
# path of the e-mail rule refuses (upper case, a space around, an IDN domain, a special TLD); names
# colliding into one login (max.mueller, also stored) or into a reserved one (system.admin)
new_emails = st.builds(lambda n, form: form.format(n), st.integers(0, 40), st.sampled_from([
    "neu{}@kunde.example", "neu{}@kunde.example", "neu{}@kunde.example", "Neu{}@Kunde.EXAMPLE", " neu{}@kunde.example ",
    "neu{}@bücher.example", "neu{}@kunde.test", "neu{}@xn--bcher-kva.example", "neu{}@@kunde.example"]))
new_firsts = st.sampled_from(["Max", "Anna", "Zoë", "System", "Dr. Max", "  Anna ", None])
new_lasts = st.sampled_from(["Müller", "Mueller", "Weiß", "Admin", "Mu\u0308ller", None])
new_tenants = st.sampled_from(["mueller", "neu-gmbh", "Neu GmbH", "10001", "other", "unbekannt"])


@st.composite
def user_rows(draw: Any) -> list[tuple[str | None, ...]]:
    rows: list[tuple[str | None, ...]] = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.integers(0, 3))
        if kind == 3:  # a new person
            rows.append((draw(new_firsts), draw(new_lasts), draw(new_emails), draw(new_tenants),
                         draw(st.sampled_from([None, None, "admin", "member", "Admin", "boss"])),
                         draw(st.sampled_from([None, None, "de", "EN", "xx"])),
                         draw(st.sampled_from([None, None, None, "", "crm"]))))
        elif kind == 0:  # a stored person as stored (the re-run's rows), or nearly
            first, last, email, tenant, role = draw(st.sampled_from(STORED))
            rows.append((first, last, email, draw(st.sampled_from([tenant, tenant, "10001", "acme"])),
                         draw(st.sampled_from([role, role, None, "member", "Admin"])),
                         draw(st.sampled_from([None, None, "de", "en"])), draw(st.sampled_from([None, None, ""]))))
        else:
            rows.append((draw(firsts), draw(lasts), draw(emails), draw(tenant_refs), draw(roles), draw(languages),
                         draw(access)))
    return rows


tenant_tables = st.lists(st.sampled_from([
    ("mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "EUR"),
    ("mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "XXX"),  # a problem: its users are refused
    ("mueller", "Mu\u0308ller & So\u0308hne GmbH", "customer", "acme", None, None),
    ("neu-gmbh", "Neu GmbH", "customer", "acme", "20001", "EUR"),
    (None, "Müller und Söhne GmbH", "customer", "acme", None, None),
    ("other", "Other Customer KG", "customer", "beta", None, None),
]), max_size=3)


def _source(users: list[tuple[str | None, ...]], tenants: list[tuple[str | None, ...]] | None) -> Any:
    from tenantctl.store.imports.rows import Source, Table

    def table(kind: str, sheet: str, headers: dict[str, str], rows: list[tuple[str | None, ...]]) -> Table:
        return Table(kind, sheet, 1, list(headers.values()), {f: i for i, f in enumerate(headers)},
                     [(n + 2, r) for n, r in enumerate(rows)])

    tables = {"users": table("users", "Benutzer", USER_HEADERS, users)}
    if tenants is not None:
        tables = {"tenants": table("tenants", "Mandanten", TENANT_HEADERS, tenants), **tables}
    return Source(Path("generated.xlsx"), "xlsx", tables)


def _payload(values: Any) -> Any:
    if values is None:
        return None
    if dataclasses.is_dataclass(values):
        return type(values).__name__, dataclasses.asdict(values)  # type: ignore[arg-type]
    return type(values).__name__, {s: getattr(values, s) for s in values.__slots__}


def _shape(plan: Any) -> dict[str, Any]:
    return {"problems": plan.problems(), "notes": plan.notes, "counts": plan.counts(),
            "rows": [(r.sheet, r.row, r.kind, r.key, r.label, r.action, dict(r.changes), r.errors, r.target_id,
                      _payload(r.values)) for r in plan.rows]}


def _as_columns(source: Any) -> Any:
    """The source as a reader that reads into columns hands it over (Table.columns set, no rows)."""
    for table in source.tables.values():
        table.frame()
        if table.kind == "users":
            table._rows = None  # columns only, as importers/read_csv.py and read_xlsx.py leave a table
    return source


def _plan(ctx_for: Any, actor: str | None, source: Any, mode: str, rowwise: bool) -> dict[str, Any]:
    from tenantctl.store.imports import planning
    from tenantctl.store.imports.plan import Options
    from tenantctl.store.imports.rowwise.plan_users import plan_users as old

    columnar = planning.plan_users
    with ctx_for(actor) as ctx:
        planning.plan_users = old if rowwise else columnar
        try:
            return _shape(planning.build_plan(ctx, source, Options(mode=mode)))
        finally:
            planning.plan_users = columnar


@given(users=user_rows(), tenants=st.none() | tenant_tables,
       actor=st.sampled_from([None, "rita.reseller", "max.mueller", "bert.beta", "mia.meier"]),
       mode=st.sampled_from(["upsert", "upsert", "create"]), columns=st.booleans(), scan=st.booleans(),
       native=st.booleans())
@RUNS
def test_columnar_and_rowwise_planners_agree(world: Any, ctx_for: Any, backend: str, users: Any, tenants: Any,
                                             actor: str | None, mode: str, columns: bool, scan: bool,
                                             native: bool) -> None:
    """`columns`: the users table comes as columns (a reader that reads into columns), not rows;
    `scan`: the stored users are read by scanning the tables (a big file), not by IN-lists;
    `native`: the scan reads SQLite's tables into columns (stored_columns), not through the driver."""
    from tenantctl.store.imports import compare_users, stored_columns

    old = _plan(ctx_for, actor, _source(users, tenants), mode, rowwise=True)
    source = _source(users, tenants)
    bulk, keep = compare_users.BULK_LOAD, compare_users.KEEP_ROWS
    compare_users.BULK_LOAD = 0 if scan else bulk
    compare_users.KEEP_ROWS = 2 if scan else keep  # batches of two rows: the scan's every step
    stored_columns.NATIVE = native
    try:
        new = _plan(ctx_for, actor, _as_columns(source) if columns else source, mode, rowwise=False)
    finally:
        compare_users.BULK_LOAD, compare_users.KEEP_ROWS = bulk, keep
        stored_columns.NATIVE = True
    assert new == old


def test_rows_equal_to_the_store_skip_the_rules_and_the_rest_do_not(world: Any, ctx_for: Any) -> None:
    """The rows the join finds equal cost nothing more; a stored person's second row (a duplicate),
    a changed row and a row the actor may not see are still checked, with the row-wise messages."""
    users: list[tuple[str | None, ...]] = [
        ("Max", "Müller", "max@mueller.example", "mueller", "admin", None, None),    # as stored
        ("Mia", "Meier", "mia@mueller.example", "10001", None, "de", None),        # as stored, by number
        ("Max", "Müller", "max@mueller.example", "mueller", None, None, None),     # the same row again
        ("Mia", "Meyer", "mia@mueller.example", "other", "member", None, None),    # another name
        ("Otto", "Other", "otto@other.example", "other", "admin", None, None),    # as stored, not rita's
    ]
    new = _plan(ctx_for, "rita.reseller", _source(users, None), "upsert", rowwise=False)
    assert new == _plan(ctx_for, "rita.reseller", _source(users, None), "upsert", rowwise=True)
    actions = [(r[1], r[5]) for r in new["rows"]]
    assert actions == [(2, "unchanged"), (3, "unchanged"), (4, "error"), (5, "error"), (6, "error")]
    assert [(p["row"], p["message"]) for p in new["problems"]] == [
        (4, "e-mail max@mueller.example also in row 2"),
        (5, "e-mail mia@mueller.example also in row 3, with another name (Mia Meier)"),
        (5, "unknown tenant 'other': not in the file and not in the store"),  # rita sees no tenant `other`
        (6, "unknown tenant 'other': not in the file and not in the store"),
        (6, "a user with e-mail otto@other.example already exists outside your tenants; ask them to be added "
            "with tenantctl member add"),
    ]


@pytest.mark.parametrize("stored_email", ["max@mueller.example"])
def test_a_stored_address_is_its_own_normal_form(world: Any, db_rows: Any, stored_email: str) -> None:
    """Why an unchanged row may skip the e-mail rule: every stored address went through it when
    written, and the rule gives it back unchanged (so its key is the stored key)."""
    from tenantctl.store import rules
    from tenantctl.store.imports.checks import normalise_email

    for email, key in db_rows("SELECT email, email_key FROM user_account"):
        assert normalise_email(email) == rules.normalise_email(email) == email
        assert rules.email_key(email) == key
    assert stored_email in [e for e, _ in db_rows("SELECT email, email_key FROM user_account")]


def _loads_polars(*args: str) -> tuple[int, bool]:
    """(exit code, whether polars was imported) of `tenantctl ARGS` in a fresh process."""
    import subprocess
    import sys

    code = ("import sys\nfrom tenantctl.cli.main import app\n"
            f"try:\n    app({list(args)!r})\nexcept SystemExit as e:\n    print('exit', e.code)\n"
            "print('polars' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    lines = out.stdout.strip().splitlines()
    exit_line = next((line for line in lines if line.startswith("exit ")), "exit 0")
    return int(exit_line.split()[1] or 0), lines[-1] == "True"


def test_polars_loads_only_to_compare_with_stored_users_or_read_a_large_file(world: Any, tmp_path: Path) -> None:
    """A command that does not import, and a small first import (read row by row by the default
    reader, no stored user named by the file: nothing to compare), never load polars (~40-60 MB and
    ~0.1 s that a 20-row csv should not pay); a re-run of stored people does (the comparison is in
    columns), and so does a file of read.COLUMNAR_FROM bytes or more (read into columns)."""
    from tenantctl.importers import read
    from tests.imports.conftest import USER_HEADER, write_csv

    assert _loads_polars("tenant", "list") == (0, False)
    new = write_csv(tmp_path / "neu.csv", [USER_HEADER, ["Anna", "Weiß", "anna@mueller.example", "mueller", "member"]])
    assert _loads_polars("import", "run", str(new)) == (0, False)
    again = write_csv(tmp_path / "again.csv", [USER_HEADER, ["Max", "Müller", "max@mueller.example", "mueller",
                                                             "admin"]])
    assert _loads_polars("import", "run", str(again)) == (0, True)
    # 40 new people and a long remark each (a column the import does not read): over the threshold
    people = [["Vorname", f"Person{i}", f"person{i}@mueller.example", "mueller", "member", "x" * 30_000]
              for i in range(40)]
    large = write_csv(tmp_path / "gross.csv", [[*USER_HEADER, "Bemerkung"], *people])
    assert large.stat().st_size >= read.COLUMNAR_FROM
    assert _loads_polars("import", "run", str(large)) == (0, True)
