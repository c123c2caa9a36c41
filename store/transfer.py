"""Moving a whole store: `db copy` (SQLite → PostgreSQL and back) and `db backup` (an online copy
of a SQLite store).

`copy_store` reads the source in one read transaction (a consistent snapshot; it writes nothing
there) and writes the target in one transaction: every table in foreign-key order with its ids,
then on PostgreSQL each id sequence set past the copied ids, then a row count and a checksum per
table on both sides. Only when all of them agree is the target committed, so a copy is whole or
absent. The target must be empty (its schema is created or must be current)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import Session, SQLModel

from tenantctl.store.db import Store, sqlite_path
from tenantctl.store.errors import Conflict, InvalidInput, UsageError

BATCH = 1000


def tables() -> list[Table]:
    import tenantctl.store.models  # noqa: F401  (registers every table in the metadata)

    return list(SQLModel.metadata.sorted_tables)


def _plain(value: Any) -> Any:
    """One spelling per value on both backends (aware UTC datetimes, JSON with sorted keys)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def fingerprint(session: Session, table: Table) -> dict[str, Any]:
    """Row count and SHA-256 over every row in primary-key order."""
    digest, rows = hashlib.sha256(), 0
    for row in session.execute(select(table).order_by(*table.primary_key.columns)):
        digest.update(json.dumps([_plain(v) for v in row], default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
        rows += 1
    return {"rows": rows, "checksum": digest.hexdigest()}


def _copy_rows(src: Session, dst: Session, table: Table) -> None:
    result = src.execute(select(table).order_by(*table.primary_key.columns)).mappings()
    while chunk := result.fetchmany(BATCH):
        dst.execute(insert(table), [dict(r) for r in chunk])


def _reset_sequences(dst: Session, copied: list[Table]) -> None:
    """PostgreSQL hands out ids from a sequence that knew nothing of the copied rows."""
    for table in copied:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].name != "id" or not pk[0].autoincrement:
            continue
        dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                         f"COALESCE((SELECT MAX(id) FROM {table.name}), 1), "
                         f"(SELECT MAX(id) FROM {table.name}) IS NOT NULL)"))


def copy_store(source: Store, target_url: str) -> dict[str, Any]:
    from tenantctl.store import migrate

    source.require_current_schema()
    target = Store(target_url, create=True)
    try:
        if target.url == source.url:
            raise UsageError("the target is the source store", hint="name another database with --to")
        current = target.current_revisions()
        if not current:
            migrate.upgrade(target)
        else:
            target.require_current_schema()
        every = tables()
        with source.transaction(write=False) as src, target.transaction() as dst:
            if not source.is_sqlite:  # one snapshot for every table read
                src.connection().exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            filled = [t.name for t in every if dst.execute(select(func.count()).select_from(t)).scalar()]
            if filled:
                raise Conflict(f"the target store {target.safe_url} is not empty ({', '.join(filled)} hold rows); "
                               "nothing was copied",
                               hint="copy into a new, empty database (db copy creates the schema itself)")
            for table in every:
                _copy_rows(src, dst, table)
            if not target.is_sqlite:
                _reset_sequences(dst, every)
            report: dict[str, dict[str, Any]] = {}
            for table in every:
                before, after = fingerprint(src, table), fingerprint(dst, table)
                if before != after:
                    raise InvalidInput(f"table {table.name} differs after the copy ({before['rows']} rows in the "
                                       f"source, {after['rows']} in the target, or their checksums); nothing was "
                                       "copied", hint="a tenantctl bug: report it with both stores' db status")
                report[table.name] = before
    finally:
        target.dispose()
    return {"source": source.safe_url, "target": target.safe_url, "tables": report,
            "rows": sum(t["rows"] for t in report.values()), "verified": True}


def backup_sqlite(store: Store, dest: Path) -> dict[str, Any]:
    """A consistent copy of a live SQLite store (the SQLite backup API: writers may go on), 0600,
    checked with PRAGMA integrity_check. Never overwrites a file."""
    from tenantctl.store.files import create_private

    path = sqlite_path(store.url)
    if path is None:
        raise UsageError("db backup copies a SQLite store; this store is PostgreSQL",
                         hint="back up PostgreSQL with pg_dump (docs/operations.md)")
    store.require_current_schema()
    dest = dest.expanduser().absolute()
    if dest.exists():
        raise Conflict(f"{dest} exists; a backup never overwrites a file", hint="name a new file")
    if not dest.parent.is_dir():
        raise InvalidInput(f"the folder {dest.parent} does not exist", hint="create it first or name another file")
    create_private(dest)
    try:
        with sqlite3.connect(path) as src, sqlite3.connect(dest) as dst:
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            counts = {t.name: dst.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in tables()}
        src.close()
        dst.close()
        if check != "ok":
            raise InvalidInput(f"the backup failed its integrity check: {check}", hint="run it again")
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return {"store": store.safe_url, "file": str(dest), "bytes": dest.stat().st_size, "tables": counts}
