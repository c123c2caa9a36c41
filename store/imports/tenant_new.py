"""A row naming no stored tenant: a new one, its key derived from its name, refused when it is
almost a stored tenant in a people file, when its reseller is missing, or when the actor may not
create it."""

from __future__ import annotations

from tenantctl.store import rules
from tenantctl.store.enums import Billing, TenantKind
from tenantctl.store.imports.near_names import NearNames
from tenantctl.store.imports.plan import NewTenant
from tenantctl.store.imports.tenant_file import FileTenant, TenantFile, TenantRow


def plan_new_tenant(f: TenantFile, row: TenantRow) -> FileTenant:
    p, h, snap, actor = row.p, f.h, f.snap, f.ctx.actor
    name, kind, number, key = row.name, row.kind, row.number, row.key
    reseller_id, reseller_key = row.reseller_id, row.reseller_key
    if f.flat or name:
        _near_stored(f, row)
    if f.flat:
        _flat_company(f, row)
    if not actor.is_operator:
        if kind == TenantKind.reseller:
            p.error(h("kind"), f"{actor.label} may not create a reseller")
        elif reseller_id is None or reseller_id not in actor.reseller_ids:
            p.error(h("reseller"), f"{actor.label} may create customers only under its own reseller")
    if number and reseller_id is not None and (reseller_id, number) in snap.conn_by_number:
        p.error(h("customer_number"), f"customer number {number!r} is already used at reseller {reseller_key!r}")
    if key is None and name:
        key = f.key_handles.allocate(rules.tenant_key_base(name))
    elif key is not None and key in f.taken_keys:
        p.error(h("key"), f"tenant key {key!r} is taken")
    if key:
        f.taken_keys.add(key)
    p.key = key
    if p.action != "error":
        p.action = "create"
        p.changes = {k: [None, val] for k, val in (("name", name), ("kind", kind), ("reseller", reseller_key),
                                                    ("customer_number", number), ("currency", row.currency)) if val}
    p.values = NewTenant(key, name, kind, row.language or f.ctx.settings.default_language, row.external_id,
                         reseller_id, reseller_key, number, row.currency, row.billing or Billing.customer,
                         sorted(row.apps))
    return FileTenant(p, key or "", name or "", kind or "", reseller_id, reseller_key, number, row.apps, None)


def near_names(f: TenantFile) -> NearNames:
    """The visible stored tenants by their loose name, built on first use."""
    if f.near is None:
        f.near = NearNames([(t.key, t.name) for t in f.snap.tenants.values() if f.snap.is_visible(t.id)])
    return f.near


def _near_stored(f: TenantFile, row: TenantRow) -> None:
    """A new name almost a stored tenant's: refused in a people file, a note otherwise."""
    name = row.name
    twin = near_names(f).find(name) if name else None
    if twin is None:
        return
    if f.flat:  # a people file: refused, naming the stored tenant
        row.p.error(f.h("name"), f"company {name!r} is not stored, but tenant {twin[0]!r} is "
                    f"{twin[1]!r}: write the company as stored (or its customer number) to add the "
                    "people there; to create a second company, create it first with tenantctl tenant create")
    else:
        f.plan.notes.append(f"{f.table.sheet}, row {row.rownum}: new tenant {name!r} is almost the stored "
                            f"tenant {twin[0]!r} ({twin[1]!r}); a second tenant will be created — "
                            "give the key or the customer number to update the stored one")


def _flat_company(f: TenantFile, row: TenantRow) -> None:
    """A people file's company that is not stored: it needs its name and its reseller."""
    p, h = row.p, f.h
    if not row.name:
        p.error(h("customer_number"), f"customer number {row.number} is not a stored customer"
                + (f" of reseller {row.reseller_key!r}" if row.reseller_key else "")
                + ": a new company needs its name (add a column Firma)")
    if row.reseller_key is None:
        if f.unowned:
            f.needs_reseller = True
        else:
            p.error(h("reseller"), "a new company needs its reseller (column Reseller, or --reseller KEY)")
    elif row.name:
        f.new_companies.append((row.rownum, row.name))
