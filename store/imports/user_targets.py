"""Where the user rows point: each distinct tenant reference resolved once (a key, customer
number or exact name, from the file or the store), with what the rows naming it share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tenantctl.store.context import Ctx
from tenantctl.store.imports.flat import ROW_REF
from tenantctl.store.imports.near_names import NearNames
from tenantctl.store.imports.plan import NewTenant, Options, Plan
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_file import FileTenant, default_reseller


@dataclass(slots=True)
class Target:
    """What the user rows naming one tenant share: resolved once per tenant, not once per row."""

    ref: tuple[str, Any]
    tenant_id: int | None
    language: str
    file_tenant: FileTenant | None
    tenant_key: str | None
    errors: tuple[str, ...]
    booked: set[int]
    # the actor sees the tenant but may not change its users: said for a row that changes something;
    # a row identical to the store (an exported document applied again) is no change at all
    unmanaged: str | None = None


def _tenant_refs(ctx: Ctx, snap: Snapshot, opts: Options, file_tenants: list[FileTenant]) -> dict[str, Any]:
    """Tenant references a user row may use: key, customer number, exact name (case-insensitive),
    from the file and the store. A reference maps to its one target, or to the set of its targets
    when it names several (30,000 references of 10,000 tenants: no set for each)."""
    refs: dict[str, Any] = {}

    def add_ref(text: str | None, target: tuple[str, Any]) -> None:
        if text:
            key = text.casefold()
            found = refs.get(key)
            if found is None:
                refs[key] = target
            elif isinstance(found, set):
                found.add(target)
            elif found != target:
                refs[key] = {found, target}

    for ft in file_tenants:
        ref: tuple[str, Any] = ("store", ft.existing_id) if ft.existing_id else ("file", ft.plan.row)
        refs[f"{ROW_REF}{ft.plan.row}"] = ref  # a flat list's rows name their company by its row
        add_ref(ft.key, ref)
        add_ref(ft.customer_number, ref)
        add_ref(ft.name, ref)
    reseller_default = default_reseller(ctx, snap, opts)
    only_reseller = snap.by_key[reseller_default].id if reseller_default in snap.by_key else None
    for t in snap.tenants.values():
        if snap.is_visible(t.id):
            ref = ("store", t.id)
            add_ref(t.key, ref)
            add_ref(t.name, ref)
    for (rid, number), c in snap.conn_by_number.items():
        if snap.is_visible(c.customer_id) and (only_reseller is None or rid == only_reseller):
            add_ref(number, ("store", c.customer_id))
    return refs


def resolve_references(ctx: Ctx, snap: Snapshot, opts: Options, plan: Plan, file_tenants: list[FileTenant],
                       trefs: Iterable[str | None]) -> dict[str | None, tuple[Target | None, str | None]]:
    """Each distinct tenant reference of the users' rows: its target, or the problem with it
    (empty, unknown — naming a near stored tenant —, ambiguous). Zero-padded references Excel
    turned into numbers match by their digits, and the plan says so."""
    refs = _tenant_refs(ctx, snap, opts, file_tenants)
    file_by_row = {ft.plan.row: ft for ft in file_tenants}
    file_by_id = {ft.existing_id: ft for ft in file_tenants if ft.existing_id}
    store_bookings: dict[int, set[int]] = {}
    for t_id, a_id in snap.bookings:
        store_bookings.setdefault(t_id, set()).add(a_id)
    targets: dict[str | None, tuple[Target | None, str | None]] = {}
    resolved: dict[tuple[str, Any], Target] = {}
    default_language = ctx.settings.default_language
    padded: dict[str, list[str]] | None = None
    near: NearNames | None = None  # the visible stored tenants by their loose name, for an unknown reference
    unpadded: list[tuple[str, str]] = []
    for tref in trefs:
        found = refs.get(tref.casefold()) if tref else None
        if not found and tref and tref.isdigit():
            if padded is None:  # zero-padded references by their digits: Excel turns 010000 into 10000
                padded = {}
                for k in refs:
                    if k[:1] == "0" and k.isdigit():
                        padded.setdefault(k.lstrip("0"), []).append(k)
            keys = [k for k in padded.get(tref.lstrip("0"), []) if len(k) > len(tref)]
            if len(keys) == 1:
                found = refs[keys[0]]
                unpadded.append((tref, keys[0]))
        if not tref:
            targets[tref] = (None, "tenant is empty")
        elif not found:
            if near is None:
                near = NearNames([(t.key, t.name) for t in snap.tenants.values() if snap.is_visible(t.id)])
            twin = near.find(tref)
            targets[tref] = (None, f"unknown tenant {tref!r}: not in the file and not in the store" + (
                f"; the stored tenant {twin[0]!r} is {twin[1]!r}: write it as stored, or use its key"
                if twin else ""))
        elif isinstance(found, set):
            targets[tref] = (None, f"tenant {tref!r} is ambiguous: it names {len(found)} tenants; use the key")
        else:
            ref = found
            if ref not in resolved:
                resolved[ref] = _resolve_target(ctx, snap, ref, file_by_row, file_by_id, store_bookings,
                                                default_language, plan.ref)
            targets[tref] = (resolved[ref], None)
    if unpadded:
        unpadded.sort(key=lambda t: t[1])
        shown = ", ".join(f"{a} = {b}" for a, b in unpadded[:3])
        plan.notes.append(f"{len(unpadded)} tenant references lost their leading zeros (Excel) and matched "
                          f"({shown}{', …' if len(unpadded) > 3 else ''})")
    return targets


def _resolve_target(ctx: Ctx, snap: Snapshot, ref: tuple[str, Any], file_by_row: dict[int, FileTenant],
                    file_by_id: dict[int, FileTenant], store_bookings: dict[int, set[int]],
                    default_language: str, name_row: Callable[[str, int], str]) -> Target:
    errors: list[str] = []
    unmanaged: str | None = None
    tenant_id: int | None = None
    if ref[0] == "store":
        tenant_id = ref[1]
        tenant = snap.tenants[tenant_id]
        if not snap.is_managed(tenant_id):
            unmanaged = f"{ctx.actor.label} may not add users to tenant {tenant.key!r}"
        language = tenant.language
        file_tenant = file_by_id.get(tenant_id)
    else:
        file_tenant = file_by_row[ref[1]]
        values = file_tenant.plan.values
        language = values.language if isinstance(values, NewTenant) else default_language
    if file_tenant is not None and file_tenant.plan.action == "error":
        errors.append(f"its tenant ({name_row(file_tenant.plan.sheet, file_tenant.plan.row)}) has errors")
    booked = set(file_tenant.apps) if file_tenant else set()
    if tenant_id is not None:
        booked |= store_bookings.get(tenant_id, set())
    tenant_key = file_tenant.key if file_tenant else snap.tenants[tenant_id].key  # type: ignore[index]
    return Target(ref, tenant_id, language, file_tenant, tenant_key, tuple(errors), booked, unmanaged)
