"""`tenantctl apply`: a desired-state document, already turned into the import's row contract by
importers/document/, applied through the import engine (store/imports): all or nothing, every
problem at once, idempotent, recorded as a run that `import undo` reverts, in the actor's scope.

What the engine does not do lives here: tenants matched by external id, `--prune` (memberships
and bookings the document no longer lists, in tenants the actor manages; never users or tenants),
`--send-links=missing`, and the plan as document paths with created / changed / unchanged counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import col, select

from tenantctl.store import rules
from tenantctl.store.actor import managed_tenant_ids, visible_tenant_ids
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.desired import Desired
from tenantctl.store.enums import Role
from tenantctl.store.errors import Conflict
from tenantctl.store.models import (
    AccessRight,
    Application,
    ImportRun,
    ImportRunItem,
    Membership,
    Tenant,
    TenantApplication,
    User,
)
from tenantctl.store.rehearsal import rehearsed
from tenantctl.store.schemas import ts
from tenantctl.store.services import memberships

ACTION = {"create": "created", "update": "updated", "unchanged": "unchanged", "error": "error"}


@dataclass
class ApplyOptions:
    dry_run: bool = False
    prune: bool = False
    send_links: str | None = None          # None | "new" (users this apply creates) | "missing"


@dataclass
class Applied:
    outcome: Any                            # the engine's Outcome
    removals: list[dict[str, Any]] = field(default_factory=list)
    links: int = 0

    @property
    def rejected(self) -> bool:
        return bool(self.outcome.rejected)


def match_external_ids(ctx: Ctx, source: Any) -> None:
    """A tenant given only by external id (no key, no customer number) is the stored tenant with
    that id, if the actor can see one: its key is filled in for the engine."""
    table = source.tables.get("tenants")
    if table is None or "external_id" not in table.fields:
        return
    pos = {name: i for i, name in enumerate(table.names)}
    wanted = {v[pos["external_id"]] for _, v in table.rows
              if v[pos["external_id"]] and not v[pos["key"]] and not v[pos["customer_number"]]}
    if not wanted:
        return
    visible = visible_tenant_ids(ctx.session, ctx.actor)
    keys: dict[str, str] = {}
    for tid, key, ext in ctx.session.exec(select(Tenant.id, Tenant.key, Tenant.external_id)
                                          .where(col(Tenant.external_id).in_(sorted(wanted)))).all():
        if ext and (visible is None or tid in visible):
            keys.setdefault(ext, key)
    rows = []
    for rownum, values in table.rows:
        ext = values[pos["external_id"]]
        if ext in keys and not values[pos["key"]] and not values[pos["customer_number"]]:
            values = tuple(keys[ext] if i == pos["key"] else v for i, v in enumerate(values))
        rows.append((rownum, values))
    table.rows[:] = rows


def apply(ctx: Ctx, source: Any, desired: Desired, *, digest: str, opts: ApplyOptions,
          progress: Any = None) -> Applied:
    """The document applied: rows, prune, links. A dry run is this very apply, rolled back
    (store/rehearsal.py): its problems, plan and refusals are the real run's."""
    with rehearsed(ctx, opts.dry_run):
        applied = _apply(ctx, source, desired, digest=digest, opts=opts, progress=progress)
    if opts.dry_run:
        applied.outcome.rolled_back()
    return applied


def _apply(ctx: Ctx, source: Any, desired: Desired, *, digest: str, opts: ApplyOptions, progress: Any) -> Applied:
    from tenantctl.store.imports import engine
    from tenantctl.store.services.import_links import send_initial_links

    match_external_ids(ctx, source)
    outcome = engine.run(ctx, source, engine.Options(mode="upsert", run_mode="apply",
                                                     send_links=opts.send_links == "new"),
                         digest=digest, progress=progress, rows="changed", rows_limit=0,  # see result()
                         links=send_initial_links)
    applied = Applied(outcome)
    if outcome.rejected:
        return applied
    if opts.prune:
        applied.removals = _prune(ctx, outcome, desired)
    if opts.send_links == "missing":
        applied.links = _send_missing(ctx, desired)
    elif opts.send_links == "new":
        applied.links = int(outcome.result.get("links_queued", 0))
    return applied


# -- --prune ------------------------------------------------------------------------------------------

def _email_key(email: str | None) -> str:
    """The stored key of a listed address, as the import matched it (an IDN domain written in
    punycode, an upper-case domain): a listed person is never pruned as "not listed"."""
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.imports.checks import normalise_email

    try:
        return rules.email_key(normalise_email(email or ""))
    except InvalidInput:
        return (email or "").strip().casefold()


