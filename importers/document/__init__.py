"""A desired-state document (YAML or JSON, `tenantctl apply -f`) → the import's row contract.

    tenants:
      - name: Müller GmbH             # matched by key, customer number (at its reseller) or external id
        reseller: ${RESELLER}         # ${VAR}, ${VAR:-default}: only from --var, --var-file, --env-allow
        customer_number: "10001"      # identifiers are strings: quote numbers (leading zeros survive)
        applications: [lohn]          # bookings
        users:                        # members of this tenant, by e-mail
          - {email: max@mueller.example, first_name: Max, last_name: Müller, role: admin, access: [lohn]}
    users:                            # people in several tenants
      - email: anna@agentur.example
        first_name: Anna
        last_name: Agentur
        memberships: [{tenant: mueller-gmbh, role: admin}, {tenant: acme}]

Every problem is reported at once with its place in the document (`tenants[3].users[1].email`).
YAML is read with the safe loader (no Python objects, no tags that run code).

One module per step: `reading.py` (the file, then JSON or YAML within bounds), `spec.py` (the
fields and the JSON Schema), `validation.py` (the compiled schema check), `substitution.py`
(${VAR}), `loading.py` (the row contract), `export.py` (the store as a document). The names
below are the package's API for the faces."""

from tenantctl.importers.document.export import document_of, dump
from tenantctl.importers.document.loading import Document, load
from tenantctl.importers.document.reading import MAX_BYTES, parse, read_text, refuse_non_document, shown
from tenantctl.importers.document.spec import SCHEMA, schema
from tenantctl.importers.document.substitution import resolved, substitute
from tenantctl.importers.document.validation import validate

__all__ = ["MAX_BYTES", "SCHEMA", "Document", "document_of", "dump", "load", "parse", "read_text",
           "refuse_non_document", "resolved", "schema", "shown", "substitute", "validate"]
