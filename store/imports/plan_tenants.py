"""Tenant rows: each checked against the rules, the store and the rest of the file, matched to a
stored tenant (key, customer number at its reseller, or name) or planned as a new one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenantctl.store import rules
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Billing, Language, TenantKind
from tenantctl.store.errors import NotFound
from tenantctl.store.imports.checks import Handles, check, choice, clean_name, lost_zeros, refuse_damaged, split_list
from tenantctl.store.imports.near_names import NearNames
from tenantctl.store.imports.plan import NewTenant, Options, Plan, RowPlan, TenantChange
from tenantctl.store.imports.rows import Problem, Table
from tenantctl.store.imports.snapshot import Snapshot


@dataclass
class FileTenant:
    plan: RowPlan
    key: str
    name: str
    kind: str
    reseller_id: int | None        # store reseller
    reseller_key: str | None
    customer_number: str | None
    apps: set[int]
    existing_id: int | None


def default_reseller(ctx: Ctx, snap: Snapshot, opts: Options) -> str | None:
    if opts.reseller:
        return opts.reseller.strip().lower()
    if len(ctx.actor.reseller_ids) == 1:
        (rid,) = ctx.actor.reseller_ids
        return str(snap.tenants[rid].key)
    return None


def plan_tenants(ctx: Ctx, snap: Snapshot, table: Table | None, opts: Options, plan: Plan,
                 padded_refs: set[str] = frozenset(), flat: bool = False) -> list[FileTenant]:  # type: ignore[assignment]
    """padded_refs: zero-padded tenant references of the users sheet (compared with number cells);
    flat: the companies of a file about people (a flat contact list): each company cell is a
    look-up of a stored tenant (customer number at the reseller, then the name after NFC and case
    folding, or its key), never a change of it; a company that is not stored is created only under
    an explicit reseller, and one whose name is near a stored tenant's is refused naming it."""
    if table is None:
        return []
    actor = ctx.actor
    h = table.header_of
    reseller_default = default_reseller(ctx, snap, opts)
    if opts.reseller:
        r = snap.by_key.get(reseller_default or "")
        if r is None or not snap.is_visible(r.id) or r.kind != TenantKind.reseller:
            raise NotFound(f"reseller {opts.reseller!r} not found", hint="see tenantctl tenant list --kind reseller")
    lost = lost_zeros(table, "customer_number")
    unpadded: list[tuple[int, str, str]] = []  # (row, number in the file, stored number)
    # keys given in the file (explicitly) are reserved before keys are derived for the others
    keys = table.column("key")
    file_resellers = {k.lower() for k, kind in zip(keys, table.column("kind"), strict=True)
                      if k and (kind or "").lower() == TenantKind.reseller}
    taken_keys = set(snap.by_key)
    reserved = {k.strip().lower() for k in keys if k}
    key_handles = Handles(taken_keys | reserved, "-", rules.KEY_MAX)
    seen_keys: dict[str, int] = {}
    seen_numbers: dict[tuple[str, str], int] = {}
    seen_names: dict[tuple[str | None, str], int] = {}
    out: list[FileTenant] = []
    # a contact list's companies are all customers: without a reseller, one line naming the fix,
    # not the same refusal on every company row
    unowned = flat and reseller_default is None and not any(table.column("reseller"))
    needs_reseller = False
    near: NearNames | None = None   # the visible stored tenants by their loose name, built on first use
    renamed: list[tuple[int, str, str]] = []  # a people file's company cell that differs from the stored name
    new_companies: list[tuple[int, str]] = []
    for rownum, v in table.records():
        p = RowPlan(table.sheet, rownum, "tenant", None, v.get("name") or v.get("customer_number") or "")
        plan.tenants.append(p)
        cell = v.get("name")
        if flat and cell and cell.isdigit() and not v.get("customer_number"):
            # a company column holding customer numbers: a look-up by number, never a company named "11960"
            v = {**v, "customer_number": cell}
            del v["name"]
        name = (check(p, h("name"), clean_name, v.get("name"), "tenant name")
                if v.get("name") or not flat else None)
        kind = (v.get("kind") or "").strip().lower() or None
        reseller_ref = (v.get("reseller") or "").strip().lower() or None
        if kind is None:
            kind = TenantKind.customer if (reseller_ref or reseller_default) else None
            if kind is None:
                p.error(h("kind"), "kind is empty: customer or reseller")
        elif kind not in {TenantKind.customer, TenantKind.reseller}:
            p.error(h("kind"), f"kind {kind!r} is not one of customer, reseller")
        language = check(p, h("language"), choice, (v.get("language") or "").lower() or None, Language, "language")
        billing = check(p, h("billing"), choice, (v.get("billing") or "").lower() or None, Billing, "billing")
        currency = check(p, h("currency"), rules.normalise_currency, v.get("currency"))
        number = check(p, h("customer_number"), rules.clean_customer_number, v.get("customer_number"))
        external_id = check(p, h("external_id"), rules.clean_external_id, v.get("external_id"))
        key = (v.get("key") or "").strip().lower() or None
        if key:
            check(p, h("key"), rules.check_tenant_key, key)
        # the reseller of a customer
        reseller_id: int | None = None
        reseller_key: str | None = None
        if kind == TenantKind.customer:
            reseller_key = reseller_ref or reseller_default
            if reseller_key is None:
                if flat:
                    pass  # a people file's company may be stored: decided once it is looked up
                elif not actor.is_operator or (number or currency or billing):
                    if unowned:
                        needs_reseller = True
                    else:
                        p.error(h("reseller"), "a customer needs its reseller (column Reseller, or --reseller KEY)")
            else:
                r = snap.by_key.get(reseller_key)
                if r is not None and (snap.is_visible(r.id) or _own_reseller(snap, key, r.id)):
                    if r.kind != TenantKind.reseller:
                        p.error(h("reseller"), f"{reseller_key!r} is a {r.kind}, not a reseller")
                    reseller_id = r.id
                elif reseller_key not in file_resellers:
                    p.error(h("reseller"), f"reseller {reseller_key!r} not found in the file or the store")
        elif reseller_ref or number or currency or billing:
            p.error(h("reseller"), "only a customer has a reseller, customer number, currency and billing")
        apps: set[int] = set()
        for ref in split_list(v.get("applications")):
            app = snap.app(ref)
            if app is None:
                p.error(h("applications"), f"unknown application {ref!r} (see tenantctl app list)")
            else:
                apps.add(app.id)
        # which existing tenant is this row?
        existing = None
        if key:
            existing = snap.by_key.get(key)
        elif number:  # a customer number names the customer at its reseller; unknown = new
            if reseller_id is not None and (reseller_id, number) in snap.conn_by_number:
                existing = snap.tenants.get(snap.conn_by_number[(reseller_id, number)].customer_id)
            elif reseller_id is not None and (padded := snap.unpadded_match(reseller_id, number)) is not None:
                # the stored customer, its number saved by Excel without the zeros: kept as stored
                unpadded.append((rownum, number, padded.customer_number))
                number = padded.customer_number
                existing = snap.tenants.get(padded.customer_id)
            elif flat and reseller_id is None and reseller_key is None:
                # no reseller named: the number at any reseller the actor sees, if only one has it
                found = [c for c in snap.by_number(number) if snap.is_visible(c.customer_id)]
                if len(found) == 1:
                    existing = snap.tenants.get(found[0].customer_id)
                elif len(found) > 1:
                    p.error(h("customer_number"), f"customer number {number} is used at {len(found)} resellers: "
                            "name the reseller (--reseller KEY, or a column Reseller)")
            if existing is None and flat and name:  # then by name: a stored customer numbered otherwise
                existing = _by_name(snap, name, kind, reseller_id)
                other = _number_at(snap, existing, reseller_id) if existing is not None else None
                if other and other != number and existing is not None:
                    p.error(h("customer_number"), f"company {name!r} is stored as tenant {existing.key!r} with "
                            f"customer number {other}, not {number}: correct the number in the file")
        elif name:
            existing = _by_name(snap, name, kind, reseller_id)
            if existing is None and flat and (by_key := snap.by_key.get(name.lower())) is not None:
                # a contact list's company cell may hold the tenant's key: a reference, not a new name
                existing, name = by_key, None
        if number and existing is None and (rownum in lost or _lost_against(
                snap, table, rownum, number, reseller_id, padded_refs)):
            example = (snap.padded_example(reseller_id) if reseller_id is not None else None) or next(
                (r for r in padded_refs if r.lstrip("0") == number), None)
            if rownum in lost:
                p.error(h("customer_number"), f"customer number {number} is shorter than the others: a lost "
                        "leading zero? Format the column as text and type the number again")
            else:
                p.error(h("customer_number"), f"customer number {number} is a number cell, and the customer "
                        f"numbers it is compared with are zero-padded text ({example}): lost leading zeros? "
                        "Format the column as text and type the numbers again")
        if existing is not None and not snap.is_visible(existing.id):
            if key:
                p.error(h("key"), f"tenant key {key!r} is taken")
            existing = None
        # duplicates inside the file
        ident_key = key or (existing.key if existing is not None else None)
        if ident_key and not (flat and existing is not None):  # two spellings of one company: look-ups both
            if ident_key in seen_keys:
                p.error(h("key"), f"the same tenant as {plan.ref(table.sheet, seen_keys[ident_key])}")
            seen_keys.setdefault(ident_key, rownum)
        if number and reseller_key:
            if (reseller_key, number) in seen_numbers:
                first_row = seen_numbers[(reseller_key, number)]
                p.error(h("customer_number"), f"customer number {number} also in {plan.ref(table.sheet, first_row)}")
            seen_numbers.setdefault((reseller_key, number), rownum)
        if name and not ident_key and not number:
            nk = (reseller_key, name.casefold())
            if nk in seen_names:
                p.error(h("name"), f"the same tenant as {plan.ref(table.sheet, seen_names[nk])}")
            seen_names.setdefault(nk, rownum)
        if existing is not None and flat:
            # a people file names its company; it never changes it (renaming: a tenants table,
            # a tenants document, or tenant update)
            p.target_id, p.key = existing.id, existing.key
            if kind and kind != existing.kind:
                p.error(h("name"), f"tenant {existing.key!r} is a {existing.kind}, not a {kind}")
            elif p.action != "error":
                p.action = "unchanged"
            if name and name != existing.name:
                renamed.append((rownum, name, existing.name))
            out.append(FileTenant(p, existing.key, existing.name, existing.kind, reseller_id, reseller_key, number,
                                  set(), existing.id))
            continue
        if existing is not None:
            _plan_tenant_update(ctx, snap, p, existing, opts, h, kind=kind, name=name, language=language,
                                external_id=external_id, reseller_id=reseller_id, reseller_key=reseller_key,
                                number=number, currency=currency, billing=billing, apps=apps,
                                unpadded=unpadded)
            p.key = existing.key
            out.append(FileTenant(p, existing.key, name or existing.name, existing.kind, reseller_id, reseller_key,
                                   number, apps, existing.id))
            continue
        # a new tenant
        if flat or name:
            if near is None:
                near = NearNames([(t.key, t.name) for t in snap.tenants.values() if snap.is_visible(t.id)])
            twin = near.find(name) if name else None
            if twin is not None:
                if flat:  # a people file: refused, naming the stored tenant
                    p.error(h("name"), f"company {name!r} is not stored, but tenant {twin[0]!r} is "
                            f"{twin[1]!r}: write the company as stored (or its customer number) to add the "
                            "people there; to create a second company, create it first with tenantctl tenant create")
                else:
                    plan.notes.append(f"{table.sheet}, row {rownum}: new tenant {name!r} is almost the stored "
                                      f"tenant {twin[0]!r} ({twin[1]!r}); a second tenant will be created — "
                                      "give the key or the customer number to update the stored one")
        if flat:
            if not name:
                p.error(h("customer_number"), f"customer number {number} is not a stored customer"
                        + (f" of reseller {reseller_key!r}" if reseller_key else "")
                        + ": a new company needs its name (add a column Firma)")
            if reseller_key is None:
                if unowned:
                    needs_reseller = True
                else:
                    p.error(h("reseller"), "a new company needs its reseller (column Reseller, or --reseller KEY)")
            elif name:
                new_companies.append((rownum, name))
        if not actor.is_operator:
            if kind == TenantKind.reseller:
                p.error(h("kind"), f"{actor.label} may not create a reseller")
            elif reseller_id is None or reseller_id not in actor.reseller_ids:
                p.error(h("reseller"), f"{actor.label} may create customers only under its own reseller")
        if number and reseller_id is not None and (reseller_id, number) in snap.conn_by_number:
            p.error(h("customer_number"), f"customer number {number!r} is already used at reseller {reseller_key!r}")
        if key is None and name:
            key = key_handles.allocate(rules.tenant_key_base(name))
        elif key is not None and key in taken_keys:
            p.error(h("key"), f"tenant key {key!r} is taken")
        if key:
            taken_keys.add(key)
        p.key = key
        if p.action != "error":
            p.action = "create"
            p.changes = {k: [None, val] for k, val in (("name", name), ("kind", kind), ("reseller", reseller_key),
                                                        ("customer_number", number), ("currency", currency)) if val}
        p.values = NewTenant(key, name, kind, language or ctx.settings.default_language, external_id, reseller_id,
                             reseller_key, number, currency, billing or Billing.customer, sorted(apps))
        out.append(FileTenant(p, key or "", name or "", kind or "", reseller_id, reseller_key, number, apps, None))
    if needs_reseller:
        plan.file_problems.append(Problem(table.sheet, None, None, "a flat contact list of customers needs their "
                                          "reseller: add --reseller KEY, or a 'Reseller' column"))
    if renamed:
        shown = ", ".join(f"row {r}: {n!r} is {stored!r}" for r, n, stored in renamed[:3])
        plan.notes.append(f"{len(renamed)} companies are written otherwise than stored ({shown}"
                          f"{', …' if len(renamed) > 3 else ''}); a list of people does not rename companies: "
                          "the stored names are kept")
    if new_companies:
        shown = ", ".join(f"{n!r} (row {r})" for r, n in new_companies[:5])
        plan.notes.append(f"{len(new_companies)} companies are not stored and will be created (+ tenant): {shown}"
                          f"{', …' if len(new_companies) > 5 else ''}")
    if unpadded:
        shown = ", ".join(f"row {r}: {n} = {stored}" for r, n, stored in unpadded[:3])
        plan.notes.append(f"{len(unpadded)} customer numbers lost their leading zeros (Excel) and matched the "
                          f"stored customers ({shown}{', …' if len(unpadded) > 3 else ''}); "
                          "the stored numbers are kept")
    return out


