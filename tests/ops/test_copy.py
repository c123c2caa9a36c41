"""tenantctl db copy (SQLite → PostgreSQL → SQLite, every table, id and audit entry, checked) and
tenantctl db backup (a consistent SQLite copy)."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("TENANTCTL_TEST_DATABASE_URL")


def fingerprints(url: str) -> dict[str, Any]:
    from tenantctl.store.db import Store
    from tenantctl.store.transfer import fingerprint, tables

    store = Store(url)
    try:
        with store.transaction(write=False) as s:
            return {t.name: fingerprint(s, t) for t in tables()}
    finally:
        store.dispose()


@pytest.fixture
def empty_pg() -> Iterator[str]:
    """A new PostgreSQL database without any schema."""
    if not PG_URL:
        pytest.skip("TENANTCTL_TEST_DATABASE_URL is not set (CI's .ci/run sets it to the local PostgreSQL)")
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"tenantctl_copy_{uuid.uuid4().hex[:10]}"
    admin = make_url(PG_URL).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fill(ok: Any) -> None:
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    ok("invite", "create", "--kind", "member", "--tenant", "acme", "--email", "new@acme.example", "--role", "member")
    ok("tenant", "suspend", "other", "--yes")


@pytest.mark.postgres
def test_round_trip_sqlite_postgresql_sqlite_keeps_every_row(world, ok, cli, db_url, empty_pg, tmp_path):
    _fill(ok)
    before = fingerprints(db_url)
    assert before["audit_event"]["rows"] > 5 and before["outbox_mail"]["rows"] == 2

    there = ok("db", "copy", "--to", empty_pg)
    assert there["verified"] is True and there["tables"] == before
    assert fingerprints(db_url) == before  # the source untouched
    assert fingerprints(empty_pg) == before

    back_url = f"sqlite:///{tmp_path / 'back' / 'tenantctl.db'}"
    back = ok("--db", empty_pg, "db", "copy", "--to", back_url)
    assert back["tables"] == before and fingerprints(back_url) == before

    # PostgreSQL hands out ids past the copied ones (else: a duplicate key on the first insert)
    ok("--db", empty_pg, "tenant", "create", "Neu GmbH", "--kind", "customer")
    ok("--db", empty_pg, "user", "create", "--tenant", "neu-gmbh", "--first-name", "N", "--last-name", "Eu",
       "--email", "n@neu.example")
    assert fingerprints(empty_pg)["tenant"]["rows"] == before["tenant"]["rows"] + 1


@pytest.mark.postgres
def test_a_non_empty_target_is_refused_and_nothing_written(world, ok, cli, db_url, empty_pg):
    ok("db", "copy", "--to", empty_pg)
    ok("--db", empty_pg, "tenant", "create", "Nur Dort GmbH", "--kind", "customer")
    target = fingerprints(empty_pg)
    r = cli("db", "copy", "--to", empty_pg, "--json")
    assert r.exit_code == 5
    error = r.json()["error"]
    assert "is not empty" in error["message"] and "nothing was copied" in error["message"]
    assert "new, empty database" in error["hint"]
    assert fingerprints(empty_pg) == target


def test_copy_to_sqlite_and_refusals(world, ok, cli, db_url, tmp_path):
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    data = ok("db", "copy", "--to", target)
    assert data["tables"] == fingerprints(db_url) == fingerprints(target)
    r = cli("db", "copy", "--to", db_url, "--json")
    assert r.exit_code == 2 and "the target is the source" in r.json()["error"]["message"]
    r = cli("db", "copy", "--to", "nonsense", "--json")
    assert r.exit_code == 4 and "malformed" in r.json()["error"]["message"]
    r = cli("db", "copy", "--to", target, "--json", as_="max.mueller")
    assert r.exit_code == 9


def test_backup_is_a_private_consistent_copy(world, ok, cli, db_url, tmp_path):
    _fill(ok)
    file = tmp_path / "backups" / "monday.db"
    file.parent.mkdir()
    data = ok("db", "backup", str(file))
    assert data["file"] == str(file) and data["bytes"] == file.stat().st_size
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert fingerprints(f"sqlite:///{file}") == fingerprints(db_url)
    assert data["tables"]["audit_event"] == fingerprints(db_url)["audit_event"]["rows"]

    r = cli("db", "backup", str(file), "--json")  # never overwrites
    assert r.exit_code == 5 and "never overwrites" in r.json()["error"]["message"]
    r = cli("db", "backup", str(tmp_path / "no" / "such" / "x.db"), "--json")
    assert r.exit_code == 4 and not (tmp_path / "no").exists()


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backup_of_postgresql_points_at_pg_dump(backend, world, cli, tmp_path: Path):
    r = cli("db", "backup", str(tmp_path / "x.db"), "--json")
    assert r.exit_code == 2 and "pg_dump" in r.json()["error"]["hint"]
    assert not (tmp_path / "x.db").exists()
