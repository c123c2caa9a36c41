"""Sample data per template: used by `tenantctl mail preview` and by the test that renders every
template in every language. Add one entry per template you add (the test fails for a template
without an entry). Values are what the mail's context holds at delivery (after minting)."""

from __future__ import annotations

from typing import Any

COMMON: dict[str, Any] = {
    "recipient_name": "Max Müller",
    "tenant_name": "Müller & Söhne GmbH",
    "reseller_name": "ACME Reseller AG",
    "platform_name": "Partnerportal",
    "sender": "Partnerportal im Auftrag von ACME Reseller AG",
    "reply_to": "service@acme.example",
    "signature": "ACME Kundenservice · Telefon +49 30 1234567 · Mo–Fr 8–18 Uhr",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "password_link_initial": {
        **COMMON, "login": "max.mueller",
        "link": "https://platform.example/password/set?token=42.SAMPLE-TOKEN",
        "expires_at": "2025-03-14T10:00:00Z",
    },
    "password_link_reset": {
        **COMMON, "login": "max.mueller",
        "link": "https://platform.example/password/set?token=42.SAMPLE-TOKEN",
        "expires_at": "2025-03-08T10:00:00Z",
    },
    "test": {"sent_at": "2025-03-07T10:00:00Z"},
}


def sample(template: str) -> dict[str, Any]:
    return dict(SAMPLES.get(template, COMMON))


# -- invitations, registrations, connections (issue 4) -------------------------------------------

_PERSON = {"first_name": "Rita", "last_name": "Reseller"}
_CONNECTION = {**_PERSON, "connection_id": 7, "reseller_name": "ACME Reseller AG", "reseller_key": "acme",
               "customer_name": "Stadt Musterhausen", "customer_key": "stadt-musterhausen",
               "customer_number": "10042", "base_url": "https://platform.example"}
_INVITATION = {"inviter_name": "ACME Reseller AG", "invited_by": "Rita Reseller", "customer_name": "Müller GmbH",
               "role": None, "message": "Wir freuen uns auf die Zusammenarbeit.",
               "expires_at": "2025-03-14T10:00:00Z", "reseller_name": "ACME Reseller AG",
               "sender": "Partnerportal im Auftrag von ACME Reseller AG",
               "invitee_kind": "customer", "link": "https://platform.example/invite/SAMPLE-TOKEN"}
_REGISTRATION = {**_PERSON, "tenant_name": "Stadt Musterhausen", "tenant_key": "stadt-musterhausen",
                 "base_url": "https://platform.example"}

SAMPLES.update({
    "invitation_partner": _INVITATION,
    "invitation_member": {**_INVITATION, "customer_name": None, "invitee_kind": None, "role": "admin"},
    "invitation_accepted": {"first_name": "Rita", "invitation_id": 12, "kind": "partner",
                            "inviter_name": "ACME Reseller AG", "accepted_by_name": "Max Müller",
                            "tenant_name": "Müller GmbH", "customer_name": "Müller GmbH",
                            "base_url": "https://platform.example"},
    "registration_requested": {**_REGISTRATION, "first_name": "Olga", "last_name": "Peters",
                               "tenant_kind": "customer", "invited_by_name": "ACME Reseller AG",
                               "first_user": "Max Müller", "first_user_email": "max@musterhausen.example"},
    "registration_approved": _REGISTRATION,
    "registration_rejected": {**_REGISTRATION, "reason": "doppelte Registrierung"},
    "connection_requested": _CONNECTION,
    "connection_approved": _CONNECTION,
    "connection_info_requested": {**_CONNECTION, "message": "Bitte nennen Sie Ihre USt-IdNr."},
    "connection_answered": {**_CONNECTION, "question": "Bitte nennen Sie Ihre USt-IdNr.", "message": "DE123456789"},
    "connection_rejected": {**_CONNECTION, "reason": "nicht in unserer Region"},
})

# What delivery adds to every mail (store.mail.delivery.brand_context) when a template's own
# context does not set it: the platform's name and sender identity.
BRAND: dict[str, Any] = {"platform_name": "Partnerportal", "sender": "Partnerportal"}
for _name, _context in SAMPLES.items():
    SAMPLES[_name] = {**_context, **{k: v for k, v in BRAND.items() if k not in _context}}
