"""Writing a plan: set-based, in the command's one transaction (a dry-run writes in a savepoint and
rolls it back), every created id and changed value recorded for undo."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import col

from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState, TenantStatus, UserStatus
from tenantctl.store.imports.checks import select
from tenantctl.store.imports.plan import (
    NewMembership,
    NewTenant,
    NewUser,
    Options,
    Plan,
    Progress,
    RowPlan,
    TenantChange,
    UserChange,
)
from tenantctl.store.imports.rows import Source
from tenantctl.store.imports.runs import ranges
from tenantctl.store.models import (
    AccessRight,
    Connection,
    ImportRun,
    ImportRunItem,
    Membership,
    Tenant,
    TenantApplication,
    User,
)
from tenantctl.store.types import utcnow


def _table(model: Any) -> Any:
    return model.__table__


def _new_ids(ctx: Ctx, table: Any, n: int) -> Sequence[int]:
    """Ids for n new rows, inserted explicitly so that the writer knows them without reading them
    back. SQLite: the command's transaction took the write lock at its start (BEGIN IMMEDIATE), so
    the n ids above the table's highest are ours (the ones SQLite would pick itself). PostgreSQL:
    drawn from the column's sequence, as the column default would draw them."""
    if not n:
        return range(0)
    conn = ctx.session.connection()
    if conn.dialect.name == "sqlite":
        top = int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
        return range(top + 1, top + 1 + n)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        # the sequence looked up once (in FROM), not per row: 4x faster
        cursor.execute("SELECT nextval(seq::regclass) FROM pg_get_serial_sequence(%s, 'id') seq, "
                       "generate_series(1, %s)", (table.name, n))
        return [i for (i,) in cursor.fetchall()]
    finally:
        cursor.close()


