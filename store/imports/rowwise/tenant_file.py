"""What planning a tenants table keeps across its rows (keys taken, duplicates seen, notes to say at
the end) and what it reads from one row."""
# The row-wise reference: a frozen copy of store/imports/tenant_file.py as it was before the columnar tenant
# planner, held to it by tests/imports/test_columnar_tenants.py; the import path never calls it.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tenantctl.store import rules
from tenantctl.store.context import Ctx
from tenantctl.store.enums import TenantKind
from tenantctl.store.errors import NotFound
from tenantctl.store.imports.checks import Handles, lost_zeros
from tenantctl.store.imports.plan import Options, Plan, RowPlan
from tenantctl.store.imports.rows import Table
from tenantctl.store.imports.rowwise.near_names import NearNames
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_file import FileTenant as FileTenant  # the planners' one result type


@dataclass
class TenantRow:
    """One row's cells, checked, and the reseller they name."""

    p: RowPlan
    rownum: int
    name: str | None
    kind: str | None
    language: str | None
    billing: str | None
    currency: str | None
    number: str | None
    external_id: str | None
    key: str | None
    reseller_ref: str | None
    reseller_id: int | None = None
    reseller_key: str | None = None
    apps: set[int] = field(default_factory=set)


@dataclass
class TenantFile:
    """The tenants table being planned and what its rows share."""

    ctx: Ctx
    snap: Snapshot
    table: Table
    opts: Options
    plan: Plan
    flat: bool
    padded_refs: set[str]
    h: Callable[[str], str]
    reseller_default: str | None
    lost: set[int]
    file_resellers: set[str]
    taken_keys: set[str]
    key_handles: Handles
    # a contact list's companies are all customers: without a reseller, one line naming the fix,
    # not the same refusal on every company row
    unowned: bool
    needs_reseller: bool = False
    unpadded: list[tuple[int, str, str]] = field(default_factory=list)  # (row, number in the file, stored number)
    seen_keys: dict[str, int] = field(default_factory=dict)
    seen_numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    seen_names: dict[tuple[str | None, str], int] = field(default_factory=dict)
    near: NearNames | None = None   # the visible stored tenants by their loose name, built on first use
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # a company cell unlike the stored name
    new_companies: list[tuple[int, str]] = field(default_factory=list)


def default_reseller(ctx: Ctx, snap: Snapshot, opts: Options) -> str | None:
    if opts.reseller:
        return opts.reseller.strip().lower()
    if len(ctx.actor.reseller_ids) == 1:
        (rid,) = ctx.actor.reseller_ids
        return str(snap.tenants[rid].key)
    return None


def open_tenant_file(ctx: Ctx, snap: Snapshot, table: Table, opts: Options, plan: Plan,
                     padded_refs: set[str], flat: bool) -> TenantFile:
    """The table's shared state; an --reseller that is not a visible reseller is refused first."""
    reseller_default = default_reseller(ctx, snap, opts)
    if opts.reseller:
        r = snap.by_key.get(reseller_default or "")
        if r is None or not snap.is_visible(r.id) or r.kind != TenantKind.reseller:
            raise NotFound(f"reseller {opts.reseller!r} not found", hint="see tenantctl tenant list --kind reseller")
    lost = lost_zeros(table, "customer_number")
    # keys given in the file (explicitly) are reserved before keys are derived for the others
    keys = table.column("key")
    file_resellers = {k.lower() for k, kind in zip(keys, table.column("kind"), strict=True)
                      if k and (kind or "").lower() == TenantKind.reseller}
    taken_keys = set(snap.by_key)
    reserved = {k.strip().lower() for k in keys if k}
    return TenantFile(ctx, snap, table, opts, plan, flat, padded_refs, table.header_of, reseller_default, lost,
                      file_resellers, taken_keys, Handles(taken_keys | reserved, "-", rules.KEY_MAX),
                      unowned=flat and reseller_default is None and not any(table.column("reseller")))