def _own_reseller(snap: Snapshot, key: str | None, reseller_id: int) -> bool:
    """The row names (by key) a stored customer the actor sees, connected to this reseller: its
    admin sees the connection (tenant show), so naming that reseller is no lookup outside the
    actor's scope, and an exported document applies again unchanged."""
    t = snap.by_key.get(key) if key else None
    return t is not None and snap.is_visible(t.id) and any(c.reseller_id == reseller_id
                                                           for c in snap.conns.get(t.id, []))


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


def _plan_tenant_update(ctx: Ctx, snap: Snapshot, p: RowPlan, t: Any, opts: Options, h: Callable[[str], str],
                        *, kind: str | None, name: str | None, language: str | None, external_id: str | None,
                        reseller_id: int | None, reseller_key: str | None, number: str | None,
                        currency: str | None, billing: str | None, apps: set[int],
                        unpadded: list[tuple[int, str, str]]) -> None:
    p.target_id = t.id
    if opts.mode == "create":
        p.error(h("key"), f"tenant {t.key!r} already exists (--mode create)")
    if kind and kind != t.kind:
        p.error(h("kind"), f"tenant {t.key!r} is a {t.kind}, not a {kind}")
    changes: dict[str, list[Any]] = {}
    for fname, new, old in (("name", name, t.name), ("language", language, t.language),
                            ("external_id", external_id, t.external_id)):
        if new is not None and new != old:
            changes[fname] = [old, new]
    if "name" in changes and refuse_damaged(p, h("name"), "name", name or "", t.name):
        del changes["name"]
    conn: Any = None
    if t.kind == TenantKind.customer and (number or currency or billing or reseller_id):
        conns = snap.conns.get(t.id, [])
        if reseller_id is not None:
            conns = [c for c in conns if c.reseller_id == reseller_id]
        if not conns:
            p.error(h("reseller"), f"customer {t.key!r} has no connection to reseller {reseller_key!r}")
        elif len(conns) > 1:
            p.error(h("reseller"), f"customer {t.key!r} has {len(conns)} resellers: name one in the Reseller column")
        else:
            conn = conns[0]
            stored_number = conn.customer_number
            if (number is not None and stored_number and number != stored_number
                    and snap.unpadded_match(conn.reseller_id, number) is conn):
                unpadded.append((p.row, number, stored_number))  # Excel's lost zeros: kept as stored
            elif number is not None and number != conn.customer_number:
                clash = snap.conn_by_number.get((conn.reseller_id, number))
                if clash is not None and clash.id != conn.id:
                    p.error(h("customer_number"), f"customer number {number!r} is already used at this reseller")
                changes["customer_number"] = [conn.customer_number, number]
            if currency is not None and currency != conn.currency:
                try:
                    rules.check_currency_change(conn.currency, currency)
                    changes["currency"] = [conn.currency, currency]
                except Exception as exc:
                    p.error(h("currency"), getattr(exc, "message", str(exc)))
            if billing is not None and billing != conn.billing:
                changes["billing"] = [conn.billing, billing]
    new_apps = sorted(a for a in apps if (t.id, a) not in snap.bookings)
    if new_apps:
        changes["applications"] = [None, [app_key(snap, a) for a in new_apps]]
    if changes:  # what the writer needs for an update (an unchanged row of a re-run needs nothing)
        p.values = TenantChange(t.id, conn.id if conn is not None else None, new_apps,
                                {"name": t.name, "language": t.language, "external_id": t.external_id},
                                {"customer_number": conn.customer_number, "currency": conn.currency,
                                 "billing": conn.billing} if conn is not None else None)
    p.changes = changes
    if changes and not snap.is_managed(t.id):  # seeing a tenant is enough to list it unchanged
        p.error(None, f"{ctx.actor.label} may not change tenant {t.key!r}")
    if p.action != "error":
        p.action = "update" if changes else "unchanged"


def app_key(snap: Snapshot, app_id: int) -> str:
    return next(str(a.key) for a in snap.apps.values() if a.id == app_id)

