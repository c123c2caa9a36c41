"""A fingerprint of every table of a store: row count and a hash of all rows, to prove that a
refused command wrote nothing (not even an audit event)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select


def fingerprint(db: Any) -> dict[str, tuple[int, str]]:
    from sqlmodel import SQLModel

    from tenantctl.store import models  # noqa: F401  (registers every table)

    out: dict[str, tuple[int, str]] = {}
    with db.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
            out[table.name] = (len(rows), digest)
    return out
