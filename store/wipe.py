"""Deleted personal data must not linger in the store's files. SQLite keeps deleted rows in free
pages and old page images in its WAL until they are reused: an erasure or prune turns on
`secure_delete` (freed content is overwritten with zeros) and, once committed, checkpoints the WAL
into the database file and truncates it. PostgreSQL keeps dead row versions until VACUUM
(autovacuum by default; docs/privacy.md)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import text


def zero_freed_content(session: Any) -> None:
    """In the current transaction: overwrite what is deleted from now on (SQLite only)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def checkpoint(store: Any) -> None:
    """After the commit: old page images leave the SQLite WAL (no-op elsewhere). On the command's
    (or request's) own connection; while another connection of the process is busy SQLite refuses
    ("locked"), and SQLite's next automatic checkpoint does it."""
    if not store.is_sqlite:
        return
    from sqlalchemy.exc import OperationalError

    with store.connect() as conn, suppress(OperationalError):
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