def _prune(ctx: Ctx, outcome: Any, desired: Desired) -> list[dict[str, Any]]:
    """Memberships and bookings of the document's tenants that it does not list, within the
    tenants the actor manages. Refused (nothing written) where it would leave a tenant without an
    admin or remove the acting user's own membership."""
    s = ctx.session
    keys = {r.row: r.key for r in outcome.plan.tenants if r.key}
    ref_keys = {m.tenant_key.strip().lower() for m in desired.memberships() if m.tenant_key}
    all_keys = sorted(set(keys.values()) | ref_keys)
    tenants = {t.key: t for t in s.exec(select(Tenant).where(col(Tenant.key).in_(all_keys))).all()} if all_keys \
        else {}
    managed = managed_tenant_ids(s, ctx.actor)

    def in_scope(t: Tenant | None) -> bool:
        return t is not None and (managed is None or t.id in managed)

    # what the document lists: (tenant id, e-mail key) and tenant id → application keys
    listed: set[tuple[int, str]] = set()
    for dm in desired.memberships():
        key = keys.get(dm.tenant_row) if dm.tenant_row is not None else (dm.tenant_key or "").strip().lower()
        t = tenants.get(key or "")
        if t is not None:
            listed.add((t.id, _email_key(dm.email)))  # type: ignore[arg-type]
    doc_tenants = {keys[d.row]: d for d in desired.tenants if d.row in keys}
    scope = [t for k, t in tenants.items() if k in doc_tenants and in_scope(t)]
    removals: list[dict[str, Any]] = []
    problems: list[str] = []
    apps = {a.id: a.key for a in s.exec(select(Application)).all()}
    for t in scope:
        rows = s.exec(select(Membership, User).join(User, col(User.id) == Membership.user_id)
                      .where(Membership.tenant_id == t.id).order_by(col(User.login))).all()
        admins_left = sum(1 for m, u in rows if m.role == Role.admin and (t.id, u.email_key) in listed)
        doomed = [(m, u) for m, u in rows if (t.id, u.email_key) not in listed]
        path = doc_tenants[t.key].path
        for m, u in doomed:
            if u.id == ctx.actor.user_id:
                problems.append(f"{path}: --prune would remove your own membership in {t.key!r} ({u.login}); "
                                "list yourself in the document")
                continue
            removals.append({"type": "membership", "path": path, "tenant": t.key, "key": f"{u.login}@{t.key}",
                             "role": m.role, "membership": m, "user": u, "tenant_row": t})
        if doomed and admins_left == 0 and any(m.role == Role.admin for m, _ in rows):
            problems.append(f"{path}: --prune would leave tenant {t.key!r} without an admin; list one of its "
                            "admins or give a listed user role admin")
        wanted_apps = doc_tenants[t.key].applications
        if wanted_apps is not None:
            wanted = {a.strip().lower() for a in wanted_apps}
            for b in s.exec(select(TenantApplication).where(TenantApplication.tenant_id == t.id)).all():
                if apps.get(b.application_id) not in wanted:
                    removals.append({"type": "booking", "path": path, "tenant": t.key,
                                     "key": f"{apps.get(b.application_id)}@{t.key}", "booking": b})
    if problems:
        raise Conflict(f"--prune refused: {'; '.join(problems)}", hint="nothing was written; fix the document",
                       details={"problems": problems})
    if removals:
        _remove(ctx, outcome.result.get("run"), removals)
    return [{k: v for k, v in r.items() if k not in {"membership", "user", "booking", "tenant_row"}}
            for r in removals]


