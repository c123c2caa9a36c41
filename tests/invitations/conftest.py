"""Helpers for the invitation, connection and approval-chain tests: read the store directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def rows(store: Any) -> Callable[..., list[Any]]:
    """rows(Model, **equals) -> committed rows ordered by id (a fresh transaction each call)."""
    from sqlmodel import col, select

    def read(model: Any, **equals: Any) -> list[Any]:
        with store.transaction(write=False) as s:
            stmt = select(model).order_by(col(model.id))
            for name, value in equals.items():
                stmt = stmt.where(getattr(model, name) == value)
            return list(s.exec(stmt).all())

    return read


@pytest.fixture
def mails(rows: Callable[..., list[Any]]) -> Callable[..., list[tuple[str, str, str]]]:
    """The outbox as (template, recipient, language), optionally only some templates."""
    from tenantctl.store.models import OutboxMail

    def read(*templates: str) -> list[tuple[str, str, str]]:
        return [(m.template, m.to_address, m.language) for m in rows(OutboxMail)
                if not templates or m.template in templates]

    return read


@pytest.fixture
def actions(rows: Callable[..., list[Any]]) -> Callable[..., list[tuple[str, str]]]:
    """Audit events as (action, actor), optionally filtered by action prefix."""
    from tenantctl.store.models import AuditEvent

    def read(prefix: str = "") -> list[tuple[str, str]]:
        return [(e.action, e.actor) for e in rows(AuditEvent) if e.action.startswith(prefix)]

    return read


@pytest.fixture
def partner_link(ok: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """A printed partner invitation from acme (as rita.reseller, unless told otherwise)."""

    def make(*extra: str, origin: str = "acme", as_: str = "rita.reseller") -> dict[str, Any]:
        return ok("invite", "create", "--kind", "partner", "--from", origin, *extra, as_=as_)  # type: ignore[no-any-return]

    return make
