"""Fixtures for password tests: a cheap argon2 hasher (the work factor is tested once, separately)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[None]:
    from argon2 import PasswordHasher, Type

    from tenantctl.store import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    yield
    passwords.use_hasher(None)


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "outbox"
