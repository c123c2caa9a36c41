"""The compare reads the stored users, memberships, tenants and connections in the import's own
transaction, so the plan is computed from the state its writes go against: the transaction's own
uncommitted writes and a dry run's savepoint; on PostgreSQL (READ COMMITTED) a write another
connection committed before the read, as a SELECT of the transaction sees it; on SQLite the import
keeps its write lock while it reads (a second copy of SQLite in the process, as ADBC's and
connectorx's SQLite readers link, would release it: docs/import.md, "Reading the stored rows into
columns").
Each test reads through IN-lists (a small file), a scan through the driver and one into columns
(a big file)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

EMAILS = ["max@mueller.example", "mia@mueller.example", "otto@other.example", "neu@mueller.example",
          "spaet@mueller.example", "nobody@else.example", None]


def _scanning(monkeypatch: pytest.MonkeyPatch, scan: str) -> None:
    """"in": IN-lists (a small file); "driver": the whole tables through the driver, a row a batch;
    "native": the whole tables into columns on SQLite (stored_columns), two rows a batch."""
    from tenantctl.store.imports import compare_users, stored_columns

    if scan != "in":
        monkeypatch.setattr(compare_users, "BULK_LOAD", 0)
        monkeypatch.setattr(compare_users, "SCAN_BATCH", 1)
        monkeypatch.setattr(compare_users, "KEEP_ROWS", 2)
    monkeypatch.setattr(stored_columns, "NATIVE", scan == "native")


def _seen(ctx: Any, table: str, columns: tuple[str, ...], where: str = "") -> list[tuple[Any, ...]]:
    """What a SELECT of the transaction itself sees, sorted."""
    from sqlalchemy import text

    cols = ", ".join(f'"{c}"' for c in columns)
    return sorted(tuple(r) for r in ctx.session.execute(text(f"SELECT {cols} FROM {table} {where}")))


def _frame_rows(frame: Any) -> list[tuple[Any, ...]]:
    return sorted(frame.iter_rows())


def _stored_users(ctx: Any, given: list[str | None]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """load_stored's users and memberships, each checked against the transaction's own SELECT."""
    import polars as pl

    from tenantctl.store.imports.compare_users import MEMBERSHIP_COLUMNS, USER_COLUMNS, load_stored

    wanted = ", ".join(f"'{e}'" for e in given if e is not None)
    users = _seen(ctx, "user_account", USER_COLUMNS, f"WHERE email IN ({wanted})")
    ids = ", ".join(str(u[0]) for u in users)
    memberships = _seen(ctx, "membership", MEMBERSHIP_COLUMNS, f"WHERE user_id IN ({ids})")
    for emails in (given, pl.Series("email", given, dtype=pl.String)):  # a row-wise and a columnar reader's
        stored = load_stored(ctx, emails)
        assert stored is not None
        assert _frame_rows(stored.users) == users
        assert _frame_rows(stored.memberships) == memberships
    return users, memberships


@pytest.mark.parametrize("scan", ["in", "driver", "native"])
def test_the_compare_reads_the_transaction_s_own_writes(world: Any, ctx_for: Any, store: Any, backend: str,
                                                        monkeypatch: pytest.MonkeyPatch, scan: str) -> None:
    """Written in the import's transaction before the plan, not committed (a dry run's savepoint
    among them): the compare reads it; a second connection would not."""
    from sqlalchemy import text

    from tenantctl.store.imports import compare_tenants
    from tenantctl.store.imports.compare_tenants import CONNECTION_COLUMNS, TENANT_COLUMNS
    from tenantctl.store.imports.snapshot import Snapshot
    from tenantctl.store.services import tenants, users

    _scanning(monkeypatch, scan)
    with ctx_for() as ctx:
        users.create_user(ctx, "mueller", "Neu", "Person", "neu@mueller.example", role="member")
        ctx.session.execute(text("UPDATE user_account SET first_name = 'Maximilian' "
                                 "WHERE email = 'max@mueller.example'"))
        ctx.session.execute(text("UPDATE membership SET role = 'member' WHERE user_id = "
                                 "(SELECT id FROM user_account WHERE email = 'otto@other.example')"))
        ctx.session.execute(text("DELETE FROM membership WHERE user_id = "
                                 "(SELECT id FROM user_account WHERE email = 'mia@mueller.example')"))
        savepoint = ctx.session.begin_nested()  # a dry run is the real run in a savepoint
        users.create_user(ctx, "mueller", "Spät", "Person", "spaet@mueller.example", role="admin")
        tenants.create_tenant(ctx, "Neu GmbH", "customer", reseller="acme", key="neu-gmbh", customer_number="20001")
        ctx.session.flush()
        found, memberships = _stored_users(ctx, EMAILS)
        stored_tenants, conns = compare_tenants.load_stored(ctx, Snapshot(ctx))
        assert _frame_rows(stored_tenants) == _seen(ctx, "tenant", TENANT_COLUMNS)
        assert _frame_rows(conns) == _seen(ctx, "connection", CONNECTION_COLUMNS[:-1], "WHERE state != 'rejected'")
        committed = _committed_emails(store)
        savepoint.rollback()
    assert {u[2]: u[4] for u in found} == {"max@mueller.example": "Maximilian", "mia@mueller.example": "Mia",
                                          "otto@other.example": "Otto", "neu@mueller.example": "Neu",
                                          "spaet@mueller.example": "Spät"}
    roles = {(u[2], m[3]) for u in found for m in memberships if m[1] == u[0]}
    assert roles == {("max@mueller.example", "admin"), ("otto@other.example", "member"),
                     ("neu@mueller.example", "member"), ("spaet@mueller.example", "admin")}
    assert "neu-gmbh" in stored_tenants["key"].to_list() and "20001" in conns["customer_number"].to_list()
    assert {"max@mueller.example", "mia@mueller.example"} <= committed  # the reader sees the store
    assert not {"neu@mueller.example", "spaet@mueller.example"} & committed  # but not the transaction's writes


def _committed_emails(store: Any) -> set[str]:
    """The e-mails a connection of its own reads while the import's transaction is open: the committed
    state (a reading transaction: SQLite's write lock is the import's)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        conn.info["write"] = False
        return {r[0] for r in conn.execute(text("SELECT email FROM user_account"))}


