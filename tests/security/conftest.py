"""The attacker's world of issue 9: an operator, two resellers with customers and admins, a member
and a billing user, and an agency person who works in customers of both resellers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fingerprint import fingerprint

from tests.imports.conftest import counts  # noqa: F401 (a fixture the import-related tests share)


@pytest.fixture
def attack_world(world: dict[str, str], ctx_for: Callable[..., Any]) -> dict[str, str]:
    from tenantctl.store.services import memberships, tenants, users

    with ctx_for() as ctx:
        users.create_user(ctx, "mueller", "Bianca", "Billing", "bianca@mueller.example", role="billing")
        users.create_user(ctx, "mueller", "Anna", "Agentur", "anna@agentur.example", role="admin")
        memberships.add_member(ctx, "anna.agentur", "other", "admin")  # works for both resellers' customers
        tenants.create_tenant(ctx, "Solo Werkstatt GmbH", "customer", key="solo")  # connected to nobody
        users.create_user(ctx, "solo", "Sam", "Solo", "sam@solo.example", role="admin")
    return {**world, "billing": "bianca.billing", "agency": "anna.agentur", "solo_admin": "sam.solo"}


@pytest.fixture
def unchanged(store: Any) -> Callable[[], Any]:
    """snap = unchanged(); …refused command…; snap() asserts that no table changed."""

    def take() -> Callable[[], None]:
        before = fingerprint(store)

        def check() -> None:
            after = fingerprint(store)
            assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}

        return check

    return take


@pytest.fixture
def links_of(store: Any) -> Callable[[str], list[Any]]:
    from sqlmodel import select

    from tenantctl.store.models import PasswordLink, User

    def read(login: str) -> list[Any]:
        with store.transaction(write=False) as s:
            return list(s.exec(select(PasswordLink).join(User, User.id == PasswordLink.user_id)
                               .where(User.login == login)).all())

    return read
