"""Test seam of the compare-and-set writes (tests/passwords/test_race.py): called between a
write's checks and its UPDATE, so that a test can let two transactions pass their checks before
either writes. None outside the tests."""

from __future__ import annotations

from collections.abc import Callable

before_write: Callable[[str], None] | None = None


def reached(where: str) -> None:
    if before_write is not None:
        before_write(where)
