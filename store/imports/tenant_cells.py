"""A tenant row's cells: each checked against the rules, the reseller a customer names, the
applications it books."""

from __future__ import annotations

from typing import Any

from tenantctl.store.enums import TenantKind
from tenantctl.store.imports.checks import split_list
from tenantctl.store.imports.plan import RowPlan
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_file import TenantFile, TenantRow


def read_tenant_row(f: TenantFile, p: RowPlan, rownum: int, v: dict[str, Any]) -> TenantRow:
    """The row's checked cells, its reseller and applications; each problem said on the row."""
    row = _read_cells(f, p, rownum, v)
    _resolve_reseller(f, row)
    for ref in split_list(v.get("applications")):
        app = f.snap.app(ref)
        if app is None:
            p.error(f.h("applications"), f"unknown application {ref!r} (see tenantctl app list)")
        else:
            row.apps.add(app.id)
    return row


def _read_cells(f: TenantFile, p: RowPlan, rownum: int, v: dict[str, Any]) -> TenantRow:
    h, check = f.h, f.rules.check
    cell = v.get("name")
    if f.flat and cell and cell.isdigit() and not v.get("customer_number"):
        # a company column holding customer numbers: a look-up by number, never a company named "11960"
        v = {**v, "customer_number": cell}
        del v["name"]
    name = check(p, f, "name", v.get("name")) if v.get("name") or not f.flat else None
    kind = (v.get("kind") or "").strip().lower() or None
    reseller_ref = (v.get("reseller") or "").strip().lower() or None
    if kind is None:
        kind = TenantKind.customer if (reseller_ref or f.reseller_default) else None
        if kind is None:
            p.error(h("kind"), "kind is empty: customer or reseller")
    elif kind not in {TenantKind.customer, TenantKind.reseller}:
        p.error(h("kind"), f"kind {kind!r} is not one of customer, reseller")
    language = check(p, f, "language", v.get("language"))
    billing = check(p, f, "billing", v.get("billing"))
    currency = check(p, f, "currency", v.get("currency"))
    number = check(p, f, "customer_number", v.get("customer_number"))
    external_id = check(p, f, "external_id", v.get("external_id"))
    key = (v.get("key") or "").strip().lower() or None
    if key:
        check(p, f, "key", key)
    return TenantRow(p, rownum, name, kind, language, billing, currency, number, external_id, key, reseller_ref)


def _resolve_reseller(f: TenantFile, row: TenantRow) -> None:
    """The reseller of a customer: the row's, or the default (--reseller, the actor's only one)."""
    p, h, snap = row.p, f.h, f.snap
    if row.kind == TenantKind.customer:
        row.reseller_key = reseller_key = row.reseller_ref or f.reseller_default
        if reseller_key is None:
            if f.flat:
                pass  # a people file's company may be stored: decided once it is looked up
            elif not f.ctx.actor.is_operator or (row.number or row.currency or row.billing):
                if f.unowned:
                    f.needs_reseller = True
                else:
                    p.error(h("reseller"), "a customer needs its reseller (column Reseller, or --reseller KEY)")
        else:
            r = snap.by_key.get(reseller_key)
            if r is not None and (snap.is_visible(r.id) or _own_reseller(snap, row.key, r.id)):
                if r.kind != TenantKind.reseller:
                    p.error(h("reseller"), f"{reseller_key!r} is a {r.kind}, not a reseller")
                row.reseller_id = r.id
            elif reseller_key not in f.file_resellers:
                p.error(h("reseller"), f"reseller {reseller_key!r} not found in the file or the store")
    elif row.reseller_ref or row.number or row.currency or row.billing:
        p.error(h("reseller"), "only a customer has a reseller, customer number, currency and billing")


def _own_reseller(snap: Snapshot, key: str | None, reseller_id: int) -> bool:
    """The row names (by key) a stored customer the actor sees, connected to this reseller: its
    admin sees the connection (tenant show), so naming that reseller is no lookup outside the
    actor's scope, and an exported document applies again unchanged."""
    t = snap.by_key.get(key) if key else None
    return t is not None and snap.is_visible(t.id) and any(c.reseller_id == reseller_id
                                                           for c in snap.conns.get(t.id, []))
