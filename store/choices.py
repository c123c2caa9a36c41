"""Checking a value against one of the store's enums (shared by every service)."""

from __future__ import annotations

from typing import Any

from tenantctl.store.errors import InvalidInput


def check_choice(value: str | None, enum: Any, field: str) -> str | None:
    if value is None:
        return None
    if value not in {e.value for e in enum}:
        choices = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{field} {value!r} is not one of {choices}", hint=f"use one of {choices}")
    return str(value)
