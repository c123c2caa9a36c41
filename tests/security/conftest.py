"""Fixtures shared with the import tests."""

from tests.imports.conftest import counts  # noqa: F401 (a fixture)
