"""The stored people a file leaves out. An import only adds and updates: a person deleted from the
spreadsheet stays in the store, and importing the file again says nothing about them. The plan
counts them, so that a support agent who deleted rows to remove people learns it did not, and where
the removal is done (`apply --prune`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from store.context import Ctx
from store.imports.checks import BULK_LOAD, chunks, select
from store.imports.plan import Options, Plan
from store.imports.rows import Source, Table
from store.models import Membership, User
from store.nfc import nfc
from store.rules import email_key

PRUNE_DOC = "docs/apply.md"


class Unlisted:
    """Made before the users are planned (the planner frees the rows it has read), asked after."""

    def __init__(self, source: Source) -> None:
        users = source.tables.get("users")
        self.lists_people = users is not None  # a users sheet, a flat contact list: not a tenants-only file
        # the users' tenant cells, for a person in several tenants (the planner frees the rows)
        self.cells = _tenant_cells(users) if users is not None else ([], [])

    def notes(self, ctx: Ctx, snap: Any, plan: Plan, opts: Options) -> list[str]:
        """ "N stored users of these tenants are not in the file (…)", or nothing. `apply` reports
        what its own --prune removes."""
        n = self.count(ctx, snap, plan) if self.lists_people and opts.run_mode != "apply" else 0
        if not n:
            return []
        who = "1 stored user of these tenants is" if n == 1 else f"{n:,} stored users of these tenants are"
        return [f"{who} not in the file; importing adds and updates, it never removes "
                f"(tenantctl apply --prune removes people not listed; see {PRUNE_DOC})"]

    def count(self, ctx: Ctx, snap: Any, plan: Plan) -> int:
        """Stored users with a membership in a tenant the file touches (one the actor can see) that
        no row of the file names."""
        # a big file (a re-run of 100,000 people): the memberships in one scan, read once for both
        # questions below, instead of IN-lists or two scans
        pairs = list(snap._scan("SELECT user_id, tenant_id FROM membership")) if len(plan.users) > BULK_LOAD else None
        touched = {t for t in self._touched(snap, plan, pairs) if snap.is_visible(t)}
        if not touched:
            return 0
        named = {r.target_id for r in plan.users if r.target_id is not None}
        members = ({u for u, t in pairs if t in touched} if pairs is not None else _members(ctx, touched)) - named
        if not members:
            return 0
        # a row refused before it was matched still names its person by address
        addresses = {email_key(r.label) for r in plan.users if r.target_id is None and r.label}
        if addresses:
            members -= {uid for uid, key in _email_keys(ctx, members) if key in addresses}
        return len(members)

    def _touched(self, snap: Any, plan: Plan, pairs: list[tuple[int, int]] | None) -> set[int]:
        """The stored tenants the file's rows are about: matched tenant rows (a tenants sheet, a
        contact list's companies) and the tenants of the user rows."""
        out = {r.target_id for r in plan.tenants if r.target_id is not None}
        unresolved: dict[int, int] = {}  # row number → user id: an unchanged row carries no tenant
        for r in plan.users:
            tenant_id = getattr(r.values, "tenant_id", None)
            if tenant_id is not None:
                out.add(tenant_id)
            elif r.values is None and r.target_id is not None:
                unresolved[r.row] = r.target_id
        if not unresolved:
            return out
        of_user: dict[int, set[int]] = {}
        if pairs is None:
            of_user = {uid: set(ms) for uid, ms in snap.memberships(list(set(unresolved.values()))).items()}
        else:
            wanted = set(unresolved.values())
            for u, t in pairs:
                if u in wanted:
                    of_user.setdefault(u, set()).add(t)
        several = {row for row, uid in unresolved.items() if len(of_user.get(uid, ())) > 1}
        refs = {n: v for n, v in zip(*self.cells, strict=True) if n in several and v} if several else {}
        for row, uid in unresolved.items():
            tenants = of_user.get(uid, set())
            if len(tenants) == 1:
                out |= tenants
            elif row in refs:  # a person in several tenants: the one the row's tenant cell names
                out |= {t for t in tenants if _names(snap, t, refs[row])}
        return out


def _names(snap: Any, tenant_id: int, ref: str) -> bool:
    """Does a tenant cell name this stored tenant (its key, name or customer number)?"""
    tenant = snap.tenants.get(tenant_id)
    if tenant is None:
        return False
    ref = nfc(ref.strip())
    if ref == tenant.key or ref.casefold() == nfc(tenant.name).casefold():
        return True
    numbers = {c.customer_number for c in snap.conns.get(tenant_id, ()) if c.customer_number}
    return ref in numbers or (ref.isdigit() and ref.lstrip("0") in {n.lstrip("0") for n in numbers})


def _tenant_cells(users: Table) -> tuple[list[int], list[str | None]]:
    """(row numbers, the rows' tenant cells): two lists of references to the rows' own objects."""
    if "tenant" not in users.fields:
        return [], []
    if not users.rows and users.columns is not None:  # a reader that built columns only
        return users.columns["_row"].to_list(), users.columns["tenant"].to_list()
    return [n for n, _ in users.rows], users.column("tenant")


def _members(ctx: Ctx, tenants: set[int]) -> set[int]:
    """The users with a membership in these tenants (a small file: IN-lists)."""
    conn = ctx.session.connection()
    stmt = select(Membership.user_id)
    return {u for chunk in chunks(sorted(tenants)) for (u,) in conn.execute(
        stmt.where(col(Membership.tenant_id).in_(chunk)))}


def _email_keys(ctx: Ctx, user_ids: set[int]) -> list[tuple[int, str]]:
    conn = ctx.session.connection()
    stmt = select(User.id, User.email_key)
    return [(u, k) for chunk in chunks(sorted(user_ids)) for u, k in conn.execute(stmt.where(col(User.id).in_(chunk)))]
