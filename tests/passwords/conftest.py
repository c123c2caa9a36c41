"""Fixtures for password tests: a cheap argon2 hasher (the work factor is tested once, separately)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_hasher: None) -> None:
    """Every test here hashes with tests/conftest.py's fast_hasher."""


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "outbox"
