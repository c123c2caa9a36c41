"""Use cases. Each takes the session of the command's transaction and the acting Actor, applies
the rules and the scope, writes an audit event, and only adds and flushes (the CLI commits)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from tenantctl.store.nfc import nfc
from tenantctl.store.nfc import nfc_deep as nfc_deep  # re-exported for the web face (web/api/nfc.py)

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int | None
    offset: int


def paginate(session: Session, stmt: Any, limit: int | None, offset: int) -> tuple[list[Any], int]:
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all()), int(total)


def like(text: str) -> str:
    """A case-insensitive LIKE pattern for a search term (wildcards in the term are literal)."""
    escaped = nfc(text.strip()).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@contextmanager
def savepoint(session: Session, *, rollback: bool) -> Iterator[None]:
    """Run the block for real in a savepoint; `rollback` (a dry run) undoes it at the end, so that
    a plan counts exactly what the real run writes."""
    nested = session.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        raise
    if rollback:
        nested.rollback()
        session.expire_all()
    else:
        nested.commit()