@pytest.mark.parametrize("scan", ["in", "driver", "native"])
@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_write_committed_before_the_read_is_read(world: Any, ctx_for: Any, backend: str,
                                                   monkeypatch: pytest.MonkeyPatch, scan: str) -> None:
    """PostgreSQL, READ COMMITTED: another connection commits a person and a tenant while the import's
    transaction runs, after its first read; the compare reads them, as every later statement of the
    transaction (its writes) sees them. A snapshot taken when the transaction began would not."""
    from tenantctl.store.imports import compare_tenants
    from tenantctl.store.imports.compare_tenants import TENANT_COLUMNS
    from tenantctl.store.imports.snapshot import Snapshot
    from tenantctl.store.services import tenants, users

    _scanning(monkeypatch, scan)
    with ctx_for() as ctx:
        before, _ = _stored_users(ctx, EMAILS)
        assert "neu@mueller.example" not in {u[2] for u in before}
        compare_tenants.load_stored(ctx, Snapshot(ctx))
        with ctx_for() as other:  # committed while the import's transaction is open
            users.create_user(other, "mueller", "Neu", "Person", "neu@mueller.example", role="member")
            tenants.create_tenant(other, "Neu GmbH", "customer", reseller="acme", key="neu-gmbh")
        after, memberships = _stored_users(ctx, EMAILS)
        stored_tenants, _ = compare_tenants.load_stored(ctx, Snapshot(ctx))
        assert _frame_rows(stored_tenants) == _seen(ctx, "tenant", TENANT_COLUMNS)
    assert "neu@mueller.example" in {u[2] for u in after}
    assert any(m[1] == next(u[0] for u in after if u[2] == "neu@mueller.example") for m in memberships)
    assert "neu-gmbh" in stored_tenants["key"].to_list()


def _lock_taken_by_another_process(path: str) -> bool:
    """Whether another process gets SQLite's write lock at once (BEGIN IMMEDIATE, no waiting)."""
    probe = ("import sqlite3, sys\n"
             "db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
             "try:\n    db.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError:\n    sys.exit(3)\n"
             "db.execute('ROLLBACK')\n")
    code = subprocess.run([sys.executable, "-c", probe, path], capture_output=True, timeout=60).returncode
    assert code in (0, 3), code
    return code == 0


@pytest.mark.parametrize("scan", ["in", "driver", "native"])
def test_sqlite_keeps_the_write_lock_while_the_plan_reads_the_store(world: Any, ctx_for: Any, db_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    scan: str) -> None:
    """The import's transaction takes SQLite's write lock at BEGIN (IMMEDIATE) and holds it until it
    ends: planning a re-run (every read of the store the plan makes, the compare's in columns) leaves
    it held, so no other process writes between the plan and the writes."""
    from tenantctl.store.db import sqlite_path
    from tenantctl.store.imports import planning
    from tenantctl.store.imports.plan import Options
    from tests.imports.test_columnar_planner import STORED, _as_columns, _source

    path = str(sqlite_path(db_url))
    _scanning(monkeypatch, scan)
    rows = [(*s, None, None) for s in STORED]
    tenants = [("mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "EUR")]
    assert _lock_taken_by_another_process(path)  # the probe can take it when no transaction holds it
    for source in (_source(rows, tenants), _as_columns(_source(rows, tenants))):
        with ctx_for() as ctx:  # the transaction begins with the plan's first statement
            plan = planning.build_plan(ctx, source, Options(mode="upsert"))
            assert [r.action for r in plan.rows] == ["unchanged"] * 4  # the compare ran: nothing to write
            assert not _lock_taken_by_another_process(path)
