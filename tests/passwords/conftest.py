"""Fixtures for password tests: a cheap argon2 hasher (the work factor is tested once, separately)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "mail"))  # mailhelpers


@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[None]:
    from argon2 import PasswordHasher, Type

    from store import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    yield
    passwords.use_hasher(None)


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "outbox"
