"""The stored people a file leaves out. An import only adds and updates: a person deleted from the
spreadsheet stays in the store, and importing the file again says nothing about them. The plan
counts them, so that a support agent who deleted rows to remove people learns it did not, and where
the removal is done (`apply --prune`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from tenantctl.store.context import Ctx
from tenantctl.store.imports.checks import chunks, select
from tenantctl.store.imports.plan import Options, Plan
from tenantctl.store.imports.rows import Source
from tenantctl.store.models import Membership, User
from tenantctl.store.nfc import nfc
from tenantctl.store.rules import email_key

PRUNE_DOC = "docs/apply.md"
# tenants above which their members are found by one scan of the membership table (100,000 members
# of 10,000 tenants: 0.74 s as IN-lists through SQLAlchemy, 0.25 s as a scan, on a loaded machine)
SCAN_ABOVE = 500


class Unlisted:
    """Made before the users are planned (the planner frees the rows it has read), asked after."""

    def __init__(self, source: Source) -> None:
        users = source.tables.get("users")
        self.lists_people = users is not None  # a users sheet, a flat contact list: not a tenants-only file
        # the users' tenant cells, each once (an unchanged row's plan does not say its tenant)
        self.refs = users.distinct("tenant") if users is not None else set()

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
        touched = {t for t in self._touched(snap, plan) if snap.is_visible(t)}
        if not touched:
            return 0
        named = {r.target_id for r in plan.users if r.target_id is not None}
        members = _members(ctx, snap, touched) - named
        if not members:
            return 0
        # a row refused before it was matched still names its person by address
        addresses = {email_key(r.label) for r in plan.users if r.target_id is None and r.label}
        if addresses:
            members -= {uid for uid, key in _email_keys(ctx, members) if key in addresses}
        return len(members)

    def _touched(self, snap: Any, plan: Plan) -> set[int]:
        """The stored tenants the file is about: matched tenant rows (a tenants sheet, a contact
        list's companies), the tenants of the planned user rows, and the stored tenants the users'
        tenant cells name (an unchanged row carries no tenant). Per distinct cell, not per row."""
        out = {r.target_id for r in plan.tenants if r.target_id is not None}
        out.update(t for r in plan.users if (t := getattr(r.values, "tenant_id", None)) is not None)
        unpadded: dict[str, set[int]] | None = None
        for ref in self.refs:
            ref = nfc(ref.strip())
            key = snap.by_key.get(ref.lower())
            found = {key.id} if key is not None else (
                {c.customer_id for c in snap.by_number(ref)} or {t.id for t in snap.by_name(ref)})
            if not found and ref.isdigit():  # a number that lost its leading zeros in Excel
                if unpadded is None:
                    unpadded = {}
                    for (_, digits), conns in snap.padded.items():
                        unpadded.setdefault(digits, set()).update(c.customer_id for c in conns)
                found = unpadded.get(ref.lstrip("0"), set())
            visible = [t for t in found if snap.is_visible(t)]
            if len(visible) == 1:  # an ambiguous cell is the row's problem, not a tenant it is about
                out.add(visible[0])
        return out


def _members(ctx: Ctx, snap: Any, tenants: set[int]) -> set[int]:
    """The users with a membership in these tenants."""
    if len(tenants) > SCAN_ABOVE:  # many members: one scan through the driver beats IN-lists of Row objects
        return {u for u, t in snap._scan("SELECT user_id, tenant_id FROM membership") if t in tenants}
    conn = ctx.session.connection()
    stmt = select(Membership.user_id)
    return {u for chunk in chunks(sorted(tenants)) for (u,) in conn.execute(
        stmt.where(col(Membership.tenant_id).in_(chunk)))}


def _email_keys(ctx: Ctx, user_ids: set[int]) -> list[tuple[int, str]]:
    conn = ctx.session.connection()
    stmt = select(User.id, User.email_key)
    return [(u, k) for chunk in chunks(sorted(user_ids)) for u, k in conn.execute(stmt.where(col(User.id).in_(chunk)))]
