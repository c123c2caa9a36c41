"""The flat contact list: one sheet, one row per person, the company repeated on each row
(`Firma; Kundennummer; Vorname; Nachname; E-Mail; Telefon …`), as CRMs and Outlook export it.

Recognised here (the header names a person — e-mail and a name — and a company or customer
number, and the file is read as one table); read as a table of kind "contacts", which the store's
planner (store/imports/flat.py) turns into companies, people and memberships. A company cell
merged over its contacts is filled down here, and the table's notes say so."""

from __future__ import annotations

from typing import Any

from tenantctl.importers import columns
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Table

LAYOUTS = ("auto", "flat", "tables")
_PERSON = {"first_name", "last_name", "full_name", "last_first"}
_COMPANY = {"company", "customer_number"}
# the template's user sheet names its tenant "Mandant": a reference, not a company of this file
_REFERENCE = {columns.norm(h) for h in ("Mandant", "Tenant", "Mandantenschlüssel", "Tenant key")}
# company columns a merged cell may span
_FILLED = ("company", "customer_number", "external_id", "currency", "billing", "reseller")


def is_contact_list(header: list[str], extra: dict[str, str]) -> bool:
    """Person columns (an e-mail and a name) and company columns in one header row."""
    normed = [columns.norm(h) for h in header if h]
    if any(n in _REFERENCE and n not in extra for n in normed):
        return False
    known = columns.aliases("contacts")
    found = {extra.get(n) or known.get(n) for n in normed}
    has_name = bool(found & {"full_name", "last_first"}) or {"first_name", "last_name"} <= found
    return "email" in found and has_name and bool(found & _COMPANY)


def contact_fields(sheet: str, header: list[str], extra: dict[str, str], notes: list[str]) -> dict[str, int]:
    """The columns of a sheet read as a contact list. Under --layout flat a `Mandant`/`Tenant`
    column names each person's company (a look-up, like a company column); a sheet without any
    company column or without a person's name is refused naming the fix."""
    known = columns.aliases("contacts")
    fields: dict[str, int] = {}
    reference = None
    for i, h in enumerate(header):
        n = columns.norm(h)
        name = extra.get(n) or known.get(n)
        if name and name not in fields:
            fields[name] = i
        elif n in _REFERENCE and reference is None:
            reference = i
    if not fields.keys() & _COMPANY:
        if reference is None:
            raise InvalidInput(f"{sheet}: read as a contact list (--layout flat), but no column names the "
                               "company: add a column Firma (or Kundennummer)",
                               hint='or name the column with --map "Header=company"')
        fields["company"] = reference
        notes.append(f"{sheet}: column {header[reference]!r} names each person's company (--layout flat)")
    if not (fields.keys() & {"full_name", "last_first"} or {"first_name", "last_name"} <= fields.keys()):
        raise InvalidInput(f"{sheet}: read as a contact list (--layout flat), but no column holds the people's "
                           "names: add the columns Vorname and Nachname (or one column Name)",
                           hint='or name the columns with --map "Header=first_name" --map "Header=last_name"')
    return fields


def fill_merged(table: Table, merged: list[Any]) -> None:
    """Company cells merged over the rows of their contacts: each row gets the company (Excel keeps
    the value in the first cell only). Noted in the table, so the plan says so."""
    if not merged or not table.rows:
        return
    positions = {idx: pos for pos, (name, idx) in enumerate(table.fields.items()) if name in _FILLED}
    index = {rownum: i for i, (rownum, _) in enumerate(table.rows)}
    filled: dict[str, int] = {}
    for (r0, c0), (r1, c1) in merged:
        if r1 <= r0 or r0 + 1 <= table.header_row:
            continue
        for col in range(c0, c1 + 1):
            pos = positions.get(col)
            top = index.get(r0 + 1)
            if pos is None or top is None:
                continue
            value = table.rows[top][1][pos]
            for rownum in range(r0 + 2, r1 + 2):
                i = index.get(rownum)
                if i is not None and table.rows[i][1][pos] is None:
                    values = list(table.rows[i][1])
                    values[pos] = value
                    table.rows[i] = (rownum, tuple(values))
                    header = table.headers[col]
                    filled[header] = filled.get(header, 0) + 1
    for header, n in filled.items():
        table.notes.append(f"{table.sheet}: column {header!r} is merged over the rows of its contacts; "
                           f"filled down into {n} rows")
