"""Clear errors instead of "internal error, this is a bug" (exit 1): each with its one line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, basic_workbook, write_csv

BIG = "99999999999999999999"  # beyond 64 bits


def _one_line(r: Any) -> str:
    assert r.stderr.count("\n") == 1, r.stderr
    assert "internal error" not in r.stderr
    return str(r.stderr)


def test_numbers_beyond_64_bits(world: Any, cli: Any) -> None:
    for args in (("tenant", "list", "--limit", BIG), ("tenant", "list", "--offset", BIG),
                 ("connection", "show", BIG), ("invite", "show", BIG), ("mail", "show", BIG),
                 ("import", "show", BIG), ("import", "undo", BIG, "--yes")):
        r = cli(*args)
        assert r.exit_code == 2, (args, r.stderr)
        assert "less than or equal to 9223372036854775807" in _one_line(r)
    r = cli("connection", "show", "9223372036854775807")  # the largest is fine: not found
    assert r.exit_code == 8


def test_huge_lifetimes(world: Any, cli: Any) -> None:
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", "--expires-in", "99999999999d")
    assert r.exit_code == 4 and "is longer than the maximum of 30 days" in _one_line(r)
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", "--expires-in", "-99999999999d")
    assert r.exit_code == 4 and "must be more than zero" in _one_line(r)
    r = cli("audit", "list", "--since", "99999999999d")
    assert r.exit_code == 4 and "reaches back before the year 1" in _one_line(r)


@pytest.mark.parametrize(("url", "reason"), [
    ("postgresql://app:s3cret@db.example:notaport/x", "invalid literal for int()"),
    (":::", "Could not parse SQLAlchemy URL"),
    ("no-scheme-at-all", "Could not parse SQLAlchemy URL"),
])
def test_malformed_db_urls(cli: Any, url: str, reason: str) -> None:
    r = cli("--db", url, "tenant", "list")
    assert r.exit_code == 4
    line = _one_line(r)
    assert "is malformed" in line and reason in line and "sqlite:///PATH" in line
    assert "s3cret" not in line


def test_unreadable_home(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    assert cli("init").exit_code == 0
    real_exists = Path.exists

    def exists(self: Path, *a: Any, **kw: Any) -> bool:
        if self.parent == home:  # what stat() says in a folder the user may not read (root may read all)
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *a, **kw)

    monkeypatch.setattr(Path, "exists", exists)
    r = cli("tenant", "list")
    assert r.exit_code == 7
    line = _one_line(r)
    assert f"cannot open the store folder {home}: Permission denied" in line and f"chmod 700 {home}" in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every folder")
def test_really_unreadable_home(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli("init").exit_code == 0
    home.chmod(0)
    try:
        r = cli("tenant", "list")
    finally:
        home.chmod(0o700)
    assert r.exit_code == 7 and "Permission denied" in _one_line(r)


def test_store_from_a_newer_schema(world: Any, cli: Any, store: Any) -> None:
    with sqlite3.connect(store.engine.url.database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zz_9999_from_the_future'")
    for args in (("tenant", "list"), ("db", "upgrade"), ("init",)):
        r = cli(*args)
        assert r.exit_code == 10, (args, r.stderr)
        line = _one_line(r)
        assert "has a newer schema (zz_9999_from_the_future) than this tenantctl knows" in line
        assert "db upgrade" not in line and "run tenantctl init" not in line
    status = cli("db", "status", "--json").data
    assert status["state"] == "newer"


def test_write_lock_held_too_long_is_busy_and_reads_do_not_queue(world: Any, cli: Any, store: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.store import db

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    other = sqlite3.connect(store.engine.url.database, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another command writing, for longer than the busy timeout
    other.execute("UPDATE tenant SET name = name WHERE key = 'acme'")
    try:
        # a read that took (or waited for) the write lock would fail after 300 ms with exit 7
        r = cli("tenant", "list", "--json")
        assert r.exit_code == 0 and {t["key"] for t in r.data} >= {"acme", "mueller"}
        r = cli("tenant", "show", "acme", "--json")
        assert r.exit_code == 0
        r = cli("tenant", "create", "Neu GmbH", "--kind", "reseller")
        assert r.exit_code == 7
        line = _one_line(r)
        assert "the store is busy: another command has held its write lock for more than 0.3 s" in line
        assert "schema" not in line and "init" not in line
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert cli("tenant", "create", "Neu GmbH", "--kind", "reseller").exit_code == 0


def test_read_transactions_do_not_begin_immediate(world: Any, store: Any) -> None:
    from sqlalchemy import event

    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    store.current_revisions()
    with store.transaction(write=False) as s:
        s.connection()  # begins
    assert "BEGIN IMMEDIATE" not in seen and "BEGIN" in seen
    with store.transaction(write=True) as s:
        s.connection()
    assert seen[-1] == "BEGIN IMMEDIATE"


def test_import_undo_names_later_records(world: Any, cli: Any, ok: Any, store: Any, tmp_path: Path) -> None:
    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))["run"]
    inv = ok("invite", "create", "--kind", "member", "--tenant", "baeckerei-weiss-kg", "--email",
             "neu@weiss.example", "--role", "member")
    r = cli("import", "undo", str(run), "--yes")
    assert r.exit_code == 5
    msg = " ".join(r.stderr.split())
    assert f"invitation {inv['id']} (made after the import; refers to tenant baeckerei-weiss-kg)" in msg
    assert "internal error" not in msg and "FOREIGN KEY" not in msg
    ok("invite", "revoke", str(inv["id"]))
    r = cli("import", "undo", str(run), "--yes")
    assert r.exit_code == 5  # a revoked invitation still refers to the tenant: still named
    assert f"invitation {inv['id']}" in r.stderr


@pytest.mark.postgres
def test_overlapping_imports_on_postgres(backend: str, world: Any, db_url: str, tmp_path: Path) -> None:
    if backend != "postgres":
        pytest.skip("the overlap is a PostgreSQL case (SQLite serialises writers with BEGIN IMMEDIATE)")
    rows = [USER_HEADER] + [[f"Vor{i}", f"Nach{i}", f"user{i}@mueller.example", "mueller", "member"]
                            for i in range(20_000)]
    path = write_csv(tmp_path / "viele.csv", rows)
    env = {**os.environ, "TENANTCTL_DATABASE_URL": db_url}
    procs = [subprocess.Popen([sys.executable, "-m", "tenantctl.cli", "import", "run", str(path)],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs if p.stderr]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    err = next(text for code, text in results if code == 5)
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "internal error" not in err and "Traceback" not in err
    assert "another import is running" in last or "changed the same data" in last


@pytest.mark.postgres
def test_import_while_another_holds_the_import_lock(backend: str, world: Any, cli: Any, db_url: str,
                                                    tmp_path: Path, counts: Any) -> None:
    if backend != "postgres":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    import psycopg

    before = counts()
    path = basic_workbook(tmp_path / "a.xlsx")
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("SELECT pg_advisory_xact_lock(hashtext('tenantctl import'))")  # an import is writing
        r = cli("import", "run", str(path))
        assert r.exit_code == 5
        assert _one_line(r) == ("error: another import is running on this store; this one changed nothing "
                                "(run it again once the other import has finished)\n")
        # a dry run is the real run rolled back: it waits for no other import either, and says the same
        dry = cli("import", "run", str(path), "--dry-run", "--json")
        assert dry.exit_code == 5 and dry.json()["error"]["code"] == "conflict"
    assert counts() == before
    assert cli("import", "run", str(path)).exit_code == 0
