"""stored_columns reads a table as SELECT returns it: every value (texts with the separator, line
ends, quotes, NULLs, empty texts, integers), every row once, in batches over ids with gaps; a batch
it cannot split goes through the driver, and only such a batch. PostgreSQL and NATIVE = False
read through the driver (None)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

COLUMNS = ("id", "key", "name", "external_id")
TYPES = {"id": "Int64", "key": "String", "name": "String", "external_id": "String"}
TEXTS = st.text(st.sampled_from(["a", "Z", "ß", "\x1f", "\n", "\r", '"', ",", " ", "😀", "\x00", "'"]), max_size=6)


def _read(ctx: Any, rows: int) -> tuple[Any, list[tuple[bool, list[int]]]]:
    """The tenants read by stored_columns (frames of all batches), and per batch whether it went
    through the driver and its ids."""
    import polars as pl

    from tenantctl.store.imports import stored_columns

    batches = stored_columns.scan(ctx, "tenant", COLUMNS, TYPES, rows)
    assert batches is not None
    frames, seen = [], []
    for batch in batches:
        assert 0 < batch.n <= rows
        driver: list[bool] = []
        real = batch.rows
        batch.rows = lambda real=real, driver=driver: (driver.append(True), real())[1]  # type: ignore[method-assign]
        names = batch.values("name")
        frames.append(batch.frame())
        assert names is None or names == frames[-1]["name"].to_list()  # the Python split says the same
        seen.append((bool(driver), frames[-1]["id"].to_list()))
    return (pl.concat(frames) if frames else None), seen


def _selected(ctx: Any) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    return [tuple(r) for r in ctx.session.execute(text('SELECT id, "key", name, external_id FROM tenant ORDER BY id'))]


@given(names=st.lists(st.tuples(TEXTS, st.none() | TEXTS, st.integers(1, 4)), max_size=12),
       rows=st.integers(1, 5))
@example(names=[("a", None, 1), ("b", "x\x1fy", 1)], rows=5)  # a NULL and a separator: as many parts as rows
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_table_reads_as_select_returns_it(ctx_for: Any, names: list[tuple[str, str | None, int]],
                                           rows: int) -> None:
    from sqlalchemy import text

    with ctx_for() as ctx:
        next_id = 0
        for i, (name, external, gap) in enumerate(names):
            next_id += gap * gap  # ids with gaps, some wider than a batch
            ctx.session.execute(text("INSERT INTO tenant (id, \"key\", name, kind, status, language, external_id, "
                                     "created_at, created_by) VALUES (:id, :key, :name, 'customer', 'active', 'de', "
                                     ":ext, '2026-01-01 00:00:00', 'test')"),
                                {"id": next_id, "key": f"k{i}", "name": name, "ext": external})
        frame, seen = _read(ctx, rows)
        expected = _selected(ctx)
        ctx.session.rollback()
    assert (frame.rows() if frame is not None else []) == expected  # every row once, in id order
    # a batch goes through the driver exactly when one of its values holds the separator or is NULL
    odd = {r[0] for r in expected if any(v is None or "\x1f" in v for v in r[1:])}
    assert [through for through, _ in seen] == [bool(odd & set(ids)) for _, ids in seen]


def test_a_batch_without_a_null_or_the_separator_is_split(world: Any, ctx_for: Any) -> None:
    """The world's tenants (no external id: NULLs) go through the driver; its users are split."""
    from tenantctl.store.imports import stored_columns
    from tenantctl.store.imports.compare_users import USER_COLUMNS, USER_TYPES

    with ctx_for() as ctx:
        batches = stored_columns.scan(ctx, "user_account", USER_COLUMNS, USER_TYPES, 4)
        assert batches is not None
        got = list(batches)
        assert [b.n for b in got] == [4, 2] and all(t is not None for b in got for t in b.texts)
        assert all(b.values("email") is not None for b in got)
        _, seen = _read(ctx, 100)
    assert seen == [(True, [1, 2, 3, 4, 5])]  # operator, two resellers, two customers: external_id NULL


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_postgresql_and_the_switch_read_through_the_driver(ctx_for: Any, backend: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.store.imports import stored_columns

    with ctx_for() as ctx:
        assert stored_columns.scan(ctx, "tenant", COLUMNS, TYPES, 10) is None


def test_the_switch_reads_through_the_driver(ctx_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.store.imports import stored_columns

    monkeypatch.setattr(stored_columns, "NATIVE", False)
    with ctx_for() as ctx:
        assert stored_columns.scan(ctx, "tenant", COLUMNS, TYPES, 10) is None


def test_an_integer_column_holding_a_text_is_no_null(ctx_for: Any) -> None:
    """SQLite keeps a text in an INTEGER column: the driver's frame refuses it, and so does the
    split (never a null in its place)."""
    import polars as pl
    from sqlalchemy import text

    from tenantctl.store.imports import stored_columns

    with ctx_for() as ctx:
        ctx.session.execute(text("CREATE TEMP TABLE numbers (id INTEGER PRIMARY KEY, n INTEGER)"))
        ctx.session.execute(text("INSERT INTO numbers (id, n) VALUES (1, 7), (2, 'seven')"))
        batches = stored_columns.scan(ctx, "numbers", ("id", "n"), {"id": "Int64", "n": "Int64"}, 10)
        assert batches is not None
        batch = next(batches)
        assert batch.texts == ["1\x1f2", "7\x1fseven"]
        with pytest.raises(pl.exceptions.ComputeError):
            batch.frame()
        ctx.session.rollback()


@pytest.mark.parametrize("columns", [True, False])
def test_stored_texts_holding_the_separator_are_read_as_the_in_lists_read_them(
        world: Any, ctx_for: Any, monkeypatch: pytest.MonkeyPatch, columns: bool) -> None:
    """An address and a name holding the separator (written past the rules): their batches go
    through the driver, and the scan reads what the IN-lists read, for a list and a column of
    e-mails alike."""
    import polars as pl
    from sqlalchemy import text

    from tenantctl.store.imports import compare_users

    emails = ["max@mueller.example", "odd\x1f@mueller.example", "mia@mueller.example", "otto@other.example"]
    given: Any = pl.Series("email", emails, dtype=pl.String) if columns else emails
    with ctx_for() as ctx:
        ctx.session.execute(text("UPDATE user_account SET email = 'odd' || char(31) || '@mueller.example' "
                                 "WHERE email = 'ops@example.com'"))
        ctx.session.execute(text("UPDATE user_account SET first_name = 'M' || char(31) || 'ia' "
                                 "WHERE email = 'mia@mueller.example'"))
        listed = compare_users.load_stored(ctx, given)
        monkeypatch.setattr(compare_users, "BULK_LOAD", 0)
        monkeypatch.setattr(compare_users, "KEEP_ROWS", 2)
        rows: list[int] = []
        real = compare_users.stored_columns.Batch.rows
        monkeypatch.setattr(compare_users.stored_columns.Batch, "rows",
                            lambda self: (rows.append(self.n), real(self))[1])
        scanned = compare_users.load_stored(ctx, given)
        ctx.session.rollback()
    assert listed is not None and scanned is not None
    assert sorted(scanned.users["first_name"].to_list()) == sorted(["Max", "M\x1fia", "Olga", "Otto"])
    assert scanned.users.sort("id").equals(listed.users.sort("id"))
    assert scanned.memberships.sort("id").equals(listed.memberships.sort("id"))
    assert rows == [2, 2]  # ids 1-2 (the odd address) and 5-6 (the odd name) through the driver


def test_a_big_first_import_read_as_rows_loads_no_polars(world: Any, db_url: str) -> None:
    """A file read as rows that names none of the stored people: the scan checks the e-mails in
    Python and never loads polars (a refused 100,000-row workbook's memory bound); one that names a
    stored person does."""
    import subprocess
    import sys

    script = ("import sys\n"
              "from tenantctl.store.context import Ctx\n"
              "from tenantctl.store.db import Store\n"
              "from tenantctl.store.imports import compare_users\n"
              "compare_users.BULK_LOAD, compare_users.KEEP_ROWS = 0, 2\n"
              "with Store(sys.argv[1]).transaction() as session:\n"
              "    found = compare_users.load_stored(Ctx(session, None, None), sys.argv[2:])\n"
              "print(found is not None, 'polars' in sys.modules)\n")

    def run(*emails: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", script, db_url, *emails], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert run("nobody@else.example", "neu@kunde.example") == ["False", "False"]
    assert run("nobody@else.example", "otto@other.example") == ["True", "True"]