def _insert(ctx: Ctx, table: Any, ids: Sequence[int], columns: dict[str, Iterable[Any]],
            same: dict[str, Any]) -> None:
    """Insert rows with the given ids in one executemany (PostgreSQL: one COPY) on the DBAPI
    connection of the command's transaction, without per-row SQLAlchemy overhead (Core executemany
    costs ~2x raw). `columns` holds one value per row, `same` one value for all rows.
    Values pass the columns' own bind processors, so dates are stored exactly as SQLAlchemy stores
    them; a value in `same` is converted once. The row tuples are zipped lazily from the columns."""
    if not ids:
        return
    conn = ctx.session.connection()
    dialect = conn.dialect
    names = ["id", *columns, *same]
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    params: list[Iterable[Any]] = [ids]

    def processor(name: str) -> Any:
        # the dialect's own type (SQLite's DATETIME), as SQLAlchemy binds it: the generic type has
        # no processor, and sqlite3's deprecated default adapter then formatted each of 230,000
        # datetimes per row (~0.3 s of a 100,000-row import, measured)
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    for name, values in columns.items():
        proc = processor(name)
        params.append(values if proc is None else map(proc, values))
    for name, value in same.items():
        proc = processor(name)
        params.append(repeat(value if proc is None else proc(value), len(ids)))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "postgresql":
            # COPY: one stream instead of a statement per row (the users and memberships of a
            # 100,000-row import: ~4x faster than psycopg's executemany, measured)
            with cursor.copy(f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN") as copy:
                for row in zip(*params, strict=True):
                    copy.write_row(row)
        else:
            cursor.executemany(sql, zip(*params, strict=True))
    finally:
        cursor.close()


WRITE_CACHE_KIB = 65_536


@contextmanager
def _write_cache(ctx: Ctx) -> Iterator[None]:
    """A bigger SQLite page cache while the rows are inserted: 100,000 users and memberships touch
    their tables' and indexes' pages again and again, and the default 2 MB cache spills them
    (the insert takes ~20% less with 64 MB, measured). Restored afterwards; PostgreSQL: nothing."""
    conn = ctx.session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


def execute(ctx: Ctx, plan: Plan, *, source: Source, digest: str, opts: Options,
            progress: Progress | None = None, rows: str = "all", rows_limit: int | None = None) -> dict[str, Any]:
    """Record the run and write every planned create and update (a dry run rolls all of it back:
    store/rehearsal.py). Returns the result;
    rows: "all" (every row's plan), "changed" (not unchanged) — at most rows_limit of them."""
    s, actor = ctx.session, ctx.actor
    from tenantctl.store.imports.runs import stored_problems

    kept, rest = stored_problems(plan.problems())
    counts = {**plan.counts(), **({"problems_not_stored": rest} if rest else {})}
    run = ImportRun(file_name=source.name, file_hash=digest, actor=actor.label, mode=opts.recorded_mode,
                    state="running", counts=counts, problems=kept)
    s.add(run)
    s.flush()
    with _write_cache(ctx):
        created_users = _Writer(ctx, run).write(plan, progress)
    changed = any(r.action in {"create", "update"} for r in plan.rows)
    skipped = sum(1 for r in plan.rows if r.action == "error")
    run.state = "done" if changed else "unchanged"
    run.finished_at = utcnow()
    s.add(run)
    s.flush()
    if changed:
        record(s, actor, "import.run", "import_run", str(run.id), None, file=source.name, file_hash=digest,
               mode=opts.recorded_mode, **{k: v for k, v in counts.items() if v})
    out: dict[str, Any] = {"run": run.id, "file": source.name, "file_hash": digest,
           "dry_run": False, "mode": opts.recorded_mode, "state": run.state,
           "counts": counts, "skipped": skipped, "created_user_ids": created_users,
           "problems": plan.problems(), "rows": rows_out(plan, rows, rows_limit)}
    if plan.notes:
        out["notes"] = plan.notes
    return out


def rows_out(plan: Plan, which: str, limit: int | None) -> list[dict[str, Any]]:
    """The rows to show. Capped (a table on a terminal): every error row first, then the rest up
    to the cap, so that a dry-run never hides an error behind 200 good rows (issue 10, class 5)."""
    if limit is None:
        return [r.out() for r in plan.rows if which == "all" or r.action != "unchanged"]
    out = [r.out() for r in plan.rows if r.action == "error"]
    for r in plan.rows:
        if len(out) >= limit:
            break
        if r.action != "error" and (which == "all" or r.action != "unchanged"):
            out.append(r.out())
    return out


def _of(rows: Iterable[RowPlan], action: str, payload: type[Any]) -> list[Any]:
    """The payloads of one kind among the rows planned with `action`."""
    return [r.values for r in rows if r.action == action and isinstance(r.values, payload)]


class _Writer:
    def __init__(self, ctx: Ctx, run: ImportRun) -> None:
        self.ctx, self.s, self.run = ctx, ctx.session, run
        self.label, self.now = ctx.actor.label, utcnow()
        self.stamp = {"created_at": self.now, "created_by": self.label}
        self.items: list[dict[str, Any]] = []

    def create(self, object_type: str, model: Any, n: int, columns: dict[str, Iterable[Any]],
               same: dict[str, Any]) -> Sequence[int]:
        """Insert n rows (columns: one value per row); their new ids in row order, recorded for undo."""
        table = _table(model)
        ids = _new_ids(self.ctx, table, n)
        _insert(self.ctx, table, ids, columns, same)
        if ids:
            self.items.append({"run_id": self.run.id or 0, "object_type": object_type, "object_id": 0,
                               "action": "create_many", "before": None, "after": {"ids": ranges(ids)}})
        return ids

    def changed(self, object_type: str, object_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.items.append({"run_id": self.run.id or 0, "object_type": object_type, "object_id": object_id,
                           "action": "update", "before": before, "after": after})

    def write(self, plan: Plan, progress: Progress | None) -> Sequence[int]:
        row_tenant = self.tenants(plan, progress)
        user_ids = self.users(plan, progress, row_tenant)
        if self.items:
            self.s.execute(insert(_table(ImportRunItem)), self.items)
        return user_ids

    def tenants(self, plan: Plan, progress: Progress | None) -> dict[int, int]:
        """New tenants, their connections and bookings; changed tenants. {file row: new tenant id}."""
        s, ctx, run = self.s, self.ctx, self.run
        new_rows = [r for r in plan.tenants if r.action == "create"]
        if progress:
            progress("writing tenants", 0, len(new_rows))
        new: list[NewTenant] = _of(new_rows, "create", NewTenant)
        keys = [v.key for v in new]
        tenant_ids = self.create("tenant", Tenant, len(new), {
            "key": keys, "name": [v.name for v in new], "kind": [v.kind for v in new],
            "language": [v.language for v in new], "external_id": [v.external_id for v in new]},
            {"status": TenantStatus.active, **self.stamp})
        id_of_key = dict(zip(keys, tenant_ids, strict=True))
        row_tenant = {r.row: i for r, i in zip(new_rows, tenant_ids, strict=True)}
        conns = []
        for v, tid in zip(new, tenant_ids, strict=True):
            reseller_id = v.reseller_id
            if reseller_id is None and v.reseller_key:  # a customer under a reseller created in this file
                reseller_id = id_of_key.get(v.reseller_key)
            if reseller_id is not None:
                conns.append((reseller_id, tid, v))
        self.create("connection", Connection, len(conns), {
            "reseller_id": [c[0] for c in conns], "customer_id": [c[1] for c in conns],
            "customer_number": [c[2].customer_number for c in conns], "currency": [c[2].currency for c in conns],
            "billing": [c[2].billing for c in conns]},
            {"state": ConnectionState.active, "approved_by": self.label, "approved_at": self.now, **self.stamp})
        bookings = [(tid, a) for v, tid in zip(new, tenant_ids, strict=True) for a in v.apps]
        for r in plan.tenants:
            change = r.values
            if r.action != "update" or not isinstance(change, TenantChange):
                continue
            tenant_changes = {k: c[1] for k, c in r.changes.items() if k in {"name", "language", "external_id"}}
            conn_changes = {k: c[1] for k, c in r.changes.items() if k in {"customer_number", "currency", "billing"}}
            if tenant_changes:
                s.execute(update(Tenant).where(col(Tenant.id) == change.id).values(**tenant_changes,
                                                                                   updated_at=self.now))
                self.changed("tenant", change.id, {k: change.before[k] for k in tenant_changes}, tenant_changes)
            if conn_changes and change.conn_id is not None and change.conn_before is not None:
                s.execute(update(Connection).where(col(Connection.id) == change.conn_id).values(**conn_changes,
                                                                                           updated_at=self.now))
                before = {k: change.conn_before[k] for k in conn_changes}
                self.changed("connection", change.conn_id, before, conn_changes)
            bookings += [(change.id, a) for a in change.apps]
            record(s, ctx.actor, "tenant.update", "tenant", r.key or "", change.id,
                   changed=dict(r.changes), import_run=run.id)
        self.create("tenant_application", TenantApplication, len(bookings), {
            "tenant_id": [b[0] for b in bookings], "application_id": [b[1] for b in bookings]}, self.stamp)
        return row_tenant

    def users(self, plan: Plan, progress: Progress | None, row_tenant: dict[int, int]) -> Sequence[int]:
        """New users with their memberships and access; further memberships; changed users."""
        s, ctx, run = self.s, self.ctx, self.run
        new_rows = [r for r in plan.users if r.action == "create" and isinstance(r.values, NewUser)]
        new: list[NewUser] = [r.values for r in new_rows]  # type: ignore[misc]
        if progress:
            progress("writing users", 0, len(new))
        user_ids = self.create("user", User, len(new), {
            name: map(attrgetter(name), new) for name in ("login", "email", "email_key", "first_name", "last_name",
                                                          "language")},
            {"status": UserStatus.invited, "credential_version": 0, **self.stamp})

        def tenant_of(v: UserChange | NewMembership) -> int:
            return int(v.tenant_id if v.tenant_id is not None else row_tenant[v.tenant_row or 0])

        updated: list[tuple[RowPlan, UserChange]] = [(r, r.values) for r in plan.users
                                                     if r.action == "update" and isinstance(r.values, UserChange)]
        joins: list[UserChange] = [v for r, v in updated if "membership" in r.changes]
        more: list[NewMembership] = _of(plan.users, "create", NewMembership)
        # which id a further membership's person got: only when there are any (a dict per new
        # user held ~100 MB beside the 1,000,000-row plan while its users were inserted)
        user_of_row = {r.row: uid for r, uid in zip(new_rows, user_ids, strict=True)} if more else {}
        member_ids = self.create("membership", Membership, len(new) + len(joins) + len(more), {
            "user_id": chain(user_ids, (v.user_id for v in joins), (user_of_row[v.user_row] for v in more)),
            "tenant_id": chain((row_tenant[v.tenant_row] if v.tenant_id is None else v.tenant_id  # type: ignore[index]
                                for v in new), map(tenant_of, joins), map(tenant_of, more)),
            "role": chain(map(attrgetter("role"), new), (v.role for v in joins), (v.role for v in more))},
            self.stamp)
        if joins:  # people claimed again: the tenant that released them answers for them no longer
            for chunk in range(0, len(joins), 500):
                s.execute(update(User).where(col(User.id).in_([v.user_id for v in joins[chunk:chunk + 500]]),
                                             col(User.released_by_tenant_id).is_not(None))
                          .values(released_by_tenant_id=None))
        n_new, n_joins = len(new), len(joins)  # the new users' memberships come first
        rights = [(mid, a) for mid, v in zip(member_ids[:n_new], new, strict=True) if v.access for a in v.access]
        rights += [(mid, a) for mid, v in zip(member_ids[n_new:n_new + n_joins], joins, strict=True)
                   for a in v.access]
        rights += [(mid, a) for mid, v in zip(member_ids[n_new + n_joins:], more, strict=True) for a in v.access]
        for m in more:
            record(s, ctx.actor, "member.add", "membership", m.login or "", tenant_of(m), role=m.role,
                   import_run=run.id)
        for r, v in updated:
            user_changes = {k: c[1] for k, c in r.changes.items() if k in {"first_name", "last_name", "language"}}
            if user_changes:
                s.execute(update(User).where(col(User.id) == v.user_id).values(**user_changes, updated_at=self.now))
                self.changed("user", v.user_id, {k: v.before[k] for k in user_changes}, user_changes)
                record(s, ctx.actor, "user.update", "user", v.login, tenant_of(v), changed=user_changes,
                       import_run=run.id)
            if "role" in r.changes and v.membership_id is not None:
                s.execute(update(Membership).where(col(Membership.id) == v.membership_id).values(role=v.role))
                self.changed("membership", v.membership_id, {"role": v.old_role}, {"role": v.role})
                record(s, ctx.actor, "member.role", "membership", v.login, tenant_of(v),
                       changed={"role": r.changes["role"]}, import_run=run.id)
            if "membership" in r.changes:
                record(s, ctx.actor, "member.add", "membership", v.login, tenant_of(v), role=v.role,
                       import_run=run.id)
            if v.membership_id is not None and v.access:
                rights += [(v.membership_id, a) for a in v.access]
        self.create("access_right", AccessRight, len(rights), {
            "membership_id": [r[0] for r in rights], "application_id": [r[1] for r in rights]}, self.stamp)
        return user_ids  # a range on SQLite: no list of a million ids beside the plan
