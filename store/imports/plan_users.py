"""User rows: each checked against the rules and the store, matched to a stored user by e-mail
(changed names, a new membership, role or access) or planned as a new user with a unique login.
100,000 rows: the cell rules run once per distinct value and each row is a few look-ups."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from tenantctl.store import rules
from tenantctl.store.actor import released_homes
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Language, Role
from tenantctl.store.imports.checks import (
    INVALID,
    Handles,
    check,
    choice,
    clean_name,
    login_for,
    normalised_or_error,
    refuse_damaged,
    split_list,
    valid,
)
from tenantctl.store.imports.flat import ROW_REF
from tenantctl.store.imports.near_names import NearNames
from tenantctl.store.imports.plan import NewMembership, NewTenant, NewUser, Options, Plan, Progress, RowPlan, UserChange
from tenantctl.store.imports.plan_tenants import FileTenant, app_key, default_reseller
from tenantctl.store.imports.rows import Table
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.titles import without_titles
from tenantctl.store.services import memberships

USER_FIELDS = ("first_name", "last_name", "email", "role", "language", "tenant", "access")


@dataclass(slots=True)
class _Target:
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


def _tenant_refs(ctx: Ctx, snap: Snapshot, opts: Options,
                 file_tenants: list[FileTenant]) -> dict[str, set[tuple[str, Any]]]:
    """Tenant references a user row may use: key, customer number, exact name (case-insensitive),
    from the file and the store."""
    refs: dict[str, set[tuple[str, Any]]] = {}

    def add_ref(text: str | None, target: tuple[str, Any]) -> None:
        if text:
            refs.setdefault(text.casefold(), set()).add(target)

    for ft in file_tenants:
        ref: tuple[str, Any] = ("store", ft.existing_id) if ft.existing_id else ("file", ft.plan.row)
        refs[f"{ROW_REF}{ft.plan.row}"] = {ref}  # a flat list's rows name their company by its row
        add_ref(ft.key, ref)
        add_ref(ft.customer_number, ref)
        add_ref(ft.name, ref)
    reseller_default = default_reseller(ctx, snap, opts)
    only_reseller = snap.by_key[reseller_default].id if reseller_default in snap.by_key else None
    for t in snap.tenants.values():
        if snap.is_visible(t.id):
            add_ref(t.key, ("store", t.id))
            add_ref(t.name, ("store", t.id))
    for (rid, number), c in snap.conn_by_number.items():
        if snap.is_visible(c.customer_id) and (only_reseller is None or rid == only_reseller):
            add_ref(number, ("store", c.customer_id))
    return refs


def plan_users(ctx: Ctx, snap: Snapshot, table: Table | None, opts: Options, plan: Plan,
                file_tenants: list[FileTenant], progress: Progress | None) -> None:
    """Every user row against the rules and the store. 100,000 rows: the cell rules run once per
    distinct value (names, roles, languages and tenant references repeat), and each row is then a
    handful of dictionary look-ups (issue 5, point 11)."""
    if table is None:
        return
    h = table.header_of
    h_first, h_last, h_email, h_role, h_lang, h_tenant, h_access = (h(n) for n in USER_FIELDS)
    refs = _tenant_refs(ctx, snap, opts, file_tenants)
    file_by_row = {ft.plan.row: ft for ft in file_tenants}
    file_by_id = {ft.existing_id: ft for ft in file_tenants if ft.existing_id}
    store_bookings: dict[int, set[int]] = {}
    for t_id, a_id in snap.bookings:
        store_bookings.setdefault(t_id, set()).add(a_id)

    # the sheet as columns; the parsed rows are freed before the store's users are loaded
    rows = table.rows
    n = len(rows)
    rownums = [r for r, _ in rows]
    by_field = dict(zip(table.names, zip(*(v for _, v in rows), strict=True), strict=True)) if rows else {}
    nones: tuple[None, ...] = (None,) * n
    firsts, lasts, emails_raw, roles_raw, langs_raw, trefs, access_raw = (
        by_field.get(f, nones) for f in USER_FIELDS)
    rows.clear()
    del by_field

    # cell rules per distinct value / per column
    # titles in front of a name (`Dr. med.`, `Herr`, `Freifrau`) are dropped: tenantctl keeps none
    first_ok = valid(firsts, lambda v: without_titles(clean_name(v, "first name")))
    last_ok = valid(lasts, lambda v: without_titles(clean_name(v, "last name")))
    _note_titles(plan, table, rownums, (firsts, first_ok), (lasts, last_ok))
    role_ok = valid(roles_raw, lambda v: choice(v.lower() if v else None, Role, "role"))
    lang_ok = valid(langs_raw, lambda v: choice(v.lower() if v else None, Language, "language"))
    email_errors: dict[int, str] = {}  # row index → the rule's message
    emails = [normalised_or_error(i, e, email_errors) for i, e in enumerate(emails_raw)]
    # rules.email_key; an ASCII address already in lower case is its own key (no second copy)
    ekeys = [(e if e.isascii() and e.islower() else rules.email_key(e)) if e else None for e in emails]

    # tenant references, once per distinct text
    targets: dict[str | None, tuple[_Target | None, str | None]] = {}
    resolved: dict[tuple[str, Any], _Target] = {}
    default_language = ctx.settings.default_language
    padded: dict[str, list[str]] | None = None
    near: NearNames | None = None  # the visible stored tenants by their loose name, for an unknown reference
    unpadded: list[tuple[str, str]] = []
    for tref in set(trefs):
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
        elif len(found) > 1:
            targets[tref] = (None, f"tenant {tref!r} is ambiguous: it names {len(found)} tenants; use the key")
        else:
            (ref,) = found
            if ref not in resolved:
                resolved[ref] = _resolve_target(ctx, snap, ref, file_by_row, file_by_id, store_bookings,
                                                default_language, plan.ref)
            targets[tref] = (resolved[ref], None)

    if unpadded:
        unpadded.sort(key=lambda t: t[1])
        shown = ", ".join(f"{a} = {b}" for a, b in unpadded[:3])
        plan.notes.append(f"{len(unpadded)} tenant references lost their leading zeros (Excel) and matched "
                          f"({shown}{', …' if len(unpadded) > 3 else ''})")
    # the store's users with these e-mails, and their memberships
    existing = snap.users_by_email([k for k in ekeys if k])
    memberships = snap.memberships([u.id for u in existing.values()])
    rights = snap.rights([m[0] for ms in memberships.values() for m in ms.values()]) if any(access_raw) else set()

    visible = snap.visible
    no_memberships: dict[int, tuple[int, str]] = {}
    seen: dict[str, int] = {}
    people: dict[str, tuple[int, str | None, str | None, Any, RowPlan]] = {}  # e-mail key → its first slow row
    sheet = table.sheet
    fast = opts.mode == "upsert"
    create_changes: dict[tuple[str | None, str], Any] = {}
    logins: Handles | None = None  # loaded on the first new user (a re-run has none)
    users_out = plan.users
    for i in range(n):
        if progress and i % 10_000 == 0:
            progress("checking users", i, n)
        rownum, email_raw, first_raw, last_raw = rownums[i], emails_raw[i], firsts[i], lasts[i]
        ekey = ekeys[i]
        target, target_error = targets[trefs[i]]
        role = role_ok.get(roles_raw[i], INVALID)
        user = existing.get(ekey) if ekey else None
        # a row identical to what the store holds (re-runs): the stored values were checked when written
        if (fast and user is not None and target is not None and user.email == email_raw
                and user.first_name == first_raw and user.last_name == last_raw and not access_raw[i]
                and target.ref[0] == "store" and not target.errors
                and (langs_raw[i] is None or lang_ok.get(langs_raw[i]) == user.language)):
            user_ms = memberships.get(user.id, no_memberships)
            m = user_ms.get(target.tenant_id)  # type: ignore[arg-type]
            if (m is not None and role is not INVALID and (role is None or m[1] == role)
                    and (visible is None or not visible.isdisjoint(user_ms))
                    and seen.setdefault(user.email_key, rownum) == rownum):
                p = RowPlan(sheet, rownum, "user", user.login, user.email)
                p.target_id = user.id
                users_out.append(p)
                continue
        p = RowPlan(sheet, rownum, "user", None, email_raw or "")
        users_out.append(p)
        first = first_ok.get(first_raw) or check(p, h_first, clean_name, first_raw, "first name")
        last = last_ok.get(last_raw) or check(p, h_last, clean_name, last_raw, "last name")
        email = emails[i]
        if i in email_errors:
            p.error(h_email, email_errors[i])
        if role is INVALID:
            role = check(p, h_role, choice, roles_raw[i].lower(), Role, "role")
        language = lang_ok.get(langs_raw[i], INVALID)
        if language is INVALID:
            language = check(p, h_lang, choice, langs_raw[i].lower(), Language, "language")
        again: tuple[int, str | None, str | None, Any, RowPlan] | None = None  # the person's first row
        if ekey:
            p.label = email or ""
            first_row = seen.setdefault(ekey, rownum)
            if first_row == rownum:
                people[ekey] = (rownum, first, last, target.ref if target is not None else None, p)
            else:
                # one person in several companies: the same e-mail with the same name is one more
                # membership; with another name, or in the same company again, it is a problem
                prev = people.get(ekey)
                names = (prev[1], prev[2]) if prev else (user.first_name, user.last_name) if user else None
                if prev is not None:
                    prev_ref = prev[3]
                else:  # the first row took the unchanged fast path: its tenant, found by its row number
                    at = bisect_left(rownums, first_row)  # rows come in ascending order from every reader
                    at = at if at < n and rownums[at] == first_row else rownums.index(first_row)
                    first_target = targets[trefs[at]][0]
                    prev_ref = first_target.ref if first_target is not None else None
                if names is not None and names != (first, last):
                    p.error(h_email, f"e-mail {email} also in {plan.ref(table.sheet, first_row)}, with another name "
                            f"({' '.join(n for n in names if n)})")
                elif target is None or prev_ref == target.ref:
                    p.error(h_email, f"e-mail {email} also in {plan.ref(table.sheet, first_row)}")
                elif prev is not None and user is None:
                    again = prev
        if target_error:
            p.error(h_tenant, target_error)
        access: set[int] = set()
        if target is not None:
            for message in (*target.errors, *([target.unmanaged] if target.unmanaged else [])):
                p.error(h_tenant, message)
            for app_ref in split_list(access_raw[i]) if access_raw[i] else ():
                app = snap.app(app_ref)
                if app is None:
                    p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
                elif app.id not in target.booked:
                    p.error(h_access, f"application {app.key!r} is not booked for this tenant")
                else:
                    access.add(app.id)
        elif access_raw[i]:
            for app_ref in split_list(access_raw[i]):
                if snap.app(app_ref) is None:
                    p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
        tenant_id = target.tenant_id if target is not None else None
        if user is not None:
            _plan_user_update(ctx, snap, p, user, opts, h_email, (h_first, h_last),
                              memberships.get(user.id, no_memberships), rights, target, tenant_id, first, last,
                              language, role, roles_raw[i] is not None, access, email or "")
            if ekey and seen[ekey] != rownum and p.action != "error":  # a duplicate stays an error row
                _refer_to_first_row(p, seen[ekey])
            continue
        if again is not None:  # a further membership of a person this file creates
            _plan_membership(p, again[4], target, tenant_id, role or Role.member, access, plan.ref)
            continue
        # a new user
        if first and last:
            if logins is None:
                logins = Handles(snap.logins(), "", 100)
            login = check(p, h_first, login_for, logins, first, last)
            if login:
                p.key = login
        role = role or Role.member
        file_row = target.ref[1] if target is not None and target.ref[0] == "file" else None
        p.values = NewUser(p.key, email, ekey, first, last, language or (
            target.language if target is not None else default_language), tenant_id, file_row, role,
            tuple(sorted(access)) if access else ())
        if p.action != "error":
            p.action = "create"
            tenant_key = target.tenant_key if target is not None else None
            # read-only, so the users of one tenant and role share one
            p.changes = create_changes.get((tenant_key, role)) or create_changes.setdefault(
                (tenant_key, role), MappingProxyType({"tenant": [None, tenant_key], "role": [None, role]}))


def _note_titles(plan: Plan, table: Table, rownums: list[int],
                 *columns: tuple[tuple[str | None, ...], dict[Any, Any]]) -> None:
    """The plan names the names whose titles were dropped (checked per distinct value)."""
    dropped: list[tuple[int, Any, Any]] = []
    for raw, ok in columns:
        changed = {v for v, clean in ok.items() if v is not None and clean != " ".join(v.split())}
        if changed:
            dropped += [(rownums[i], v, ok[v]) for i, v in enumerate(raw) if v in changed]
    if dropped:
        dropped.sort()
        shown = ", ".join(f"{plan.ref(table.sheet, r)}: {v!r} → {c!r}" for r, v, c in dropped[:3])
        plan.notes.append(f"titles dropped from {len(dropped)} names ({shown}{', …' if len(dropped) > 3 else ''}); "
                          "tenantctl keeps no titles, and logins never contain them")


def _refer_to_first_row(p: RowPlan, first_row: int) -> None:
    """A stored person's further row (one person in several companies): the person's own changes
    (names, language) are planned once, by their first row; this row adds its company's
    membership, role and access, and says which row changes the person."""
    changes = dict(p.changes)
    own = [k for k in ("first_name", "last_name", "language") if k in changes]
    for k in own:
        del changes[k]
    if own:
        changes["same_person_as_row"] = [None, first_row]
    p.kind, p.changes = "membership", changes
    if p.action == "update" and not (changes.keys() - {"same_person_as_row"}):
        p.action, p.values = "unchanged", None


def _plan_membership(p: RowPlan, first: RowPlan, target: _Target | None, tenant_id: int | None, role: str,
                     access: set[int], name_row: Callable[[str, int], str]) -> None:
    p.kind, p.key = "membership", first.key
    if first.action == "error":
        p.error(None, f"the same person ({name_row(first.sheet, first.row)}) has errors")
    p.values = NewMembership(first.row, first.key, tenant_id,
                             target.ref[1] if target is not None and target.ref[0] == "file" else None, role,
                             tuple(sorted(access)))
    if p.action != "error":
        p.action = "create"
        p.changes = {"tenant": [None, target.tenant_key if target is not None else None], "role": [None, role]}


def _resolve_target(ctx: Ctx, snap: Snapshot, ref: tuple[str, Any], file_by_row: dict[int, FileTenant],
                    file_by_id: dict[int, FileTenant], store_bookings: dict[int, set[int]],
                    default_language: str, name_row: Callable[[str, int], str]) -> _Target:
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
    return _Target(ref, tenant_id, language, file_tenant, tenant_key, tuple(errors), booked, unmanaged)


def _plan_user_update(ctx: Ctx, snap: Snapshot, p: RowPlan, user: Any, opts: Options, h_email: str,
                      h_names: tuple[str, str],
                      user_ms: dict[int, tuple[int, str]], rights: set[tuple[int, int]], target: _Target | None,
                      tenant_id: int | None, first: str | None, last: str | None, language: str | None,
                      role: str | None, role_given: bool, access: set[int], email: str) -> None:
    """A row naming a user the store holds: what changes (names, language, membership, role, access)."""
    p.key = user.login
    p.target_id = user.id
    if opts.mode == "create":
        p.error(h_email, f"a user with e-mail {user.email} already exists (--mode create)")
    # the tenants that answer for the person: their memberships, or the one that released them
    homes = released_homes(user_ms, user.released_by_tenant_id)
    if snap.visible is not None and not (homes & snap.visible):
        p.error(h_email, f"a user with e-mail {email} already exists outside your tenants; "
                f"ask them to be added with tenantctl member add")
        return
    role = role or Role.member
    changes: dict[str, list[Any]] = {}
    for fname, new, old in (("first_name", first, user.first_name), ("last_name", last, user.last_name),
                            ("language", language, user.language)):
        if new is not None and new != old:
            changes[fname] = [old, new]
    for fname, column, what in (("first_name", h_names[0], "first name"), ("last_name", h_names[1], "last name")):
        if fname in changes and refuse_damaged(p, column, what, changes[fname][1], changes[fname][0]):
            del changes[fname]
    if changes and snap.managed is not None and not homes <= snap.managed:
        p.error(h_email, f"{ctx.actor.label} may not change user {user.login!r}: "
                "the user also belongs to tenants outside your scope")
    m = user_ms.get(tenant_id) if tenant_id is not None else None
    if m is None:
        changes["membership"] = [None, role]
        if snap.managed is not None and not (homes and homes <= snap.managed):  # as member add: consent first
            p.error(h_email, f"{user.login} also belongs to tenants outside your scope: adding them needs their "
                    "consent; send a member invitation (tenantctl invite create --kind member)")
    elif role_given and m[1] != role:
        changes["role"] = [m[1], role]
        if m[1] == Role.admin and tenant_id is not None and memberships.is_last_admin(ctx.session, user.id, tenant_id):
            p.error(h_email, f"{user.login} is the last admin of the tenant; first make another user admin")
    missing = sorted(a for a in access if (m[0], a) not in rights) if m is not None else sorted(access)
    if missing:
        changes["access"] = [None, [app_key(snap, a) for a in missing]]
    p.changes = changes
    if not changes:
        if p.action != "error":
            p.action = "unchanged"
        return
    p.values = UserChange(user.id, user.login, tenant_id,
                          target.ref[1] if target is not None and target.ref[0] == "file" else None,
                          m[0] if m is not None else None, role, m[1] if m is not None else None, missing,
                          {"first_name": user.first_name, "last_name": user.last_name, "language": user.language},
                          first, last, language)
    if p.action != "error":
        p.action = "update"

