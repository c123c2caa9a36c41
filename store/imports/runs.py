"""Import runs: the record of each run, listing and showing them, and undo."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col

from tenantctl.store.actor import labels_of_clause, person_of, require_current_rights
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.errors import Conflict, InvalidInput, NotFound
from tenantctl.store.imports.checks import chunks, select
from tenantctl.store.imports.plan import Options, Plan
from tenantctl.store.imports.put_back import put_back
from tenantctl.store.imports.rows import Source
from tenantctl.store.models import (
    AccessRight,
    Connection,
    ImportRun,
    ImportRunItem,
    Invitation,
    Membership,
    PasswordLink,
    Tenant,
    TenantApplication,
    User,
)
from tenantctl.store.types import utcnow


def ranges(ids: Iterable[int]) -> list[list[int]]:
    """[1,2,3,7] → [[1,3],[7,7]]: created ids are mostly contiguous, so undo data stays small."""
    ordered = sorted(ids)
    if ordered and ordered[-1] - ordered[0] == len(ordered) - 1:  # distinct ids: one range
        return [[ordered[0], ordered[-1]]]
    out: list[list[int]] = []
    for i in ordered:
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def expand(ranges: list[list[int]]) -> list[int]:
    return [i for a, b in ranges for i in range(a, b + 1)]



def _run_out(run: ImportRun) -> dict[str, Any]:
    from tenantctl.store.schemas import ts

    return {"id": run.id, "file": run.file_name, "file_hash": run.file_hash, "actor": run.actor, "mode": run.mode,
            "state": run.state, "counts": run.counts, "started_at": ts(run.started_at),
            "finished_at": ts(run.finished_at)}


def _visible_run(ctx: Ctx, run: ImportRun | None, ident: Any) -> ImportRun:
    # a run is its person's, whether made with --as, a password login or any of their API tokens
    if run is None or not (ctx.actor.is_operator or person_of(run.actor) == person_of(ctx.actor.label)):
        raise NotFound(f"import run {ident} not found", hint="see tenantctl import list")
    return run


def list_runs(ctx: Ctx, limit: int | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    stmt = select(ImportRun).order_by(col(ImportRun.id).desc())
    if not ctx.actor.is_operator:
        stmt = stmt.where(labels_of_clause(ImportRun.actor, ctx.actor.label))
    runs = list(ctx.session.scalars(stmt).all())
    total = len(runs)
    page = runs[offset:offset + limit] if limit else runs[offset:]
    return [_run_out(r) for r in page], total


def get_run(ctx: Ctx, run_id: int) -> ImportRun:
    return _visible_run(ctx, ctx.session.get(ImportRun, run_id), run_id)


def show_run(ctx: Ctx, run_id: int) -> dict[str, Any]:
    run = get_run(ctx, run_id)
    items = ctx.session.scalars(select(ImportRunItem).where(ImportRunItem.run_id == run.id)).all()
    created: dict[str, int] = {}
    updated: list[dict[str, Any]] = []
    for item in items:
        if item.action == "create_many":
            created[item.object_type] = len(expand(item.after["ids"]))
        else:
            updated.append({"type": item.object_type, "id": item.object_id, "before": item.before,
                            "after": item.after})
    return {**_run_out(run), "problems": run.problems, "created": created, "updated": updated}


# A refused run keeps at most this many problems, each message cut to MAX_PROBLEM_CHARS, and counts
# the rest (counts.problems_not_stored): the record stays small whatever the file held.
MAX_STORED_PROBLEMS = 1000
MAX_PROBLEM_CHARS = 500


def stored_problems(problems: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """(the problems a run keeps, how many more there were)."""
    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_PROBLEM_CHARS:
            return value[:MAX_PROBLEM_CHARS - 1] + "…"
        return value

    kept = [{k: cut(v) for k, v in p.items()} for p in problems[:MAX_STORED_PROBLEMS]]
    return kept, max(0, len(problems) - MAX_STORED_PROBLEMS)


def record_rejected(ctx: Ctx, plan: Plan, *, source: Source, digest: str, opts: Options) -> int:
    """A refused run is recorded too (nothing else is written), so `import show` lists its problems."""
    kept, rest = stored_problems(plan.problems())
    counts = {**plan.counts(), **({"problems_not_stored": rest} if rest else {})}
    run = ImportRun(file_name=source.name, file_hash=digest, actor=ctx.actor.label, mode=opts.recorded_mode,
                    state="rejected", counts=counts, problems=kept, finished_at=utcnow())
    ctx.session.add(run)
    ctx.session.flush()
    return int(run.id or 0)


UNDO_ORDER = ("access_right", "membership", "tenant_application", "user", "connection", "tenant")
MODELS: dict[str, Any] = {"access_right": AccessRight, "membership": Membership,
                          "tenant_application": TenantApplication, "user": User, "connection": Connection,
                          "tenant": Tenant}


def _later_references(s: Any, created: dict[str, set[int]]) -> list[str]:
    """Records made after the run that point at what it created (an invitation from a created
    tenant, a connection the run did not make): deleting would break them, so undo names them."""
    tenants, users = created.get("tenant", set()), created.get("user", set())
    out: list[str] = []

    def name(model: Any, ref: int) -> str:
        obj = s.get(model, ref)
        return f"{'user' if model is User else 'tenant'} {getattr(obj, 'login', None) or getattr(obj, 'key', ref)}"

    for fk in ("from_tenant_id", "accepted_tenant_id", "invited_by_user_id"):
        ids = users if fk == "invited_by_user_id" else tenants
        for chunk in chunks(sorted(ids)):
            for inv_id, ref in s.execute(select(Invitation.id, getattr(Invitation, fk))
                                         .where(col(getattr(Invitation, fk)).in_(chunk))).all():
                model = User if fk == "invited_by_user_id" else Tenant
                out.append(f"invitation {inv_id} (made after the import; refers to {name(model, ref)})")
    for fk in ("reseller_id", "customer_id"):
        for chunk in chunks(sorted(tenants)):
            for conn_id, ref in s.execute(select(Connection.id, getattr(Connection, fk))
                                          .where(col(getattr(Connection, fk)).in_(chunk))).all():
                if conn_id not in created.get("connection", set()):
                    out.append(f"connection {conn_id} (made after the import; refers to {name(Tenant, ref)})")
    return out


def undo_run(ctx: Ctx, run_id: int, *, dry_run: bool = False) -> dict[str, Any]:
    """Remove what the run created and restore what it changed; refuse (naming the objects) where a
    later change would be lost. `dry_run`: the same checks and counts, nothing changed. Either way
    `links_sent` counts the password links already mailed to the users it removes: they stop working."""
    s = ctx.session
    run = get_run(ctx, run_id)
    if run.state not in {"done"}:
        raise InvalidInput(f"import run {run_id} is {run.state}: nothing to undo")
    items = list(s.scalars(select(ImportRunItem).where(ImportRunItem.run_id == run.id)).all())
    created = {i.object_type: set(expand(i.after["ids"])) for i in items if i.action == "create_many"}
    updates = [i for i in items if i.action == "update"]
    touched = {t: set(ids) for t, ids in created.items()}
    for i in updates:
        touched.setdefault(i.object_type, set()).add(i.object_id)
    require_current_rights(s, ctx.actor, touched)  # rights now, not when the run was made
    blockers = _created_since(s, created, run.finished_at)
    restores = _restores(s, updates, blockers)
    if blockers:
        shown = "; ".join(dict.fromkeys(blockers))
        raise Conflict(f"cannot undo import run {run_id}: later changes would be lost: {shown[:1500]}",
                       hint="undo or revert those changes first")
    links_sent = _live_links_sent(s, created.get("user", set()))
    counts = _remove_and_restore(s, created, restores, dry_run=dry_run)
    removed = [i for i in items if i.action == "delete"]  # what `apply --prune` removed
    if removed and dry_run:
        counts["put_back"] = len(removed)
    elif removed:
        counts["put_back"] = put_back(ctx, removed)
    if dry_run:
        return {**_run_out(run), "undone": counts, "links_sent": links_sent, "dry_run": True}
    run.state = "undone"
    s.add(run)
    s.flush()
    record(s, ctx.actor, "import.undo", "import_run", str(run.id), None, file=run.file_name, **counts)
    return {**_run_out(run), "undone": counts, "links_sent": links_sent, "dry_run": False}


def _created_since(s: Any, created: dict[str, set[int]], finished: Any) -> list[str]:
    """What happened since the run to what it created: each a reason the undo would lose a change."""
    blockers: list[str] = []

    def later(model: Any, ids: set[int]) -> list[Any]:
        out: list[Any] = []
        for chunk in chunks(sorted(ids)):
            out += list(s.scalars(select(model).where(col(model.id).in_(chunk))).all())
        return out

    # created users that were used or changed since
    for u in later(User, created.get("user", set())):
        if u.password_hash or u.last_login_at or (u.updated_at and finished and u.updated_at > finished):
            blockers.append(f"user {u.login} (changed or used since the import)")
    # created tenants/users that gained memberships, bookings or connections the run did not create
    for model, fk, own in ((Membership, "tenant_id", "membership"), (Membership, "user_id", "membership"),
                           (TenantApplication, "tenant_id", "tenant_application")):
        parent = created.get("tenant" if fk == "tenant_id" else "user", set())
        for chunk in chunks(sorted(parent)):
            rows = s.exec(select(model.id, getattr(model, fk)).where(col(getattr(model, fk)).in_(chunk))).all()
            for rid, pid in rows:
                if rid not in created.get(own, set()):
                    what = "tenant" if fk == "tenant_id" else "user"
                    blockers.append(f"{what} id {pid} has a {own.replace('_', ' ')} added after the import")
    blockers += _later_references(s, created)
    for t in later(Tenant, created.get("tenant", set())):
        if t.updated_at and finished and t.updated_at > finished:
            blockers.append(f"tenant {t.key} (changed since the import)")
    return blockers


def _restores(s: Any, updates: list[Any], blockers: list[str]) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(model, object, its values before the run) of each object the run changed; one deleted or
    changed since is added to the blockers."""
    restores: list[tuple[Any, Any, dict[str, Any]]] = []
    for item in updates:
        model = MODELS[item.object_type]
        obj = s.get(model, item.object_id)
        if obj is None:
            blockers.append(f"{item.object_type} id {item.object_id} (deleted since the import)")
            continue
        current = {k: getattr(obj, k) for k in item.after}
        if current != item.after:
            name = getattr(obj, "key", None) or getattr(obj, "login", None) or f"id {obj.id}"
            blockers.append(f"{item.object_type} {name} (changed since the import: {', '.join(item.after)})")
        restores.append((model, obj, item.before or {}))
    return restores


