"""A Source's rows planned against the store: tenants first (user rows may name them), then users."""

from __future__ import annotations

from tenantctl.store.context import Ctx
from tenantctl.store.imports.flat import split_contacts
from tenantctl.store.imports.plan import Options, Plan, Progress
from tenantctl.store.imports.plan_tenants import plan_tenants
from tenantctl.store.imports.plan_users import plan_users
from tenantctl.store.imports.rows import Source
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.unlisted import Unlisted


def build_plan(ctx: Ctx, source: Source, opts: Options, progress: Progress | None = None) -> Plan:
    from tenantctl.store.db import take_exclusive

    # one import at a time: two overlapping runs would plan the same new rows and the second
    # would fail deep in its write (PostgreSQL; SQLite's write lock serialises them already). A dry
    # run is the real run rolled back (store/rehearsal.py): it waits its turn as the real run would
    if not take_exclusive(ctx.session, "tenantctl import"):
        from tenantctl.store.errors import Conflict

        raise Conflict("another import is running on this store; this one changed nothing",
                       hint="run it again once the other import has finished")
    return _build_plan(ctx, source, opts, progress)


def _build_plan(ctx: Ctx, source: Source, opts: Options, progress: Progress | None) -> Plan:
    snap = Snapshot(ctx)
    plan = Plan(file_problems=list(source.problems), ref=source.row_ref)
    contacts = source.tables.pop("contacts", None)
    if contacts is not None:  # a flat contact list: companies and people from the same rows
        split = split_contacts(contacts)
        source.tables.update(tenants=split.tenants, users=split.users)
        plan.notes.extend(split.notes)
        plan.file_problems.extend(split.problems)
    for table in source.tables.values():
        plan.notes.extend(table.notes)
    users = source.tables.get("users")
    padded_refs = ({v for v in users.distinct("tenant") if v[0] == "0" and v.isdigit()} if users
                   else source.padded_refs)
    file_tenants = plan_tenants(ctx, snap, source.tables.get("tenants"), opts, plan, padded_refs,
                                contacts is not None)
    unlisted = Unlisted(source)  # stored people the file leaves out: counted once the rows are planned
    plan_users(ctx, snap, source.tables.get("users"), opts, plan, file_tenants, progress)
    if contacts is not None:
        _companies_without_people(plan)
    plan.notes.extend(unlisted.notes(ctx, snap, plan, opts))
    # cell-level problems found while reading belong to their rows
    placed = [p for p in plan.file_problems if p.row is not None]
    rows = {(r.sheet, r.row): r for r in plan.rows} if placed else {}
    for p in placed:
        if p.row is not None and (p.sheet, p.row) in rows:
            rows[(p.sheet, p.row)].error(p.column, p.message)
            plan.file_problems.remove(p)
    _once_per_place(plan, source)
    return plan


def _companies_without_people(plan: Plan) -> None:
    """A skipped row writes nothing at all: a contact list's new company is created only for a
    person row that is written, never for rows that are all refused (a report's footer, a
    `Copyright (c) …` line, a reseller listed as its own customer)."""
    wanted = {getattr(r.values, "tenant_row", None) for r in plan.users if r.action in {"create", "update"}}
    for t in plan.tenants:
        if t.action == "create" and t.row not in wanted:
            t.error(None, f"company {t.label!r} is not created: none of its people can be imported "
                    "(see their problems)")


def _once_per_place(plan: Plan, source: Source) -> None:
    """Each problem once per place: a place the reader already found wrong (a document's schema:
    `role: boss`) is not reported again by the rules here, and the same message at the same place
    (the users of one broken tenant) is said once. The rows stay refused."""
    read = {source.locate(p.sheet, p.row, p.column) for p in plan.file_problems}
    seen: set[tuple[str, str]] = set()
    for r in plan.rows:
        if not r.errors:
            continue
        kept = []
        for column, message in r.errors:
            place = source.locate(r.sheet, r.row, column)
            if place in read or (place, message) in seen:
                continue
            seen.add((place, message))
            kept.append((column, message))
        r.errors = tuple(kept)
