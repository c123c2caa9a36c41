"""One date format per language, in the recipient's time zone: the one the page's service chose
(store/services/mail_identity.py person_zone: the person's own, else their tenant's), else the
platform's setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def format_time(when: datetime, language: str, settings: Any, zone: str | None = None) -> str:
    from tenantctl.mail_templates.dates import format_datetime

    return format_datetime(when, language, zone or str(getattr(settings, "time_zone", None) or "Europe/Berlin"))
