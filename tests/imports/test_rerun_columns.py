"""The unchanged re-run's own work in columns (issue 20): the users' tenant cells read from the
columns (no row tuples built for the unlisted-people note), the stored users read in small batches
and filtered in columns, the file's rows met with the stored users on an e-mail hash (the texts
compared after), a tenant reference that names several tenants, and the snapshot read as named
tuples. Each result is compared with the row-wise path or the store."""

from __future__ import annotations

from typing import Any

import pytest

from tests.imports.test_columnar_planner import _as_columns, _plan, _source

Row = tuple[str | None, ...]
# the stored people of the `world` fixture (see test_columnar_planner.STORED), with language and access
MAX: Row = ("Max", "Müller", "max@mueller.example", "mueller", "admin", None, None)
MIA: Row = ("Mia", "Meier", "mia@mueller.example", "10001", None, "de", None)
OTTO: Row = ("Otto", "Other", "otto@other.example", "other", "admin", None, None)


def _unlisted(notes: list[str]) -> list[str]:
    return [n for n in notes if "not in the file" in n]


def test_the_unlisted_note_reads_the_tenant_cells_from_the_columns(world: Any, ctx_for: Any) -> None:
    """A columnar users table stays columns when the unlisted people are counted (no 100,000 row
    tuples for its distinct tenant cells), and the note counts as from rows: Mia is left out."""
    from tenantctl.store.imports.unlisted import Unlisted

    users: list[Row] = [MAX, ("Nina", "Neu", "nina@mueller.example", "Müller & Söhne GmbH", "member", None, None)]
    source = _as_columns(_source(users, None))
    table = source.tables["users"]
    unlisted = Unlisted(source)
    assert table._rows is None and table.columns is not None  # read from the columns, none built
    assert unlisted.refs == _source(users, None).tables["users"].distinct("tenant") == {
        "mueller", "Müller & Söhne GmbH"}
    for columns in (True, False):
        plan = _plan(ctx_for, None, _as_columns(_source(users, None)) if columns else _source(users, None),
                     "upsert", rowwise=False)
        assert _unlisted(plan["notes"]) == ["1 stored user of these tenants is not in the file; importing adds "
                                            "and updates, it never removes (tenantctl apply --prune removes "
                                            "people not listed; see docs/apply.md)"]


def test_a_columnar_table_is_freed_and_read_without_row_tuples() -> None:
    source = _as_columns(_source([MAX, MIA, ("X", "Y", "x@y.example", "", None, None, None)], None))
    table = source.tables["users"]
    assert table.distinct("tenant") == {"mueller", "10001"}  # the empty cell is no reference
    assert table.distinct("nonesuch") == set()
    table.free()
    assert table._rows is None and table.columns is None
    rows = _source([MAX], None).tables["users"]
    kept = rows.rows
    rows.free()
    assert kept == [] and rows.columns is None  # a caller's list is emptied in place


@pytest.mark.parametrize("columns", [True, False])
def test_a_scan_filters_its_batches_in_groups_and_reads_what_in_lists_read(world: Any, ctx_for: Any,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           columns: bool) -> None:
    """One row a batch, filtered every two rows: the stored users and memberships the file's
    addresses name, as the IN-lists read them (the file's e-mails as a list or a polars column)."""
    import polars as pl

    from tenantctl.store.imports import compare_users

    emails = ["max@mueller.example", "otto@other.example", None, "nobody@else.example", "max@mueller.example"]
    given: Any = pl.Series("email", emails, dtype=pl.String) if columns else emails
    with ctx_for() as ctx:
        listed = compare_users.load_stored(ctx, given)
        monkeypatch.setattr(compare_users, "BULK_LOAD", 0)
        monkeypatch.setattr(compare_users, "SCAN_BATCH", 1)
        monkeypatch.setattr(compare_users, "KEEP_ROWS", 2)
        scanned = compare_users.load_stored(ctx, given)
        none = compare_users.load_stored(ctx, pl.Series(["nobody@else.example"]) if columns else ["x@y.example"])
    assert listed is not None and scanned is not None and none is None
    assert sorted(scanned.users["email"].to_list()) == ["max@mueller.example", "otto@other.example"]
    assert scanned.users.sort("id").equals(listed.users.sort("id"))
    assert scanned.memberships.sort("id").equals(listed.memberships.sort("id"))
    assert scanned.memberships.height == 2


@pytest.mark.parametrize("columns", [True, False])
def test_a_scan_filters_once_per_as_many_rows_as_the_file_names(world: Any, ctx_for: Any,
                                                               monkeypatch: pytest.MonkeyPatch, columns: bool) -> None:
    """A filter hashes all the file's values: a big file's scan filters once per as many stored
    rows as the file names values (users) or users were found (memberships), not once per
    KEEP_ROWS (ten times in a 1,000,000-row re-run); what it reads is what the IN-lists read."""
    import polars as pl

    from tenantctl.store.imports import compare_users

    emails = ["max@mueller.example", "otto@other.example", "mia@mueller.example", "nobody@else.example", None]
    given: Any = pl.Series("email", emails, dtype=pl.String) if columns else emails
    kept: list[int] = []
    real = compare_users._kept

    def counted(frames: list[Any], keep: Any) -> Any:
        kept.append(sum(f.height for f in frames))
        return real(frames, keep)

    with ctx_for() as ctx:
        listed = compare_users.load_stored(ctx, given)
        monkeypatch.setattr(compare_users, "BULK_LOAD", 0)
        monkeypatch.setattr(compare_users, "SCAN_BATCH", 1)
        monkeypatch.setattr(compare_users, "KEEP_ROWS", 1)
        monkeypatch.setattr(compare_users, "_kept", counted)
        scanned = compare_users.load_stored(ctx, given)
    assert listed is not None and scanned is not None
    assert scanned.users.sort("id").equals(listed.users.sort("id"))
    assert scanned.memberships.sort("id").equals(listed.memberships.sort("id"))
    # the world's 6 people and 6 memberships; 4 addresses named (a list is filtered in Python, not
    # here), 3 people found
    assert kept == ([4, 2] if columns else [1] * 3) + [3, 3]


