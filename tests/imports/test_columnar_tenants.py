"""Differential test (issue 20): the columnar tenant planner (store/imports/plan_tenants.py, rows
equal to the store found by joins, cell rules once per distinct value) and the row-by-row one it
replaced (store/imports/rowwise/plan_tenants.py) give the same problems and the same plan — rows,
actions, changes, payloads, notes — for generated tenants tables (valid rows, broken cells, unknown
resellers, duplicates within the file, near names, customer numbers that lost their zeros, rows
equal to or changed from the store), for several actors, both modes, with and without users, the
table as rows and as columns; on SQLite, and on PostgreSQL when TENANTCTL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.imports.test_columnar_planner import STORED, USER_HEADERS, _shape

RUNS = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HEADERS = {"key": "Schlüssel", "name": "Name", "kind": "Art", "reseller": "Reseller", "customer_number": "Kundennummer",
           "currency": "Währung", "billing": "Abrechnung", "language": "Sprache", "external_id": "Extern",
           "applications": "Anwendungen"}
Row = tuple[str | None, ...]

# the stored tenants (the `world` fixture and `more` below) as an export writes them: unchanged rows
AS_STORED: list[Row] = [
    ("acme", "ACME Reseller AG", "reseller", None, None, None, None, None, None, None),
    ("beta", "Beta Partner GmbH", "reseller", None, None, None, None, None, None, None),
    ("mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "EUR", None, None, None, None),
    ("other", "Other Customer KG", "customer", "beta", None, None, None, None, None, None),
    ("nord", "Nord Technik GmbH", "customer", "acme", "000042", "EUR", "reseller", "en", "N-1", None),
    ("sued", "Süd Bau AG", "customer", "acme", "20002", "CHF", "customer", "de", None, "crm"),
    # by number at beta, where two customers have it (nord and west)
    (None, "Nord Technik GmbH", "customer", "beta", "000042", "EUR", None, None, None, None),
]
# what a cell may say instead, field by field (in the order of HEADERS): equal after the planner's
# normalising, another valid value, broken
CELLS: list[list[str | None]] = [
    ["mueller", "MUELLER ", " Nord", "nord", "sued", "other", "acme", "beta", "neu-gmbh", "Neu_Key!", "platform",
     None, None, ""],
    ["Müller & Söhne GmbH", "Mu\u0308ller & So\u0308hne GmbH", "Mueller und Soehne GmbH", "Nord Technik GmbH",
     "NORD TECHNIK G.m.b.H.", "Nord  Technik GmbH", "Neu GmbH", "  Neu   GmbH ", "Süd Bau AG",
     "Sued Bau Aktiengesellschaft", "x" * 201, "Bad\x07Name", "MÃ¼ller & SÃ¶hne GmbH", "", None],
    [None, None, "customer", "Customer ", "reseller", "partner", ""],
    [None, None, "acme", "ACME", "beta", "mueller", "nowhere", "", " "],
    [None, None, "10001", "42", "000042", "20002", "30003", "7", "1" * 80, ""],
    [None, None, "EUR", "eur", "CHF", "XXX", " ", ""],
    [None, None, "customer", "reseller", "Reseller", "monthly"],
    [None, None, "de", "en", "EN", "xx", ""],
    [None, None, "N-1", " N-1 ", "N-2", "bad\nid", ""],
    [None, None, None, "crm", "CRM, crm", "unknown-app", ""],
]
VARIANTS = [st.sampled_from(c) for c in CELLS]


@st.composite
def tenant_rows(draw: Any) -> list[Row]:
    rows: list[Row] = []
    for _ in range(draw(st.integers(0, 7))):
        if draw(st.integers(0, 4)) <= 2:  # a stored tenant as stored, or with a cell or two changed
            stored = draw(st.sampled_from(AS_STORED))
            rows.append(tuple(draw(VARIANTS[pos]) if draw(st.integers(0, 7)) == 0 else v
                              for pos, v in enumerate(stored)))
        else:
            rows.append(tuple(draw(v) for v in VARIANTS))
    return rows


@pytest.fixture
def more(world: Any, ctx_for: Any) -> None:
    """Beyond `world`: a zero-padded customer number, billing and language set, an application
    booked, a customer of two resellers, two customers with one number at a reseller, a rejected
    connection: every compared field has a stored value to be equal to or differ from."""
    from tenantctl.store.services import apps, tenants

    with ctx_for() as ctx:
        apps.create_app(ctx, "CRM", "crm")
        tenants.create_tenant(ctx, "Nord Technik GmbH", "customer", reseller="acme", key="nord",
                              customer_number="000042", currency="EUR", billing="reseller", language="en",
                              external_id="N-1")
        tenants.create_tenant(ctx, "Süd Bau AG", "customer", reseller="acme", key="sued", customer_number="20002",
                              currency="CHF", language="de")
    with ctx_for() as ctx:
        from sqlmodel import select

        from tenantctl.store.models import Application, Connection, Tenant, TenantApplication

        tid = ctx.session.exec(select(Tenant.id).where(Tenant.key == "sued")).one()
        aid = ctx.session.exec(select(Application.id).where(Application.key == "crm")).one()
        ctx.session.add(TenantApplication(tenant_id=tid, application_id=aid, created_by="test"))
        # other's connection to acme was rejected (the planner ignores it); nord is beta's customer too
        ids = dict(ctx.session.exec(select(Tenant.key, Tenant.id)).all())
        ctx.session.add(Connection(reseller_id=ids["acme"], customer_id=ids["other"], customer_number="30003",
                                   state="rejected", created_by="test"))
        ctx.session.add(Connection(reseller_id=ids["beta"], customer_id=ids["nord"], customer_number="000042",
                                   currency="EUR", state="active", created_by="test"))
        west = Tenant(key="west", name="West Handel GmbH", kind="customer", status="active", created_by="test")
        ctx.session.add(west)
        ctx.session.flush()
        ctx.session.add(Connection(reseller_id=ids["beta"], customer_id=west.id, customer_number="000042",
                                   currency="EUR", state="active", created_by="test"))


def _source(tenants: list[Row], users: list[Row] | None, number_cells: set[int], columns: bool) -> Any:
    from tenantctl.store.imports.rows import Source, Table

    def table(kind: str, sheet: str, headers: dict[str, str], rows: list[Row]) -> Table:
        return Table(kind, sheet, 1, list(headers.values()), {f: i for i, f in enumerate(headers)},
                     [(n + 2, r) for n, r in enumerate(rows)])

    t = table("tenants", "Mandanten", HEADERS, tenants)
    t.numbers = {(n + 2, "customer_number") for n in number_cells if n < len(tenants)}
    if columns:  # as importers/read_xlsx.py and read_csv.py leave a table they read into columns
        t.frame()
        t._rows = None
    tables = {"tenants": t}
    if users is not None:
        tables["users"] = table("users", "Benutzer", USER_HEADERS, users)
    return Source(Path("generated.xlsx"), "xlsx", tables)


def _plan(ctx_for: Any, actor: str | None, source: Any, opts: Any, rowwise: bool) -> Any:
    from tenantctl.store.errors import TenantctlError
    from tenantctl.store.imports import planning
    from tenantctl.store.imports.rowwise.plan_tenants import plan_tenants as old

    columnar = planning.plan_tenants
    planned: list[Any] = []

    def plan_tenants(*args: Any) -> Any:
        out = (old if rowwise else columnar)(*args)
        planned.extend(_file_tenants(out))
        return out

    with ctx_for(actor) as ctx:
        planning.plan_tenants = plan_tenants
        try:
            return {**_shape(planning.build_plan(ctx, source, opts)), "file_tenants": planned}
        except TenantctlError as exc:  # an --reseller the actor does not see: refused by both alike
            return type(exc).__name__, str(exc)
        finally:
            planning.plan_tenants = columnar


@given(tenants=tenant_rows(), users=st.none() | st.lists(st.sampled_from(
           [(f, la, e, t, r, None, None) for f, la, e, t, r in STORED] + [("Neu", "Person", "neu@kunde.example",
                                                                         "Neu GmbH", "admin", None, None)]),
           max_size=3),
       actor=st.sampled_from([None, None, "rita.reseller", "max.mueller", "bert.beta", "mia.meier"]),
       mode=st.sampled_from(["upsert", "upsert", "create"]), reseller=st.sampled_from([None, None, "acme"]),
       number_cells=st.sets(st.integers(0, 7), max_size=3), columns=st.booleans())
@RUNS
def test_columnar_and_rowwise_tenant_planners_agree(more: None, ctx_for: Any, backend: str, tenants: list[Row],
                                                    users: list[Row] | None, actor: str | None, mode: str,
                                                    reseller: str | None, number_cells: set[int],
                                                    columns: bool) -> None:
    """`columns`: the tenants table comes as columns (a reader that reads into columns), not rows."""
    from tenantctl.store.imports import plan_tenants
    from tenantctl.store.imports.plan import Options

    opts = Options(mode=mode, reseller=reseller)
    old = _plan(ctx_for, actor, _source(tenants, users, number_cells, False), opts, rowwise=True)
    # a small table read as rows is compared in columns too
    compare_rows, plan_tenants.COMPARE_ROWS = plan_tenants.COMPARE_ROWS, 0
    try:
        new = _plan(ctx_for, actor, _source(tenants, users, number_cells, columns), opts, rowwise=False)
    finally:
        plan_tenants.COMPARE_ROWS = compare_rows
    assert new == old


def _file_tenants(out: list[Any]) -> list[tuple[Any, ...]]:
    return [(ft.plan.row, *(getattr(ft, f.name) for f in dataclasses.fields(ft) if f.name != "plan")) for ft in out]


@pytest.mark.parametrize("actor", [None, "rita.reseller", "bert.beta"])
def test_every_cell_changed_from_a_stored_row(more: None, ctx_for: Any, actor: str | None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stored tenant's row with one cell replaced by each of its field's texts (equal after
    normalising, another value, broken), then the rows as stored (equal, or repeating a changed
    row): the same plan and the same tenants for the user rows, by both planners."""
    from tenantctl.store.imports import plan_tenants
    from tenantctl.store.imports.plan import Options, Plan
    from tenantctl.store.imports.plan_tenants import plan_tenants as new
    from tenantctl.store.imports.rowwise.plan_tenants import plan_tenants as old
    from tenantctl.store.imports.snapshot import Snapshot

    monkeypatch.setattr(plan_tenants, "COMPARE_ROWS", 0)  # the rows as rows are compared in columns too
    with ctx_for(actor) as ctx:
        snap = Snapshot(ctx)
        for pos, values in enumerate(CELLS):
            for value in dict.fromkeys(values):
                rows = [(*stored[:pos], value, *stored[pos + 1:]) for stored in AS_STORED] + AS_STORED
                got = []
                for planner, columns in ((old, False), (new, True), (new, False)):
                    source = _source(rows, None, set(), columns)
                    plan = Plan(ref=source.row_ref)
                    out = planner(ctx, snap, source.tables["tenants"], Options(), plan, set(), False)
                    got.append((_shape(plan), _file_tenants(out)))
                assert got[0] == got[1] == got[2], (list(HEADERS)[pos], value)


