"""The store's refusals in the page's language. One mapping from an error's machine-readable
details (`reason`, `field`, the password policy's `rule`) to a text in German or English and the
form field it belongs next to; the services' English one-liners never reach a page. An error
without a known reason gets its class's general text (still in the page's language)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tenantctl.store.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TenantctlError
from tenantctl.web import i18n

# the store's field names (details["field"]) → the pages' form fields
FIELDS = {"first name": "first_name", "last name": "last_name", "organisation name": "organisation",
          "tenant name": "organisation", "customer name": "organisation", "e-mail": "email",
          "tenant key": "tenant"}

# a refusal's class → its general text, when its reason has no text of its own
GENERAL = ((InvalidInput, "refusal_invalid"), (Conflict, "refusal_conflict"),
           (PermissionDenied, "refusal_denied"), (NotFound, "refusal_not_found"))


def reason_of(err: TenantctlError) -> str | None:
    reason = (err.details or {}).get("reason")
    return str(reason) if reason else None


def message(err: TenantctlError, language: str) -> str:
    """The refusal as the page says it in `language`."""
    t = i18n.texts(language)
    details: dict[str, Any] = dict(err.details or {})
    if "rule" in details:  # the password policy (store.passwords.check_policy)
        from tenantctl.store.services.selfservice import password_rules

        key = f"policy_{details['rule']}"
        details = {**details, **password_rules()}
    else:
        key = f"refusal_{details.get('reason')}"
    if key in t:
        kind = details.get("kind")
        return t[key].format(**details, kind_word=t.get(f"kind_{kind}", kind or ""))
    for cls, general in GENERAL:
        if isinstance(err, cls):
            return t[general]
    return t["error_generic"]


def field_of(err: TenantctlError, shown: Collection[str], default: str) -> str:
    """The form field the refusal is shown next to: the one it names, if the form shows it."""
    field = FIELDS.get(str((err.details or {}).get("field")), default)
    return field if field in shown else default