def _remove_and_restore(s: Any, created: dict[str, set[int]], restores: list[tuple[Any, Any, dict[str, Any]]], *,
                        dry_run: bool) -> dict[str, int]:
    """Delete what the run created (dependants first) and put back what it changed; the counts
    either way (dry_run: nothing changed)."""
    counts: dict[str, int] = {}
    for object_type in UNDO_ORDER:
        ids = sorted(created.get(object_type, set()))
        model = MODELS[object_type]
        for chunk in chunks(ids) if not dry_run else ():
            s.execute(delete(model).where(col(model.id).in_(chunk)))
        if ids:
            counts[f"{object_type}s_removed"] = len(ids)
    for model, obj, before in restores if not dry_run else ():
        s.execute(update(model).where(col(model.id) == obj.id).values(**before))
    counts["restored"] = len(restores)
    return counts


def _live_links_sent(s: Any, user_ids: set[int]) -> int:
    """Password links of these users that were mailed (their token minted) and still work."""
    n = 0
    for chunk in chunks(sorted(user_ids)):
        n += s.scalar(select(func.count()).select_from(PasswordLink).where(
            col(PasswordLink.user_id).in_(chunk), col(PasswordLink.token_hash).is_not(None),
            col(PasswordLink.used_at).is_(None), col(PasswordLink.voided_at).is_(None),
            PasswordLink.expires_at > utcnow())) or 0
    return n

