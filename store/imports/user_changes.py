"""A user row that names a stored user (what changes: names, language, membership, role, access),
a stored person's further row, and a further membership of a person the file creates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenantctl.store.actor import released_homes
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Role
from tenantctl.store.imports.checks import refuse_damaged
from tenantctl.store.imports.plan import NewMembership, Options, RowPlan, UserChange
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_changes import app_key
from tenantctl.store.imports.user_targets import Target
from tenantctl.store.last_admin import is_last_admin


def refer_to_first_row(p: RowPlan, first_row: int) -> None:
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


def plan_membership(p: RowPlan, first: RowPlan, target: Target | None, tenant_id: int | None, role: str,
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



def plan_user_update(ctx: Ctx, snap: Snapshot, p: RowPlan, user: Any, opts: Options, h_email: str,
                      h_names: tuple[str, str],
                      user_ms: dict[int, tuple[int, str]], rights: set[tuple[int, int]], target: Target | None,
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
        if m[1] == Role.admin and tenant_id is not None and is_last_admin(ctx.session, user.id, tenant_id):
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
