"""What a document may hold: its fields and its JSON Schema (`tenantctl apply --schema`)."""

from __future__ import annotations

from typing import Any

TENANT_FIELDS = ("key", "name", "kind", "reseller", "customer_number", "currency", "billing", "language",
                 "external_id", "applications")
USER_FIELDS = ("first_name", "last_name", "email", "tenant", "role", "language", "login", "access")
MEMBERSHIP_FIELDS = frozenset({"tenant", "role", "access"})
DOCUMENT_KEYS = frozenset({"version", "tenants", "users"})

_STRING = {"type": "string", "minLength": 1}
_ID = {"type": "string", "minLength": 1, "description": "text: quote numbers (\"0042\")"}
_NAMES = {"type": "array", "items": _STRING, "uniqueItems": True}
_PERSON = {
    "email": {"type": "string", "minLength": 3, "description": "the person: one user per e-mail address"},
    "first_name": _STRING,
    "last_name": _STRING,
    "language": {"enum": ["de", "en"]},
    "login": {"type": "string", "description": "informative (export writes it): logins are derived from the name"},
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tenantctl desired state (tenantctl apply -f)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "tenants": {"type": "array", "items": {"$ref": "#/$defs/tenant"}},
        "users": {"type": "array", "items": {"$ref": "#/$defs/user"}},
    },
    "$defs": {
        "tenant": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "description": "matched by key, else customer number at its reseller, else external id, else name",
            "properties": {
                "key": _ID, "name": _STRING, "kind": {"enum": ["customer", "reseller"]}, "reseller": _ID,
                "customer_number": _ID, "external_id": _ID, "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                "billing": {"enum": ["customer", "reseller"]}, "language": {"enum": ["de", "en"]},
                "applications": {**_NAMES, "description": "booked applications (keys)"},
                "users": {"type": "array", "items": {"$ref": "#/$defs/member"}},
            },
        },
        "member": {
            "type": "object", "additionalProperties": False, "required": ["email", "first_name", "last_name"],
            "description": "a person and their membership in the enclosing tenant",
            "properties": {**_PERSON, "role": {"enum": ["admin", "member", "billing"]}, "access": _NAMES},
        },
        "user": {
            "type": "object", "additionalProperties": False,
            "required": ["email", "first_name", "last_name", "memberships"],
            "description": "a person in one or more tenants",
            "properties": {**_PERSON, "memberships": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["tenant"],
                "properties": {"tenant": {**_ID, "description": "a tenant's key"},
                               "role": {"enum": ["admin", "member", "billing"]}, "access": _NAMES}}}},
        },
    },
}



def schema() -> dict[str, Any]:
    return SCHEMA

