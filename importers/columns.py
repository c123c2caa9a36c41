"""The two kinds of rows an import knows (tenants, users), their fields and the header aliases
(German and English) that name them. Headers match regardless of case, spaces and non-breaking
spaces; `--map "Spalte=field"` adds aliases for the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenantctl.store.errors import UsageError


@dataclass(frozen=True)
class Field:
    name: str
    de: str  # the header the template writes
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    identifier: bool = False  # kept as text; numbers that lost leading zeros are reported
    help_de: str = ""
    help_en: str = ""


TENANT_FIELDS: tuple[Field, ...] = (
    Field("key", "Schlüssel", "Key", ("Mandantenschlüssel", "Tenant key", "Kürzel"), identifier=True,
          help_de="leer lassen: wird aus dem Namen abgeleitet", help_en="leave empty: derived from the name"),
    Field("name", "Name", "Name", ("Firmenname", "Firma", "Company", "Company name", "Mandant", "Tenant"),
          required=True, help_de="Firmenname", help_en="company name"),
    Field("kind", "Art", "Kind", ("Typ", "Type"), help_de="customer (Kunde) oder reseller",
          help_en="customer or reseller"),
    Field("reseller", "Reseller", "Reseller", ("Wiederverkäufer", "Händler", "Partner"), identifier=True,
          help_de="Schlüssel des Resellers eines Kunden; leer: der eigene Reseller (oder --reseller KEY)",
          help_en="key of a customer's reseller; empty: your own reseller (or --reseller KEY)"),
    Field("customer_number", "Kundennummer", "Customer number", ("Kunden-Nr", "Kundennr", "Kd-Nr", "Customer no",
                                                                  "Customer ID"),
          identifier=True, help_de="Nummer beim Reseller (als Text)", help_en="the reseller's number (as text)"),
    Field("currency", "Währung", "Currency", ("Waehrung",), help_de="ISO 4217, z. B. EUR; danach fest",
          help_en="ISO 4217, e.g. EUR; fixed once set"),
    Field("billing", "Abrechnung", "Billing", ("Rechnung an", "Bill to"), help_de="customer oder reseller",
          help_en="customer or reseller"),
    Field("language", "Sprache", "Language", ("Lang",), help_de="de oder en", help_en="de or en"),
    Field("external_id", "Externe ID", "External ID", ("Fremd-ID", "External id"), identifier=True),
    Field("applications", "Anwendungen", "Applications", ("Apps", "Gebuchte Anwendungen", "Booked applications"),
          help_de="gebuchte Anwendungen, durch Komma getrennt", help_en="booked applications, comma-separated"),
)

USER_FIELDS: tuple[Field, ...] = (
    Field("first_name", "Vorname", "First name", ("Firstname", "Given name"), required=True),
    Field("last_name", "Nachname", "Last name", ("Lastname", "Surname", "Familienname", "Family name"), required=True),
    Field("email", "E-Mail", "Email", ("Mail", "E-Mail-Adresse", "Email address", "E-mail address", "Mailadresse"),
          required=True),
    Field("tenant", "Mandant", "Tenant", ("Firma", "Company", "Kunde", "Customer", "Mandantenschlüssel"),
          required=True, identifier=True,
          help_de="Schlüssel, Kundennummer oder genauer Name des Mandanten",
          help_en="key, customer number or exact name of the tenant"),
    Field("role", "Rolle", "Role", (), help_de="admin, member oder billing", help_en="admin, member or billing"),
    Field("language", "Sprache", "Language", ("Lang",), help_de="de oder en", help_en="de or en"),
    Field("login", "Login", "Login", ("Anmeldename", "Benutzername", "Username"),
          help_de="nur zur Information: wird aus dem Namen abgeleitet", help_en="informative: derived from the name"),
    Field("access", "Zugriffsrechte", "Access rights", ("Rechte", "Berechtigungen", "Permissions"),
          help_de="Anwendungen, durch Komma getrennt", help_en="applications, comma-separated"),
)

# A flat contact list (importers/flat.py): one row per person, the company repeated on each row
CONTACT_FIELDS: tuple[Field, ...] = (
    Field("company", "Firma", "Company", ("Firmenname", "Unternehmen", "Company name", "Organisation",
                                          "Organization", "Kunde", "Kundenname", "Account", "Account name")),
    Field("customer_number", "Kundennummer", "Customer number", ("Kunden-Nr", "Kundennr", "Kd-Nr", "Customer no",
                                                                  "Customer ID"), identifier=True),
    Field("external_id", "Externe ID", "External ID", ("Fremd-ID", "External id"), identifier=True),
    Field("currency", "Währung", "Currency", ("Waehrung",)),
    Field("billing", "Abrechnung", "Billing", ("Rechnung an", "Bill to")),
    Field("reseller", "Reseller", "Reseller", ("Wiederverkäufer",), identifier=True),
    Field("first_name", "Vorname", "First name", ("Firstname", "Given name")),
    Field("last_name", "Nachname", "Last name", ("Lastname", "Surname", "Familienname", "Family name")),
    Field("full_name", "Name", "Full name", ("Vollständiger Name", "Ansprechpartner", "Kontakt", "Kontaktperson",
                                              "Contact", "Contact name", "Person")),
    Field("last_first", "Nachname, Vorname", "Last name, first name", ("Name, Vorname", "Surname, first name")),
    Field("email", "E-Mail", "Email", ("Mail", "E-Mail-Adresse", "Email address", "E-mail address", "Mailadresse"),
          required=True),
    Field("role", "Rolle", "Role", ()),
    Field("language", "Sprache", "Language", ("Lang",)),
    Field("access", "Zugriffsrechte", "Access rights", ("Rechte", "Berechtigungen", "Permissions")),
)

KINDS = {"tenants": TENANT_FIELDS, "users": USER_FIELDS, "contacts": CONTACT_FIELDS}
SHEET_NAMES = {
    "tenants": ("Mandanten", "Tenants", "Firmen", "Kunden", "Customers"),
    "users": ("Benutzer", "Users", "Nutzer", "Personen", "People"),
}
INSTRUCTIONS_SHEET = ("Anleitung", "Instructions")


_REQUIRED_MARK = re.compile(r"\*|\((?:pflicht(?:feld|angabe)?|erforderlich|required|optional|muss)\)")


def norm(header: object) -> str:
    """Case, spaces and line breaks (also non-breaking), hyphens, dots and underscores do not
    matter, nor the marks of a required column: `E-Mail*`, `Vorname\n(Pflichtfeld)`."""
    text = str(header or "").replace("\u00a0", " ").replace("\ufeff", "").casefold()
    return re.sub(r"[\s\-_.:/#]+", "", _REQUIRED_MARK.sub("", text))


def aliases(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in KINDS[kind]:
        for a in (f.name, f.de, f.en, *f.aliases):
            out.setdefault(norm(a), f.name)
    return out


def parse_maps(maps: list[str] | None) -> dict[str, str]:
    """`--map "Spalte=field"` → {normalised header: field}."""
    known = {f.name for fields in KINDS.values() for f in fields}
    out: dict[str, str] = {}
    for item in maps or []:
        header, sep, field = item.partition("=")
        field = field.strip()
        if not sep or not header.strip() or field not in known:
            raise UsageError(f"--map {item!r} is not HEADER=FIELD with a known field",
                             hint="fields: " + ", ".join(sorted(known)))
        out[norm(header)] = field
    return out


def sheet_kind(name: str) -> str | None:
    n = norm(name)
    for kind, names in SHEET_NAMES.items():
        if n in {norm(x) for x in (kind, *names)}:
            return kind
    return None


def accepted_headers(field: Field) -> str:
    return ", ".join(dict.fromkeys((field.de, field.en, *field.aliases)))


# The example row of each sheet of `tenantctl import template` (importers/write.py writes them). A
# reseller who forgets to delete it would import a customer "Müller & Söhne GmbH" and a user Max
# Müller: the reader skips a row that is still exactly the example (importers/read.py).
TEMPLATE_EXAMPLES: dict[str, dict[str, str]] = {
    "tenants": {"name": "Müller & Söhne GmbH", "kind": "customer", "customer_number": "10042", "currency": "EUR",
                "billing": "customer", "language": "de"},
    "users": {"first_name": "Max", "last_name": "Müller", "email": "max.mueller@mueller.example", "tenant": "10042",
              "role": "admin", "language": "de"},
}