def _remove(ctx: Ctx, run_id: int | None, removals: list[dict[str, Any]]) -> None:
    """Delete, with what undo needs to put each back (a membership with its access rights;
    store/imports/put_back.py)."""
    s = ctx.session
    items: list[dict[str, Any]] = []
    for r in removals:
        if r["type"] == "membership":
            m: Membership = r["membership"]
            rights = list(s.exec(select(AccessRight.application_id).where(AccessRight.membership_id == m.id)).all())
            items.append({"run_id": run_id, "object_type": "membership", "object_id": m.id, "action": "delete",
                          "before": {"user_id": m.user_id, "tenant_id": m.tenant_id, "role": m.role,
                                     "created_at": ts(m.created_at), "created_by": m.created_by,
                                     "access": rights}, "after": None})
            memberships.remove(ctx, m, r["user"], r["tenant_row"], via="apply --prune")
        else:
            b: TenantApplication = r["booking"]
            members = select(Membership.id).where(Membership.tenant_id == b.tenant_id)
            # the access rights to the application in this tenant go with the booking
            rights = list(s.exec(select(AccessRight.membership_id).where(
                AccessRight.application_id == b.application_id, col(AccessRight.membership_id).in_(members))).all())
            items.append({"run_id": run_id, "object_type": "tenant_application", "object_id": b.id, "action": "delete",
                          "before": {"tenant_id": b.tenant_id, "application_id": b.application_id,
                                     "created_at": ts(b.created_at), "created_by": b.created_by,
                                     "rights": rights}, "after": None})
            s.execute(delete(AccessRight).where(col(AccessRight.application_id) == b.application_id,
                                                col(AccessRight.membership_id).in_(members)))
            s.execute(delete(TenantApplication).where(col(TenantApplication.id) == b.id))
            record(s, ctx.actor, "app.unbook", "tenant_application", r["key"], b.tenant_id, via="apply --prune")
    if run_id is not None and items:
        s.execute(insert(ImportRunItem), items)
        run = s.get(ImportRun, run_id)
        if run is not None and run.state != "done":
            run.state = "done"  # something to undo
            s.add(run)
            ctx.committed = f"run {run_id} (undo: tenantctl import undo {run_id})"
    s.flush()


# -- --send-links=missing ---------------------------------------------------------------------------

def _send_missing(ctx: Ctx, desired: Desired) -> int:
    """Initial links for the document's users who have neither a password nor an open link: safe
    after an interrupted run (those who got a link keep it)."""
    from tenantctl.store.services import passwords

    emails = desired.emails
    users: list[User] = []
    for i in range(0, len(emails), 500):
        users += list(ctx.session.exec(select(User).where(col(User.email_key).in_(emails[i:i + 500]),
                                                          col(User.password_hash).is_(None),
                                                          User.status != "disabled")).all())
    holding = passwords.with_open_link(ctx.session, users)
    missing, outside = passwords.fully_managed(ctx, [u for u in users if u.id not in holding])
    if outside:  # a person who also belongs to tenants the actor does not manage is not theirs to mail
        ctx.warnings.append(f"--send-links=missing: no link for {outside} user(s) of the document who also "
                            "belong to tenants you do not manage (their admins or the operator can send one)")
    if missing:
        passwords.issue_links(ctx, missing, purpose="initial", deliver=True)
    return len(missing)


# -- the result -------------------------------------------------------------------------------------

def result(applied: Applied, source: Any, opts: ApplyOptions, limit: int | None = None) -> dict[str, Any]:
    """The plan (or what was done) as document paths with old → new, and counts per kind; at most
    `limit` changes listed (a fresh apply of 100,000 users is read as counts, or with --json)."""
    res = applied.outcome.result
    plan = applied.outcome.plan
    counts: dict[str, Counter[str]] = {
        "tenants": Counter(ACTION.get(r.action, r.action) for r in plan.tenants),
        "users": Counter(ACTION.get(r.action, r.action) for r in plan.users if r.kind != "membership"),
        # a person listed again for another tenant: the engine plans one more membership
        "memberships": Counter(ACTION.get(r.action, r.action) for r in plan.users if r.kind == "membership"),
        "bookings": Counter()}
    changes: list[dict[str, Any]] = []
    for r in plan.rows:
        if r.action not in {"create", "update"}:
            continue
        if limit is not None and len(changes) >= limit:
            break
        changes.append({"path": source.locate(r.sheet, r.row, None), "type": r.kind, "key": r.key,
                        "action": ACTION[r.action], "changes": {k: list(v) for k, v in r.changes.items()}})
    for r in applied.removals:
        kind = "memberships" if r["type"] == "membership" else "bookings"
        counts[kind]["deleted"] += 1
        changes.append({"path": r["path"], "type": r["type"], "key": r["key"], "action": "deleted",
                        "changes": {"role" if r["type"] == "membership" else "booking":
                                    [r.get("role", r["key"].split("@")[0]), None]}})
    out_counts = {k: {a: c.get(a, 0) for a in ("created", "updated", "unchanged", "deleted")}
                  for k, c in counts.items()}
    touched = any(c["created"] or c["updated"] or c["deleted"] for c in out_counts.values())
    return {"action": "updated" if touched else "unchanged", "dry_run": opts.dry_run, "run": res.get("run"),
            "counts": out_counts, "changes": changes, "links_queued": applied.links}