@given(numbers=st.lists(st.sampled_from([None, "", "10001", "010001", "1067", "01067", "42", "000042", "7", "x7",
                                          "20002", "123456"]), max_size=8),
       number_cells=st.sets(st.integers(0, 7), max_size=4))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_lost_zeros_from_the_column_as_from_the_rows(numbers: list[str | None], number_cells: set[int]) -> None:
    """The planner's lost zeros, read from the column's list, are checks.lost_zeros of the rows."""
    from tenantctl.store.imports.checks import lost_zeros
    from tenantctl.store.imports.rows import Table
    from tenantctl.store.imports.tenant_file import _lost_zeros

    table = Table("tenants", "Mandanten", 1, ["Name", "Kundennummer"], {"name": 0, "customer_number": 1},
                  [(n + 2, ("T", v)) for n, v in enumerate(numbers)],
                  numbers={(n + 2, "customer_number") for n in number_cells})
    rownums = [n + 2 for n in range(len(numbers))]
    assert _lost_zeros(rownums, numbers, table.numbers) == lost_zeros(table, "customer_number")


@given(name=st.text(st.sampled_from("aAöÖüßẞé\u0301\u0308&+ .-_ﬁ½Ⅸıİǅ0Kk\u212a") | st.characters(), max_size=30)
       | st.sampled_from(["Weiß & Söhne Haustechnik GbR", "WEISS UND SOEHNE Haustechnik G.b.R.", "Café Zoë",
                          "Gesellschaft mit beschränkter Haftung", "ﬁrma", "e. Kfm."]))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_loose_names_as_the_reference_gives_them(name: str) -> None:
    """The ASCII short cut of near_names.loose_name gives the reference's loose name."""
    from tenantctl.store.imports.near_names import loose_name
    from tenantctl.store.imports.rowwise.near_names import loose_name as reference

    assert loose_name(name) == reference(name)


