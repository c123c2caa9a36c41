"""Sample data per template: used by `tenantctl mail preview` and by the test that renders every
template in every language. Add one entry per template you add (the test fails for a template
without an entry). Values are what the mail's context holds at delivery (after minting)."""

from __future__ import annotations

from typing import Any

COMMON: dict[str, Any] = {
    "recipient_name": "Max Müller",
    "tenant_name": "Müller & Söhne GmbH",
    "reseller_name": "ACME Reseller AG",
    "platform_name": "Plattform",
    "sender": "Plattform im Auftrag von ACME Reseller AG",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "password_link_initial": {
        **COMMON, "login": "max.mueller",
        "link": "https://platform.example/password/set?token=42.SAMPLE-TOKEN",
        "expires_at": "2025-03-14 10:00 UTC",
    },
    "password_link_reset": {
        **COMMON, "login": "max.mueller",
        "link": "https://platform.example/password/set?token=42.SAMPLE-TOKEN",
        "expires_at": "2025-03-08 10:00 UTC",
    },
    "test": {"platform_name": "Plattform", "sender": "Plattform", "sent_at": "2025-03-07 10:00 UTC"},
}


def sample(template: str) -> dict[str, Any]:
    return dict(SAMPLES.get(template, COMMON))
