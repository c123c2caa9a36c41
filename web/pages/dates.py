"""One date format per language, in the recipient's time zone (setting time_zone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def format_time(when: datetime, language: str, settings: Any) -> str:
    from mail_templates.dates import format_datetime

    return format_datetime(when, language, str(getattr(settings, "time_zone", None) or "Europe/Berlin"))