def test_rows_equal_to_the_store_skip_the_rules_and_the_rest_do_not(more: None, ctx_for: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows the join finds equal to the store are planned without reading their cells one by
    one (a repeated one is still refused); a changed row and a new row are read, with the row-wise
    messages."""
    from tenantctl.store.imports import plan_tenants
    from tenantctl.store.imports.plan import Options

    monkeypatch.setattr(plan_tenants, "COMPARE_ROWS", 0)  # the small table read as rows is compared too
    read: list[int] = []
    reader = plan_tenants.read_tenant_row
    monkeypatch.setattr(plan_tenants, "read_tenant_row", lambda f, p, n, v: read.append(n) or reader(f, p, n, v))
    rows: list[Row] = [*AS_STORED[:5],
                       ("nord", "Nord Technik GmbH", "customer", "acme", "000042", None, None, None, None, None),
                       (None, "Süd Bau AG", None, "acme", "20002", None, "reseller", None, None, None),
                       ("neu-gmbh", "Neu GmbH", None, "acme", "30003", "EUR", None, None, None, None)]
    for columns in (False, True):
        read.clear()
        new = _plan(ctx_for, None, _source(rows, None, set(), columns), Options(), rowwise=False)
        assert new == _plan(ctx_for, None, _source(rows, None, set(), False), Options(), rowwise=True)
        assert [r[5] for r in new["rows"]] == ["unchanged"] * 5 + ["error", "update", "create"]
        assert read == [8, 9]  # the changed billing, the new tenant (row 7 repeats row 6: found in row order)
        assert [(p["row"], p["message"]) for p in new["problems"]] == [
            (7, "the same tenant as row 6"), (7, "customer number 000042 also in row 6")]
        assert new["rows"][6][6] == {"billing": ["customer", "reseller"]}


def test_a_columnar_table_is_planned_without_its_row_tuples(more: None, ctx_for: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A table a reader read into columns is never turned into per-row tuples (Table.rows): the
    planner reads its columns, and frees them when done."""
    from tenantctl.store.imports.plan import Options
    from tenantctl.store.imports.rows import Table

    def no_rows(self: Table) -> Any:
        if self.kind == "tenants":
            raise AssertionError("the tenants table built its row tuples")
        return Table.__dict__["_orig_rows"].fget(self)

    rows = [*AS_STORED[:6], ("neu-gmbh", "Neu GmbH", None, "acme", "30003", "EUR", None, None, None, None)]
    source = _source(rows, None, set(), True)
    monkeypatch.setattr(Table, "_orig_rows", Table.rows, raising=False)
    monkeypatch.setattr(Table, "rows", property(no_rows, Table.rows.fset))
    table = source.tables["tenants"]
    new = _plan(ctx_for, None, source, Options(), rowwise=False)
    assert [r[5] for r in new["rows"]] == ["unchanged"] * 6 + ["create"]
    assert table.columns is None and table._rows == []


def test_a_small_file_read_as_rows_does_not_load_polars(world: Any, tmp_path: Path) -> None:
    """A small tenants file read as rows is planned row by row, new or stored tenants alike:
    loading polars (~0.3 s) would cost more than the compare saves (plan_tenants.COMPARE_ROWS)."""
    from tests.imports.conftest import TENANT_HEADER, write_csv
    from tests.imports.test_columnar_planner import _loads_polars

    new = write_csv(tmp_path / "neu.csv", [TENANT_HEADER, ["", "Neu GmbH", "customer", "acme", "30003", "EUR", ""]])
    assert _loads_polars("import", "run", str(new)) == (0, False)
    again = write_csv(tmp_path / "again.csv", [TENANT_HEADER, ["mueller", "Müller & Söhne GmbH", "customer", "acme",
                                                               "10001", "EUR", ""]])
    assert _loads_polars("import", "run", str(again)) == (0, False)


# new tenants (the fast lane of new_tenants.py): no key, names whose keys collide (with each other,
# with stored and given keys, ending in digits, cut at 63 characters), repeated names and numbers,
# near and stored names, resellers stored, in the file, unknown or not resellers, broken cells
NEW_NAMES = ["Neu GmbH", "NEU  GmbH", "Neu-GmbH", "Neu GmbH 2", "Neu GmbH2", "Firma", "Firma 2", "Firma-3", "Zoë",
             "Süd Bau AG", "Sued Bau Aktiengesellschaft", "Bad\x07Name", "x" * 70, "x" * 61 + " y", None]
NEW_KEYS = [None, None, None, None, None, None, "", " ", "neu-gmbh", "firma-2", "neu-partner", "mueller"]
new_tenant_rows = st.lists(st.tuples(
    st.sampled_from(NEW_KEYS), st.sampled_from(NEW_NAMES),
    st.sampled_from([None, None, "customer", "reseller", "Customer ", "partner"]),
    st.sampled_from([None, "acme", "acme", "ACME", "beta", "neu-partner", "nowhere", "mueller"]),
    st.sampled_from([None, None, "30003", "30003", "10001", "42", "000042", "7", "bad\nno"]),
    st.sampled_from([None, None, "EUR", "XXX"]), st.sampled_from([None, None, "reseller", "monthly"]),
    st.sampled_from([None, None, "en", "xx"]), st.sampled_from([None, None, "E-1", "bad\nid"]),
    st.sampled_from([None, None, "crm", "CRM, crm", "unknown-app"])), max_size=12)


@pytest.fixture
def keyed(more: None, ctx_for: Any) -> None:
    """Stored keys among the candidates of the new names' keys (neu-gmbh-2, firma, firma-3)."""
    from tenantctl.store.services import tenants

    with ctx_for() as ctx:
        tenants.create_tenant(ctx, "Altbestand AG", "customer", reseller="acme", key="neu-gmbh-2")
        tenants.create_tenant(ctx, "Erste Firma KG", "customer", reseller="beta", key="firma")
        tenants.create_tenant(ctx, "Dritte Firma KG", "customer", reseller="beta", key="firma-3")


@given(tenants=new_tenant_rows, actor=st.sampled_from([None, None, "rita.reseller", "max.mueller", "bert.beta"]),
       mode=st.sampled_from(["upsert", "create"]), reseller=st.sampled_from([None, None, "acme"]),
       number_cells=st.sets(st.integers(0, 11), max_size=2), columns=st.booleans(), partner=st.booleans())
@settings(RUNS, max_examples=250)
def test_new_tenants_as_the_row_by_row_planner_plans_them(keyed: None, ctx_for: Any, backend: str,
                                                          tenants: list[Row], actor: str | None, mode: str,
                                                          reseller: str | None, number_cells: set[int],
                                                          columns: bool, partner: bool) -> None:
    """New tenants by the fast lane (and the rows it leaves to the rules) give the row-by-row plan:
    the same keys (colliding with stored, given and each other's), problems and notes. `partner`:
    the file creates the reseller neu-partner (its first row)."""
    from tenantctl.store.imports.plan import Options

    if partner:
        tenants = [("neu-partner", "Neu Partner AG", "reseller", None, None, None, None, None, None, None), *tenants]

    opts = Options(mode=mode, reseller=reseller)
    old = _plan(ctx_for, actor, _source(tenants, None, number_cells, False), opts, rowwise=True)
    new = _plan(ctx_for, actor, _source(tenants, None, number_cells, columns), opts, rowwise=False)
    assert new == old


def test_plain_new_tenants_skip_the_rules_and_keep_their_keys(keyed: None, ctx_for: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that can only become new tenants are planned without reading their cells one by one,
    a repeated name or number refused as row by row; a given key, a stored name, a near name and a
    broken cell are read by the rules. Keys come out in row order as row by row."""
    from tenantctl.store.imports import plan_tenants
    from tenantctl.store.imports.checks import Handles
    from tenantctl.store.imports.plan import Options

    read: list[int] = []
    reader = plan_tenants.read_tenant_row
    monkeypatch.setattr(plan_tenants, "read_tenant_row", lambda f, p, n, v: read.append(n) or reader(f, p, n, v))
    asked: list[str] = []  # the bases keys are asked for one row at a time (a base a row of the rules asks)
    allocate = Handles.allocate
    monkeypatch.setattr(Handles, "allocate", lambda self, base: asked.append(base) or allocate(self, base))
    rows: list[Row] = [
        (None, "Neu GmbH", None, "acme", None, None, None, None, None, None),           # 2 neu-gmbh
        ("neu-gmbh-4", "Neu Vier GmbH", None, "acme", None, None, None, None, None, None),  # 3 given key: rules
        (None, "NEU  GmbH", None, "acme", None, None, None, None, None, None),          # 4 the same as 2
        (None, "Neu GmbH", None, "beta", "30003", "EUR", None, None, None, "crm"),      # 5 neu-gmbh-5
        (None, "Neu GmbH", None, "beta", "30003", None, None, None, None, None),        # 6 number as in 5
        (None, "Süd Bau AG", None, "acme", None, None, None, "en", None, None),         # 7 stored: rules
        (None, "Sued Bau Aktiengesellschaft", None, "beta", None, None, None, None, None, None),  # 8 near: rules
        (None, "Neu GmbH", "boss", "acme", None, None, None, None, None, None),         # 9 broken kind: rules
        (None, "Neu GmbH", None, "acme", "40004", None, None, None, None, None),        # 10 neu-gmbh-8
        (None, "Firma", None, "acme", "50005", None, None, None, None, None),           # 11 firma-2 (firma stored)
        (None, "Zoë", None, "acme", None, None, None, None, None, None),                # 12 zoe
        (None, "FIRMA", None, "acme", "50006", None, None, None, None, None),           # 13 firma-4 (firma-3 stored)
        (None, "Klein GmbH", None, "acme", "7", None, None, None, None, None),          # 14 lost zeros: rules
        (None, "Null GmbH", None, "acme", "06006", None, None, None, None, None),       # 15 null-gmbh
        ("neu-partner", "Neu Partner AG", "reseller", None, None, None, None, None, None, None),  # 16 rules
        (None, "Kunde GmbH", None, "neu-partner", "60006", None, None, None, None, None),  # 17 kunde-gmbh
    ]
    for columns in (False, True):
        read.clear()
        old = _plan(ctx_for, None, _source(rows, None, set(), False), Options(), rowwise=True)
        asked.clear()
        new = _plan(ctx_for, None, _source(rows, None, set(), columns), Options(), rowwise=False)
        assert new == old
        assert read == [3, 7, 8, 9, 14, 16]
        assert asked == ["neu-gmbh"] * 4 + ["sued-bau-aktiengesellschaft"] + ["neu-gmbh"] * 2 + ["klein-gmbh"]
        assert [(r[1], r[3], r[5]) for r in new["rows"]] == [
            (2, "neu-gmbh", "create"), (3, "neu-gmbh-4", "create"), (4, "neu-gmbh-3", "error"),
            (5, "neu-gmbh-5", "create"), (6, "neu-gmbh-6", "error"), (7, "sued", "update"),
            (8, "sued-bau-aktiengesellschaft", "create"), (9, "neu-gmbh-7", "error"), (10, "neu-gmbh-8", "create"),
            (11, "firma-2", "create"), (12, "zoe", "create"), (13, "firma-4", "create"), (14, "klein-gmbh", "error"),
            (15, "null-gmbh", "create"), (16, "neu-partner", "create"), (17, "kunde-gmbh", "create")]
        assert new["rows"][15][9][1]["reseller_key"] == "neu-partner"
