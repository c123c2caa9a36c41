"""A row naming a stored tenant: what it changes (its fields, its connection to the reseller, the
applications it books) and whether the actor may."""
# The row-wise reference: a frozen copy of store/imports/tenant_changes.py as it was before the columnar tenant
# planner, held to it by tests/imports/test_columnar_tenants.py; the import path never calls it.

from __future__ import annotations

from typing import Any

from tenantctl.store import rules
from tenantctl.store.enums import TenantKind
from tenantctl.store.imports.checks import refuse_damaged
from tenantctl.store.imports.plan import TenantChange
from tenantctl.store.imports.rowwise.tenant_file import TenantFile, TenantRow
from tenantctl.store.imports.snapshot import Snapshot


def plan_tenant_update(f: TenantFile, row: TenantRow, t: Any) -> None:
    p, h, snap = row.p, f.h, f.snap
    p.target_id = t.id
    if f.opts.mode == "create":
        p.error(h("key"), f"tenant {t.key!r} already exists (--mode create)")
    if row.kind and row.kind != t.kind:
        p.error(h("kind"), f"tenant {t.key!r} is a {t.kind}, not a {row.kind}")
    changes: dict[str, list[Any]] = {}
    for fname, new, old in (("name", row.name, t.name), ("language", row.language, t.language),
                            ("external_id", row.external_id, t.external_id)):
        if new is not None and new != old:
            changes[fname] = [old, new]
    if "name" in changes and refuse_damaged(p, h("name"), "name", row.name or "", t.name):
        del changes["name"]
    conn: Any = None
    if t.kind == TenantKind.customer and (row.number or row.currency or row.billing or row.reseller_id):
        conn = _connection_changes(f, row, t, changes)
    new_apps = sorted(a for a in row.apps if (t.id, a) not in snap.bookings)
    if new_apps:
        changes["applications"] = [None, [app_key(snap, a) for a in new_apps]]
    if changes:  # what the writer needs for an update (an unchanged row of a re-run needs nothing)
        p.values = TenantChange(t.id, conn.id if conn is not None else None, new_apps,
                                {"name": t.name, "language": t.language, "external_id": t.external_id},
                                {"customer_number": conn.customer_number, "currency": conn.currency,
                                 "billing": conn.billing} if conn is not None else None)
    p.changes = changes
    if changes and not snap.is_managed(t.id):  # seeing a tenant is enough to list it unchanged
        p.error(None, f"{f.ctx.actor.label} may not change tenant {t.key!r}")
    if p.action != "error":
        p.action = "update" if changes else "unchanged"


def _connection_changes(f: TenantFile, row: TenantRow, t: Any, changes: dict[str, list[Any]]) -> Any:
    """The customer's one connection to the row's reseller, its changes added; None if there is not one."""
    p, h, snap, number = row.p, f.h, f.snap, row.number
    conns = snap.conns.get(t.id, [])
    if row.reseller_id is not None:
        conns = [c for c in conns if c.reseller_id == row.reseller_id]
    if not conns:
        p.error(h("reseller"), f"customer {t.key!r} has no connection to reseller {row.reseller_key!r}")
        return None
    if len(conns) > 1:
        p.error(h("reseller"), f"customer {t.key!r} has {len(conns)} resellers: name one in the Reseller column")
        return None
    conn = conns[0]
    stored_number = conn.customer_number
    if (number is not None and stored_number and number != stored_number
            and snap.unpadded_match(conn.reseller_id, number) is conn):
        f.unpadded.append((p.row, number, stored_number))  # Excel's lost zeros: kept as stored
    elif number is not None and number != conn.customer_number:
        clash = snap.conn_by_number.get((conn.reseller_id, number))
        if clash is not None and clash.id != conn.id:
            p.error(h("customer_number"), f"customer number {number!r} is already used at this reseller")
        changes["customer_number"] = [conn.customer_number, number]
    if row.currency is not None and row.currency != conn.currency:
        try:
            rules.check_currency_change(conn.currency, row.currency)
            changes["currency"] = [conn.currency, row.currency]
        except Exception as exc:
            p.error(h("currency"), getattr(exc, "message", str(exc)))
    if row.billing is not None and row.billing != conn.billing:
        changes["billing"] = [conn.billing, row.billing]
    return conn


def app_key(snap: Snapshot, app_id: int) -> str:
    return next(str(a.key) for a in snap.apps.values() if a.id == app_id)
