"""Tenant rows: each checked against the rules, the store and the rest of the file, matched to a
stored tenant (key, customer number at its reseller, or name) or planned as a new one.

The steps, each in its module: the row's cells and reseller (tenant_cells), the stored tenant it
names (tenant_targets), what it changes there (tenant_changes), or the new tenant (tenant_new); what
the rows share lives in tenant_file."""
# The row-wise reference: a frozen copy of store/imports/plan_tenants.py as it was before the columnar tenant
# planner, held to it by tests/imports/test_columnar_tenants.py; the import path never calls it.

from __future__ import annotations

from typing import Any

from tenantctl.store.context import Ctx
from tenantctl.store.imports.plan import Options, Plan, RowPlan
from tenantctl.store.imports.rows import Problem, Table
from tenantctl.store.imports.rowwise.tenant_cells import read_tenant_row
from tenantctl.store.imports.rowwise.tenant_changes import app_key as app_key  # kept for rowwise/ (the reference copy)
from tenantctl.store.imports.rowwise.tenant_changes import plan_tenant_update
from tenantctl.store.imports.rowwise.tenant_file import FileTenant, TenantFile, TenantRow, open_tenant_file
from tenantctl.store.imports.rowwise.tenant_file import default_reseller as default_reseller  # as app_key
from tenantctl.store.imports.rowwise.tenant_new import plan_new_tenant
from tenantctl.store.imports.rowwise.tenant_targets import find_existing
from tenantctl.store.imports.snapshot import Snapshot


def plan_tenants(ctx: Ctx, snap: Snapshot, table: Table | None, opts: Options, plan: Plan,
                 padded_refs: set[str] = frozenset(), flat: bool = False) -> list[FileTenant]:  # type: ignore[assignment]
    """padded_refs: zero-padded tenant references of the users sheet (compared with number cells);
    flat: the companies of a file about people (a flat contact list): each company cell is a
    look-up of a stored tenant (customer number at the reseller, then the name after NFC and case
    folding, or its key), never a change of it; a company that is not stored is created only under
    an explicit reseller, and one whose name is near a stored tenant's is refused naming it."""
    if table is None:
        return []
    f = open_tenant_file(ctx, snap, table, opts, plan, padded_refs, flat)
    out: list[FileTenant] = []
    for rownum, v in table.records():
        p = RowPlan(table.sheet, rownum, "tenant", None, v.get("name") or v.get("customer_number") or "")
        plan.tenants.append(p)
        row = read_tenant_row(f, p, rownum, v)
        existing = find_existing(f, row)
        _check_duplicates(f, row, existing)
        if existing is not None and flat:
            out.append(_named_company(f, row, existing))
        elif existing is not None:
            plan_tenant_update(f, row, existing)
            p.key = existing.key
            out.append(FileTenant(p, existing.key, row.name or existing.name, existing.kind, row.reseller_id,
                                  row.reseller_key, row.number, row.apps, existing.id))
        else:
            out.append(plan_new_tenant(f, row))
    _file_notes(f)
    return out


def _check_duplicates(f: TenantFile, row: TenantRow, existing: Any | None) -> None:
    """The same tenant twice in the file: by key, by customer number at a reseller, by name."""
    p, h, plan, sheet = row.p, f.h, f.plan, f.table.sheet
    ident_key = row.key or (existing.key if existing is not None else None)
    if ident_key and not (f.flat and existing is not None):  # two spellings of one company: look-ups both
        if ident_key in f.seen_keys:
            p.error(h("key"), f"the same tenant as {plan.ref(sheet, f.seen_keys[ident_key])}")
        f.seen_keys.setdefault(ident_key, row.rownum)
    if row.number and row.reseller_key:
        nk = (row.reseller_key, row.number)
        if nk in f.seen_numbers:
            p.error(h("customer_number"), f"customer number {row.number} also in {plan.ref(sheet, f.seen_numbers[nk])}")
        f.seen_numbers.setdefault(nk, row.rownum)
    if row.name and not ident_key and not row.number:
        name_key = (row.reseller_key, row.name.casefold())
        if name_key in f.seen_names:
            p.error(h("name"), f"the same tenant as {plan.ref(sheet, f.seen_names[name_key])}")
        f.seen_names.setdefault(name_key, row.rownum)


def _named_company(f: TenantFile, row: TenantRow, existing: Any) -> FileTenant:
    """A people file names its company; it never changes it (renaming: a tenants table, a tenants
    document, or tenant update)."""
    p = row.p
    p.target_id, p.key = existing.id, existing.key
    if row.kind and row.kind != existing.kind:
        p.error(f.h("name"), f"tenant {existing.key!r} is a {existing.kind}, not a {row.kind}")
    elif p.action != "error":
        p.action = "unchanged"
    if row.name and row.name != existing.name:
        f.renamed.append((row.rownum, row.name, existing.name))
    return FileTenant(p, existing.key, existing.name, existing.kind, row.reseller_id, row.reseller_key, row.number,
                      set(), existing.id)


def _file_notes(f: TenantFile) -> None:
    """What the whole table is told once, not on every row."""
    plan = f.plan
    if f.needs_reseller:
        plan.file_problems.append(Problem(f.table.sheet, None, None, "a flat contact list of customers needs their "
                                          "reseller: add --reseller KEY, or a 'Reseller' column"))
    if f.renamed:
        shown = ", ".join(f"row {r}: {n!r} is {stored!r}" for r, n, stored in f.renamed[:3])
        plan.notes.append(f"{len(f.renamed)} companies are written otherwise than stored ({shown}"
                          f"{', …' if len(f.renamed) > 3 else ''}); a list of people does not rename companies: "
                          "the stored names are kept")
    if f.new_companies:
        shown = ", ".join(f"{n!r} (row {r})" for r, n in f.new_companies[:5])
        plan.notes.append(f"{len(f.new_companies)} companies are not stored and will be created (+ tenant): "
                          f"{shown}{', …' if len(f.new_companies) > 5 else ''}")
    if f.unpadded:
        shown = ", ".join(f"row {r}: {n} = {stored}" for r, n, stored in f.unpadded[:3])
        plan.notes.append(f"{len(f.unpadded)} customer numbers lost their leading zeros (Excel) and matched the "
                          f"stored customers ({shown}{', …' if len(f.unpadded) > 3 else ''}); "
                          "the stored numbers are kept")