def test_rows_meeting_on_an_equal_hash_are_compared_by_their_texts(world: Any, ctx_for: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every e-mail hashes alike here: each row meets every stored user, and only the texts decide
    (an address, a name or a language that differs is no unchanged row); the plan is the row-wise one."""
    import polars as pl

    monkeypatch.setattr(pl.Expr, "hash", lambda self, *args, **kwargs: pl.lit(7, pl.UInt64))
    users: list[Row] = [MAX, MIA, OTTO, ("Mia", "Meyer", "mia@mueller.example", "mueller", None, None, None),
             ("Max", "Müller", "max@mueller.example", "10001", None, "en", None),
             ("Max", "Müller", "MAX@mueller.example", "mueller", None, None, None)]
    namesake: list[Row] = [("Max", "Müller", "max2@mueller.example", "mueller", "admin", None, None), MAX]
    for rows, actions in ((users, ["unchanged", "unchanged", "unchanged", "error", "error", "error"]),
                          (namesake, ["create", "unchanged"])):
        for columns in (True, False):
            old = _plan(ctx_for, None, _source(rows, None), "upsert", rowwise=True)
            new = _plan(ctx_for, None, _as_columns(_source(rows, None)) if columns else _source(rows, None),
                        "upsert", rowwise=False)
            assert new == old
            assert [r[5] for r in new["rows"]] == actions


def test_a_reference_naming_two_tenants_is_ambiguous(world: Any, ctx_for: Any) -> None:
    """A file tenant with a stored tenant's name: a user row naming it names two tenants; the key
    and the stored tenant's number still name one."""
    tenants: list[Row] = [("zweite", "Müller & Söhne GmbH", "customer", "acme", "30001", "EUR")]
    users: list[Row] = [("Ana", "Neu", "ana@neu.example", "müller & söhne gmbh", None, None, None),
             ("Ben", "Neu", "ben@neu.example", "zweite", None, None, None), MIA]
    old = _plan(ctx_for, None, _source(users, tenants), "upsert", rowwise=True)
    new = _plan(ctx_for, None, _source(users, tenants), "upsert", rowwise=False)
    assert new == old
    assert [(p["row"], p["message"]) for p in new["problems"]] == [
        (2, "tenant 'müller & söhne gmbh' is ambiguous: it names 2 tenants; use the key")]
    assert [r[5] for r in new["rows"] if r[2] == "user"] == ["error", "create", "unchanged"]


def test_the_snapshot_holds_the_stored_tenants_and_connections_and_a_pending_one(world: Any, ctx_for: Any) -> None:
    """Read through the driver as named tuples: the same fields as the tables, and a tenant added in
    the session but not yet flushed is there too."""
    from sqlmodel import select

    from tenantctl.store.enums import TenantKind, TenantStatus
    from tenantctl.store.imports.snapshot import Snapshot
    from tenantctl.store.models import Connection, Tenant

    with ctx_for() as ctx:
        ctx.session.add(Tenant(key="pending", name="Pending GmbH", kind=TenantKind.customer,
                               status=TenantStatus.active, created_by="test"))
        snap = Snapshot(ctx)
        stored = ctx.session.exec(select(Tenant)).all()
        conns = ctx.session.exec(select(Connection)).all()
        assert {t.key for t in snap.tenants.values()} == {t.key for t in stored} >= {"pending", "mueller"}
        for t in stored:
            assert tuple(snap.tenants[t.id]) == (t.id, t.key, t.name, t.kind, t.language, t.external_id, t.status)
        mueller = snap.by_key["mueller"]
        (conn,) = snap.conns[mueller.id]
        assert conn == next((c.id, c.reseller_id, c.customer_id, c.customer_number, c.currency, c.billing, c.state)
                            for c in conns if c.customer_id == mueller.id)
        assert snap.conn_by_number[(snap.by_key["acme"].id, "10001")] is conn
        assert snap.by_number("10001") == [conn] and snap.by_name("MÜLLER & SÖHNE GMBH") == [mueller]


def test_the_stored_users_columns_are_freed_before_the_unchanged_rows_are_made(world: Any, ctx_for: Any,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored users' and memberships' columns are needed only to find the rows equal to the
    store: they are gone when those rows become Python objects (at 1,000,000 users they held
    ~200 MB at the re-run's peak), and the re-run still finds them unchanged."""
    import weakref

    from tenantctl.store.imports import plan_users

    refs: list[Any] = []
    alive_then: list[bool] = []
    stored_users, unchanged = plan_users._stored_users, plan_users._unchanged

    def spy_stored(*args: Any) -> Any:
        found = stored_users(*args)
        refs.append(weakref.ref(found.users))
        return found

    def spy_unchanged(*args: Any) -> Any:
        alive_then.append(refs[-1]() is not None)
        return unchanged(*args)

    monkeypatch.setattr(plan_users, "_stored_users", spy_stored)
    monkeypatch.setattr(plan_users, "_unchanged", spy_unchanged)
    plan = _plan(ctx_for, None, _as_columns(_source([MAX, OTTO], None)), "upsert", rowwise=False)
    assert [r[5] for r in plan["rows"]] == ["unchanged", "unchanged"]  # (sheet, row, kind, key, label, action, …)
    assert alive_then == [False]
