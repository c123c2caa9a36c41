"""The one date format per language, used by the mails, `mail preview` and the pages: a moment is
shown in the recipient's time zone (their own or their tenant's, else the setting time_zone, default
Europe/Berlin) with its zone's abbreviation. Accepts datetimes and ISO 8601 text (what the outbox stores)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Berlin"
GERMAN_ZONES = {"CET": "MEZ", "CEST": "MESZ"}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def format_datetime(when: datetime | str, language: str, zone_name: str | None = None) -> str:
    """de: `07.12.2026 um 18:33 Uhr (MEZ)`; en: `7 December 2026 at 18:33 (CET)`."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(zone(zone_name))
    abbr = local.tzname() or ""
    if language == "de":
        abbr = GERMAN_ZONES.get(abbr, abbr)
        return f"{local:%d.%m.%Y} um {local:%H:%M} Uhr ({abbr})"
    return f"{local.day} {MONTHS_EN[local.month - 1]} {local.year} at {local:%H:%M} ({abbr})"
