"""Which stored tenant a tenant row is: by key, by customer number at its reseller (Excel's lost
zeros forgiven), or by name; none is a new tenant."""
# The row-wise reference: a frozen copy of store/imports/tenant_targets.py as it was before the columnar tenant
# planner, held to it by tests/imports/test_columnar_tenants.py; the import path never calls it.

from __future__ import annotations

from typing import Any

from tenantctl.store.enums import TenantKind
from tenantctl.store.imports.rows import Table
from tenantctl.store.imports.rowwise.tenant_file import TenantFile, TenantRow
from tenantctl.store.imports.snapshot import Snapshot


def find_existing(f: TenantFile, row: TenantRow) -> Any | None:
    """The stored tenant the row names and the actor sees, or None (a new tenant); a row's key that
    is taken by a tenant the actor does not see is said on the row."""
    snap, p, h = f.snap, row.p, f.h
    existing = None
    if row.key:
        existing = snap.by_key.get(row.key)
    elif row.number:  # a customer number names the customer at its reseller; unknown = new
        existing = _by_number(f, row)
    elif row.name:
        existing = _by_name(snap, row.name, row.kind, row.reseller_id)
        if existing is None and f.flat and (by_key := snap.by_key.get(row.name.lower())) is not None:
            # a contact list's company cell may hold the tenant's key: a reference, not a new name
            existing, row.name = by_key, None
    if row.number and existing is None:
        _refuse_lost_zeros(f, row)
    if existing is not None and not snap.is_visible(existing.id):
        if row.key:
            p.error(h("key"), f"tenant key {row.key!r} is taken")
        existing = None
    return existing


def _by_number(f: TenantFile, row: TenantRow) -> Any | None:
    snap, p, h, number, reseller_id = f.snap, row.p, f.h, row.number or "", row.reseller_id
    existing = None
    if reseller_id is not None and (reseller_id, number) in snap.conn_by_number:
        existing = snap.tenants.get(snap.conn_by_number[(reseller_id, number)].customer_id)
    elif reseller_id is not None and (padded := snap.unpadded_match(reseller_id, number)) is not None:
        # the stored customer, its number saved by Excel without the zeros: kept as stored
        f.unpadded.append((row.rownum, number, padded.customer_number))
        row.number = number = padded.customer_number
        existing = snap.tenants.get(padded.customer_id)
    elif f.flat and reseller_id is None and row.reseller_key is None:
        # no reseller named: the number at any reseller the actor sees, if only one has it
        found = [c for c in snap.by_number(number) if snap.is_visible(c.customer_id)]
        if len(found) == 1:
            existing = snap.tenants.get(found[0].customer_id)
        elif len(found) > 1:
            p.error(h("customer_number"), f"customer number {number} is used at {len(found)} resellers: "
                    "name the reseller (--reseller KEY, or a column Reseller)")
    if existing is None and f.flat and row.name:  # then by name: a stored customer numbered otherwise
        existing = _by_name(snap, row.name, row.kind, reseller_id)
        other = _number_at(snap, existing, reseller_id) if existing is not None else None
        if other and other != number and existing is not None:
            p.error(h("customer_number"), f"company {row.name!r} is stored as tenant {existing.key!r} with "
                    f"customer number {other}, not {number}: correct the number in the file")
    return existing


def _refuse_lost_zeros(f: TenantFile, row: TenantRow) -> None:
    """A new customer's number that looks like one that lost its leading zeros is refused."""
    snap, number, reseller_id, padded_refs = f.snap, row.number or "", row.reseller_id, f.padded_refs
    if not (row.rownum in f.lost or _lost_against(snap, f.table, row.rownum, number, reseller_id, padded_refs)):
        return
    example = (snap.padded_example(reseller_id) if reseller_id is not None else None) or next(
        (r for r in padded_refs if r.lstrip("0") == number), None)
    if row.rownum in f.lost:
        row.p.error(f.h("customer_number"), f"customer number {number} is shorter than the others: a lost "
                    "leading zero? Format the column as text and type the number again")
    else:
        row.p.error(f.h("customer_number"), f"customer number {number} is a number cell, and the customer "
                    f"numbers it is compared with are zero-padded text ({example}): lost leading zeros? "
                    "Format the column as text and type the numbers again")


def _lost_against(snap: Snapshot, table: Table, rownum: int, number: str, reseller_id: int | None,
                  padded_refs: set[str]) -> bool:
    """A number cell for a new customer where the store (at this reseller) or the users sheet holds
    zero-padded text: the whole column may have lost its zeros, so no length stands out in the file."""
    if (rownum, "customer_number") not in table.numbers or not number.isdigit():
        return False
    example = snap.padded_example(reseller_id) if reseller_id is not None else None
    if example is not None and len(example) > len(number):
        return True
    return any(r.lstrip("0") == number.lstrip("0") for r in padded_refs)


def _number_at(snap: Snapshot, tenant: Any, reseller_id: int | None) -> str | None:
    """The stored customer number of a customer (at the reseller, when one is named)."""
    conns = [c for c in snap.conns.get(tenant.id, []) if reseller_id is None or c.reseller_id == reseller_id]
    return conns[0].customer_number if len(conns) == 1 else None


def _by_name(snap: Snapshot, name: str, kind: str | None, reseller_id: int | None) -> Any | None:
    """The stored tenant of this name (compared after NFC and case folding)."""
    for t in snap.by_name(name):
        if kind and t.kind != kind:
            continue
        if kind == TenantKind.customer and reseller_id is not None and not any(
                c.reseller_id == reseller_id for c in snap.conns.get(t.id, [])):
            continue
        return t
    return None
