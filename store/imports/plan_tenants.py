"""Tenant rows: each checked against the rules, the store and the rest of the file, matched to a
stored tenant (key, customer number at its reseller, or name) or planned as a new one.

The steps, each in its module: the rows equal to the store, found in columns (compare_tenants);
for the others, the row's cells and reseller (tenant_cells), the stored tenant it names
(tenant_targets), what it changes there (tenant_changes), or the new tenant (tenant_new); what the
rows share (and the cell rules, once per distinct text) lives in tenant_file."""

from __future__ import annotations

import sys
from typing import Any

from tenantctl.store.context import Ctx
from tenantctl.store.imports.compare_tenants import Same, names_stored, same_as_stored
from tenantctl.store.imports.new_tenants import NewTenants
from tenantctl.store.imports.plan import Options, Plan, RowPlan
from tenantctl.store.imports.rows import Problem, Table
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_cells import read_tenant_row
from tenantctl.store.imports.tenant_changes import app_key as app_key  # kept for rowwise/ (the reference copy)
from tenantctl.store.imports.tenant_changes import plan_tenant_update
from tenantctl.store.imports.tenant_file import CellRules, Columns, FileTenant, TenantFile, TenantRow, open_tenant_file
from tenantctl.store.imports.tenant_file import default_reseller as default_reseller  # as app_key
from tenantctl.store.imports.tenant_new import plan_new_tenant
from tenantctl.store.imports.tenant_targets import find_existing

# rows of a table read as rows above which its rows equal to the store are found in columns: about
# where planning them one by one costs what importing polars does
COMPARE_ROWS = 5_000


def plan_tenants(ctx: Ctx, snap: Snapshot, table: Table | None, opts: Options, plan: Plan,
                 padded_refs: set[str] = frozenset(), flat: bool = False) -> list[FileTenant]:  # type: ignore[assignment]
    """padded_refs: zero-padded tenant references of the users sheet (compared with number cells);
    flat: the companies of a file about people (a flat contact list): each company cell is a
    look-up of a stored tenant (customer number at the reseller, then the name after NFC and case
    folding, or its key), never a change of it; a company that is not stored is created only under
    an explicit reseller, and one whose name is near a stored tenant's is refused naming it.

    The rows are read as columns; those equal to the store (compare_tenants, when a row names a
    stored tenant; see COMPARE_ROWS) are planned unchanged from the join, the others one by one
    below: a row that can only become a new tenant by the fast lane (new_tenants), any other by
    every rule, in row order."""
    if table is None:
        return []
    columnar = table.columns is not None and table._rows is None
    cells, cell_rules = Columns.of(table), CellRules()
    if columnar:
        table.rows = []  # the lists hold the rows: the engine's clear then builds no per-row tuples
    f = open_tenant_file(ctx, snap, table, opts, plan, padded_refs, flat, cells, cell_rules)
    same: dict[int, Same] = {}
    # a table read as rows is compared in columns only when that pays for loading polars (~0.3 s)
    worth = columnar or "polars" in sys.modules or len(cells.rownums) > COMPARE_ROWS
    if opts.mode == "upsert" and not flat and worth and names_stored(snap, cells):
        same = same_as_stored(ctx, snap, cells, cell_rules, f.reseller_default)
    out: list[FileTenant] = []
    names, numbers = cells.column("name"), cells.column("customer_number")
    lane = NewTenants(f, same) if not flat else None
    ready = lane.ready if lane is not None else [None] * len(cells.rownums)
    for i, rownum in enumerate(cells.rownums):
        if (s := same.get(i)) is not None:
            out.append(_unchanged(f, rownum, names[i] or numbers[i] or "", s))
            continue
        if ready[i] is not None:
            out.append(lane.plan(i, rownum, names[i] or numbers[i] or ""))  # type: ignore[union-attr]
            continue
        v = cells.record(i)
        p = RowPlan(table.sheet, rownum, "tenant", None, v.get("name") or v.get("customer_number") or "")
        plan.tenants.append(p)
        row = read_tenant_row(f, p, rownum, v)
        existing = find_existing(f, row)
        _check_duplicates(f, p, rownum, row.key or (existing.key if existing is not None else None),
                          row.number, row.reseller_key, row.name, existing is not None)
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


def _unchanged(f: TenantFile, rownum: int, label: str, s: Same) -> FileTenant:
    """A row the join found equal to its stored tenant: unchanged, unless it repeats an earlier row."""
    p = RowPlan(f.table.sheet, rownum, "tenant", s.key, label)
    p.target_id = s.tenant_id
    f.plan.tenants.append(p)
    _check_duplicates(f, p, rownum, s.key, s.number, s.reseller_key, s.name, True)
    return FileTenant(p, s.key, s.name, s.kind, s.reseller_id, s.reseller_key, s.number, set(), s.tenant_id)


def _check_duplicates(f: TenantFile, p: RowPlan, rownum: int, ident_key: str | None, number: str | None,
                      reseller_key: str | None, name: str | None, stored: bool) -> None:
    """The same tenant twice in the file: by key (given, or the stored tenant's), by customer
    number at a reseller, by name."""
    h, plan, sheet = f.h, f.plan, f.table.sheet
    if ident_key and not (f.flat and stored):  # two spellings of one company: look-ups both
        if ident_key in f.seen_keys:
            p.error(h("key"), f"the same tenant as {plan.ref(sheet, f.seen_keys[ident_key])}")
        f.seen_keys.setdefault(ident_key, rownum)
    if number and reseller_key:
        nk = (reseller_key, number)
        if nk in f.seen_numbers:
            p.error(h("customer_number"), f"customer number {number} also in {plan.ref(sheet, f.seen_numbers[nk])}")
        f.seen_numbers.setdefault(nk, rownum)
    if name and not ident_key and not number:
        name_key = (reseller_key, name.casefold())
        if name_key in f.seen_names:
            p.error(h("name"), f"the same tenant as {plan.ref(sheet, f.seen_names[name_key])}")
        f.seen_names.setdefault(name_key, rownum)


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
