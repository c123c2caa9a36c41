"""Spreadsheet import (scenario S2): plan every row against the store with the same rules and the
same scope as the single-object services, then write set-based in the command's one transaction,
record the run, and undo it on request.

Rules come from store/rules.py (names, keys, logins, e-mails, currency), choices from
store/services/tenants.check_choice, logins from store/services/users.unique_login, scope from
store/actor.py. Writes are Core executemany statements, not one ORM object per row (DESIGN §7)."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, repeat
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, update
from sqlalchemy import select as _select
from sqlmodel import col

from importers.perf import gc_paused
from importers.read import Problem, Source, Table
from store import rules
from store.actor import managed_tenant_ids, visible_tenant_ids
from store.audit import record
from store.context import Ctx
from store.enums import Billing, ConnectionState, Language, Role, TenantKind, TenantStatus, UserStatus
from store.errors import InvalidInput, NotFound
from store.models import (
    AccessRight,
    Application,
    Connection,
    ImportRun,
    ImportRunItem,
    Membership,
    Tenant,
    TenantApplication,
    User,
)
from store.services.tenants import check_choice
from store.types import utcnow

CHUNK = 5_000
BULK_LOAD = 20_000  # above this many keys, one scan of the table beats IN-lists
# Fast e-mail path: plain ASCII addresses that email-validator accepts unchanged except for the
# domain's case. Everything else goes through rules.normalise_email (DESIGN §8: ~10x faster).
_EMAIL_FAST = re.compile(
    r"^(?=.{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$")
_SPECIAL_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _table(model: Any) -> Any:
    return model.__table__


def select(*entities: Any) -> Any:
    """sqlalchemy.select, typed loosely: SQLModel's str-typed columns confuse its overloads."""
    return _select(*entities)


def normalise_email(value: str) -> str:
    """Same result as rules.normalise_email; ASCII addresses take a fast path (a test checks both agree)."""
    text = value.strip()
    if len(text) <= 254 and _EMAIL_FAST.match(text):
        local, _, domain = text.rpartition("@")
        lowered = domain.lower()
        if lowered.rpartition(".")[2] not in _SPECIAL_TLDS and "xn--" not in lowered:
            return text if lowered == domain else f"{local}@{lowered}"  # no copy of 100,000 addresses
    return rules.normalise_email(text)


@dataclass
class Options:
    mode: str = "upsert"          # upsert | create
    skip_invalid: bool = False
    dry_run: bool = False
    reseller: str | None = None
    send_links: bool = False


_EMPTY: Any = MappingProxyType({})


@dataclass(slots=True, init=False)
class RowPlan:
    sheet: str
    row: int
    kind: str                     # tenant | user
    key: str | None               # tenant key or user login (derived for new objects)
    label: str                    # name or e-mail
    action: str                   # create | update | unchanged | error
    changes: Any                  # {field: [old, new]}
    errors: tuple[tuple[str | None, str], ...]  # (column header, message)
    values: Any                   # resolved values for the writer
    target_id: int | None         # existing object

    def __init__(self, sheet: str, row: int, kind: str, key: str | None, label: str) -> None:
        # 100,000 rows are planned at once: the empty defaults are shared, read-only objects; the
        # planner assigns fresh dicts where there is something to say
        self.sheet, self.row, self.kind, self.key, self.label = sheet, row, kind, key, label
        self.action, self.changes, self.errors, self.values, self.target_id = "unchanged", _EMPTY, (), _EMPTY, None

    def error(self, column: str | None, message: str) -> None:
        self.errors = (*self.errors, (column, message))
        self.action = "error"

    def out(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "type": self.kind, "key": self.key, "label": self.label,
                "action": self.action, "changes": dict(self.changes),
                "errors": [{"column": c, "message": m} for c, m in self.errors]}


@dataclass
class Plan:
    tenants: list[RowPlan] = field(default_factory=list)
    users: list[RowPlan] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> list[RowPlan]:
        return self.tenants + self.users

    def problems(self) -> list[dict[str, Any]]:
        out = [p.as_dict() for p in self.file_problems]
        for r in chain(self.tenants, self.users):
            if r.errors:
                out.extend({"sheet": r.sheet, "row": r.row, "column": c, "message": m} for c, m in r.errors)
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, rows in (("tenants", self.tenants), ("users", self.users)):
            c = Counter(r.action for r in rows)
            out.update({f"{kind}_{a}": c.get(a, 0) for a in ("create", "update", "unchanged", "error")})
        out["problems"] = len(self.file_problems) + sum(
            len(r.errors) for r in chain(self.tenants, self.users) if r.errors)
        return out

    @property
    def has_errors(self) -> bool:
        return bool(self.file_problems) or any(r.action == "error" for r in self.rows)


Progress = Callable[[str, int, int], None]


def _chunks(items: list[Any], n: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _split_list(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]


# ---------------------------------------------------------------------------------------------------
# Planning: the store snapshot and every row checked against it
# ---------------------------------------------------------------------------------------------------

class _UserRow(NamedTuple):
    id: int
    login: str
    email: str
    email_key: str
    first_name: str
    last_name: str
    language: str


class _Snapshot:
    """What the plan needs from the store, loaded set-based (a handful of queries, not one per row)."""

    def __init__(self, ctx: Ctx) -> None:
        s = ctx.session
        self.ctx = ctx
        self.visible = visible_tenant_ids(s, ctx.actor)
        self.managed = managed_tenant_ids(s, ctx.actor)
        self.tenants: dict[int, Any] = {r.id: r for r in s.exec(select(
            Tenant.id, Tenant.key, Tenant.name, Tenant.kind, Tenant.language, Tenant.external_id,
            Tenant.status)).all()}
        self.by_key = {t.key: t for t in self.tenants.values()}
        self.conns: dict[int, list[Any]] = {}
        self.conn_by_number: dict[tuple[int, str], Any] = {}
        for c in s.exec(select(Connection.id, Connection.reseller_id, Connection.customer_id,
                               Connection.customer_number, Connection.currency, Connection.billing,
                               Connection.state)).all():
            if c.state == ConnectionState.rejected:
                continue
            self.conns.setdefault(c.customer_id, []).append(c)
            if c.customer_number:
                self.conn_by_number[(c.reseller_id, c.customer_number)] = c
        self.apps = {a.key: a for a in s.scalars(select(Application)).all()}
        self.apps_by_name = {a.name.casefold(): a for a in self.apps.values()}
        self.bookings: set[tuple[int, int]] = {(r.tenant_id, r.application_id) for r in s.exec(select(
            TenantApplication.tenant_id, TenantApplication.application_id)).all()}
        self._logins: set[str] | None = None

    def is_visible(self, tid: int) -> bool:
        return self.visible is None or tid in self.visible

    def is_managed(self, tid: int) -> bool:
        return self.managed is None or tid in self.managed

    def logins(self) -> set[str]:
        if self._logins is None:
            self._logins = {r[0] for r in self._scan("SELECT login FROM user_account")}
        return self._logins

    def app(self, ref: str) -> Any | None:
        return self.apps.get(ref.strip().lower()) or self.apps_by_name.get(ref.strip().casefold())

    def _scan(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """A whole-table read through the driver, in batches (plain tuples, no Row objects)."""
        cursor = self.ctx.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(10_000):
                yield from batch
        finally:
            cursor.close()

    def users_by_email(self, keys: list[str]) -> dict[str, Any]:
        """Existing users by e-mail key: IN-lists for a small file, one scan for a big one."""
        wanted = set(keys)
        if len(wanted) > BULK_LOAD:
            sql = "SELECT id, login, email, email_key, first_name, last_name, language FROM user_account"
            make = _UserRow._make
            return {r[3]: make(r) for r in self._scan(sql) if r[3] in wanted}
        stmt = select(User.id, User.login, User.email, User.email_key, User.first_name, User.last_name,
                      User.language)
        conn = self.ctx.session.connection()
        out: dict[str, Any] = {}
        for chunk in _chunks(sorted(wanted)):
            out.update((u.email_key, _UserRow(*u)) for u in conn.execute(stmt.where(col(User.email_key).in_(chunk))))
        return out

    def memberships(self, user_ids: list[int]) -> dict[int, dict[int, tuple[int, str]]]:
        """{user id: {tenant id: (membership id, role)}}."""
        out: dict[int, dict[int, tuple[int, str]]] = {}
        wanted = set(user_ids)
        if len(wanted) > BULK_LOAD:
            rows: Iterable[Any] = (m for m in self._scan("SELECT id, user_id, tenant_id, role FROM membership")
                                   if m[1] in wanted)
        else:
            stmt = select(Membership.id, Membership.user_id, Membership.tenant_id, Membership.role)
            conn = self.ctx.session.connection()
            rows = (m for chunk in _chunks(sorted(wanted)) for m in conn.execute(stmt.where(
                col(Membership.user_id).in_(chunk))))
        for mid, uid, tid, role in rows:
            out.setdefault(uid, {})[tid] = (mid, sys.intern(role))
        return out

    def rights(self, membership_ids: list[int]) -> set[tuple[int, int]]:
        out: set[tuple[int, int]] = set()
        for chunk in _chunks(membership_ids):
            out.update((r.membership_id, r.application_id) for r in self.ctx.session.exec(select(
                AccessRight.membership_id, AccessRight.application_id).where(
                col(AccessRight.membership_id).in_(chunk))).all())
        return out


class Handles:
    """Unique tenant keys and logins for many new objects: the semantics of
    tenants.unique_tenant_key and users.unique_login (base, base-2 / base2, …, the smallest free
    one, same rules functions), but remembering per base where the search stopped, so that 250
    people called Max Müller cost 250 steps, not 250²/2 (a test checks both agree)."""

    def __init__(self, taken: set[str], sep: str, limit: int) -> None:
        self.taken, self.sep, self.limit = taken, sep, limit
        self.next: dict[str, int] = {}

    def allocate(self, base: str) -> str:
        n = self.next.get(base, 1)
        while (candidate := rules.with_suffix(base, n, self.sep, self.limit)) in self.taken:
            n += 1
        self.next[base] = n + 1  # candidate n is taken from now on
        self.taken.add(candidate)
        return candidate


_slug = lru_cache(maxsize=65_536)(rules.slug)


@lru_cache(maxsize=65_536)
def _login_base(first_name: str, last_name: str) -> str:
    base = ".".join(p for p in (_slug(first_name), _slug(last_name)) if p)[:100]
    if not base:
        base = rules.login_base(first_name, last_name)  # raises with the rule's message
    rules.check_login_not_reserved(base)  # raises (not cached) for a reserved login
    return base


def login_for(handles: Handles, first_name: str, last_name: str) -> str:
    """users.unique_login's derivation (rules.login_base, reserved check) with the base cached per
    name pair: 100,000 users share a few thousand first and last names."""
    return handles.allocate(_login_base(first_name, last_name))


@lru_cache(maxsize=65_536)
def _clean_name_cached(value: str, field: str) -> str:
    text = " ".join(value.split())
    if text and len(text) <= rules.NAME_MAX and text.isprintable():
        return text  # isprintable() is False for every category rules.clean_name refuses
    return rules.clean_name(value, field)


def clean_name(value: str | None, field: str) -> str:
    """rules.clean_name with a fast path and a cache (names repeat across 100,000 rows)."""
    return _clean_name_cached(value or "", field)


_CHOICES: dict[Any, frozenset[str]] = {}
_USER_FIELDS = ("first_name", "last_name", "email", "role", "language", "tenant", "access")


def _allowed(enum: Any) -> frozenset[str]:
    allowed = _CHOICES.get(enum)
    if allowed is None:
        allowed = _CHOICES[enum] = frozenset(e.value for e in enum)
    return allowed


def choice(value: str | None, enum: Any, field: str) -> str | None:
    """tenants.check_choice (same message) without building the set of choices per row."""
    if value is None:
        return None
    return value if value in _allowed(enum) else check_choice(value, enum, field)


def _check(plan: RowPlan, column: str | None, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # a rule's InvalidInput/Conflict: the row's problem
        if not hasattr(exc, "message"):
            raise
        plan.error(column, exc.message)
        return None


def _lost_zeros(table: Table, name: str) -> set[int]:
    """Rows whose number cell in an identifier column is shorter than the column's usual length:
    `1067` among five-digit numbers lost its leading zero when the column was formatted as number."""
    if name not in table.fields:
        return set()
    pos = table.names.index(name)
    values = [(r, str(v[pos])) for r, v in table.rows if v[pos]]
    lengths = Counter(len(v) for _, v in values if v.isdigit())
    if not lengths:
        return set()
    usual, count = lengths.most_common(1)[0]
    has_zero = any(v.startswith("0") for _, v in values)
    return {r for r, v in values if v.isdigit() and len(v) < usual and ((r, name) in table.numbers or has_zero)
            and count >= 2}


def build_plan(ctx: Ctx, source: Source, opts: Options, progress: Progress | None = None) -> Plan:
    with gc_paused():
        return _build_plan(ctx, source, opts, progress)


def _build_plan(ctx: Ctx, source: Source, opts: Options, progress: Progress | None) -> Plan:
    snap = _Snapshot(ctx)
    plan = Plan(file_problems=list(source.problems))
    file_tenants = _plan_tenants(ctx, snap, source.tables.get("tenants"), opts, plan)
    _plan_users(ctx, snap, source.tables.get("users"), opts, plan, file_tenants, progress)
    # cell-level problems found while reading belong to their rows
    placed = [p for p in plan.file_problems if p.row is not None]
    rows = {(r.sheet, r.row): r for r in plan.rows} if placed else {}
    for p in placed:
        if p.row is not None and (p.sheet, p.row) in rows:
            rows[(p.sheet, p.row)].error(p.column, p.message)
            plan.file_problems.remove(p)
    return plan


@dataclass
class _FileTenant:
    plan: RowPlan
    key: str
    name: str
    kind: str
    reseller_id: int | None        # store reseller
    reseller_key: str | None
    customer_number: str | None
    apps: set[int]
    existing_id: int | None


def _default_reseller(ctx: Ctx, snap: _Snapshot, opts: Options) -> str | None:
    if opts.reseller:
        return opts.reseller.strip().lower()
    if len(ctx.actor.reseller_ids) == 1:
        (rid,) = ctx.actor.reseller_ids
        return str(snap.tenants[rid].key)
    return None


def _plan_tenants(ctx: Ctx, snap: _Snapshot, table: Table | None, opts: Options, plan: Plan) -> list[_FileTenant]:
    if table is None:
        return []
    actor = ctx.actor
    h = table.header_of
    default_reseller = _default_reseller(ctx, snap, opts)
    if opts.reseller:
        r = snap.by_key.get(default_reseller or "")
        if r is None or not snap.is_visible(r.id) or r.kind != TenantKind.reseller:
            raise NotFound(f"reseller {opts.reseller!r} not found", hint="see tenantctl tenant list --kind reseller")
    lost = _lost_zeros(table, "customer_number")
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
    out: list[_FileTenant] = []
    for rownum, v in table.records():
        p = RowPlan(table.sheet, rownum, "tenant", None, v.get("name") or "")
        plan.tenants.append(p)
        name = _check(p, h("name"), clean_name, v.get("name"), "tenant name")
        kind = (v.get("kind") or "").strip().lower() or None
        reseller_ref = (v.get("reseller") or "").strip().lower() or None
        if kind is None:
            kind = TenantKind.customer if (reseller_ref or default_reseller) else None
            if kind is None:
                p.error(h("kind"), "kind is empty: customer or reseller")
        elif kind not in {TenantKind.customer, TenantKind.reseller}:
            p.error(h("kind"), f"kind {kind!r} is not one of customer, reseller")
        language = _check(p, h("language"), choice, (v.get("language") or "").lower() or None, Language, "language")
        billing = _check(p, h("billing"), choice, (v.get("billing") or "").lower() or None, Billing, "billing")
        currency = _check(p, h("currency"), rules.normalise_currency, v.get("currency"))
        number = _check(p, h("customer_number"), rules.clean_customer_number, v.get("customer_number"))
        if rownum in lost:
            p.error(h("customer_number"), f"customer number {number} is shorter than the others: a lost leading "
                    "zero? Format the column as text and type the number again")
        external_id = _check(p, h("external_id"), rules.clean_external_id, v.get("external_id"))
        key = (v.get("key") or "").strip().lower() or None
        if key:
            _check(p, h("key"), rules.check_tenant_key, key)
        # the reseller of a customer
        reseller_id: int | None = None
        reseller_key: str | None = None
        if kind == TenantKind.customer:
            reseller_key = reseller_ref or default_reseller
            if reseller_key is None:
                if not actor.is_operator or (number or currency or billing):
                    p.error(h("reseller"), "a customer needs its reseller (column Reseller, or --reseller KEY)")
            else:
                r = snap.by_key.get(reseller_key)
                if r is not None and snap.is_visible(r.id):
                    if r.kind != TenantKind.reseller:
                        p.error(h("reseller"), f"{reseller_key!r} is a {r.kind}, not a reseller")
                    reseller_id = r.id
                elif reseller_key not in file_resellers:
                    p.error(h("reseller"), f"reseller {reseller_key!r} not found in the file or the store")
        elif reseller_ref or number or currency or billing:
            p.error(h("reseller"), "only a customer has a reseller, customer number, currency and billing")
        apps: set[int] = set()
        for ref in _split_list(v.get("applications")):
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
        elif name:
            existing = _by_name(snap, name, kind, reseller_id)
        if existing is not None and not snap.is_visible(existing.id):
            if key:
                p.error(h("key"), f"tenant key {key!r} is taken")
            existing = None
        # duplicates inside the file
        ident_key = key or (existing.key if existing is not None else None)
        if ident_key:
            if ident_key in seen_keys:
                p.error(h("key"), f"the same tenant as row {seen_keys[ident_key]}")
            seen_keys.setdefault(ident_key, rownum)
        if number and reseller_key:
            if (reseller_key, number) in seen_numbers:
                first_row = seen_numbers[(reseller_key, number)]
                p.error(h("customer_number"), f"customer number {number} also in row {first_row}")
            seen_numbers.setdefault((reseller_key, number), rownum)
        if name and not ident_key and not number:
            nk = (reseller_key, name.casefold())
            if nk in seen_names:
                p.error(h("name"), f"the same tenant as row {seen_names[nk]}")
            seen_names.setdefault(nk, rownum)
        if existing is not None:
            _plan_tenant_update(ctx, snap, p, existing, opts, h, kind=kind, name=name, language=language,
                                external_id=external_id, reseller_id=reseller_id, reseller_key=reseller_key,
                                number=number, currency=currency, billing=billing, apps=apps)
            p.key = existing.key
            out.append(_FileTenant(p, existing.key, name or existing.name, existing.kind, reseller_id, reseller_key,
                                   number, apps, existing.id))
            continue
        # a new tenant
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
        p.values = {"key": key, "name": name, "kind": kind, "language": language or ctx.settings.default_language,
                    "external_id": external_id, "reseller_id": reseller_id, "reseller_key": reseller_key,
                    "customer_number": number, "currency": currency, "billing": billing or Billing.customer,
                    "apps": sorted(apps)}
        out.append(_FileTenant(p, key or "", name or "", kind or "", reseller_id, reseller_key, number, apps, None))
    return out


def _by_name(snap: _Snapshot, name: str, kind: str | None, reseller_id: int | None) -> Any | None:
    folded = name.casefold()
    for t in snap.tenants.values():
        if t.name.casefold() != folded or (kind and t.kind != kind):
            continue
        if kind == TenantKind.customer and reseller_id is not None and not any(
                c.reseller_id == reseller_id for c in snap.conns.get(t.id, [])):
            continue
        return t
    return None


def _plan_tenant_update(ctx: Ctx, snap: _Snapshot, p: RowPlan, t: Any, opts: Options, h: Callable[[str], str],
                        *, kind: str | None, name: str | None, language: str | None, external_id: str | None,
                        reseller_id: int | None, reseller_key: str | None, number: str | None,
                        currency: str | None, billing: str | None, apps: set[int]) -> None:
    p.target_id = t.id
    if opts.mode == "create":
        p.error(h("key"), f"tenant {t.key!r} already exists (--mode create)")
    if not snap.is_managed(t.id):
        p.error(None, f"{ctx.actor.label} may not change tenant {t.key!r}")
    if kind and kind != t.kind:
        p.error(h("kind"), f"tenant {t.key!r} is a {t.kind}, the row says {kind}")
    changes: dict[str, list[Any]] = {}
    for fname, new, old in (("name", name, t.name), ("language", language, t.language),
                            ("external_id", external_id, t.external_id)):
        if new is not None and new != old:
            changes[fname] = [old, new]
    conn = None
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
            if number is not None and number != conn.customer_number:
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
        changes["applications"] = [None, [_app_key(snap, a) for a in new_apps]]
    if changes:  # what the writer needs for an update (an unchanged row of a re-run needs nothing)
        p.values = {"id": t.id, "conn_id": conn.id if conn is not None else None, "apps": new_apps,
                    "before": {"name": t.name, "language": t.language, "external_id": t.external_id},
                    "conn_before": ({"customer_number": conn.customer_number, "currency": conn.currency,
                                     "billing": conn.billing} if conn is not None else None)}
    p.changes = changes
    if p.action != "error":
        p.action = "update" if changes else "unchanged"


def _app_key(snap: _Snapshot, app_id: int) -> str:
    return next(str(a.key) for a in snap.apps.values() if a.id == app_id)


class _NewUser:
    """A new user's resolved values for the writer, in a tenth of a dict's memory (100,000 of them
    are held at once); the writer reads them as attributes."""

    __slots__ = ("access", "email", "email_key", "first_name", "language", "last_name", "login", "role", "tenant_id",
                 "tenant_row")

    def __init__(self, login: str | None, email: str | None, email_key: str | None, first_name: str | None,
                 last_name: str | None, language: str, tenant_id: int | None, tenant_row: int | None, role: str,
                 access: tuple[int, ...]) -> None:
        self.login, self.email, self.email_key, self.first_name, self.last_name = (login, email, email_key,
                                                                                   first_name, last_name)
        self.language, self.tenant_id, self.tenant_row, self.role, self.access = (language, tenant_id, tenant_row,
                                                                                  role, access)


def _valid(values: Iterable[Any], fn: Callable[[Any], Any]) -> dict[Any, Any]:
    """{value: fn(value)} for the distinct values that pass fn; a row whose value is missing here
    calls fn itself to get the rule's message (names, roles and languages repeat across rows)."""
    out: dict[Any, Any] = {}
    for v in set(values):
        with suppress(InvalidInput):
            out[v] = fn(v)
    return out


@dataclass(slots=True)
class _Target:
    """What the user rows naming one tenant share: resolved once per tenant, not once per row."""

    ref: tuple[str, Any]
    tenant_id: int | None
    language: str
    file_tenant: _FileTenant | None
    tenant_key: str | None
    errors: tuple[str, ...]
    booked: set[int]


def _tenant_refs(ctx: Ctx, snap: _Snapshot, opts: Options,
                 file_tenants: list[_FileTenant]) -> dict[str, set[tuple[str, Any]]]:
    """Tenant references a user row may use: key, customer number, exact name (case-insensitive),
    from the file and the store."""
    refs: dict[str, set[tuple[str, Any]]] = {}

    def add_ref(text: str | None, target: tuple[str, Any]) -> None:
        if text:
            refs.setdefault(text.casefold(), set()).add(target)

    for ft in file_tenants:
        ref: tuple[str, Any] = ("store", ft.existing_id) if ft.existing_id else ("file", ft.plan.row)
        add_ref(ft.key, ref)
        add_ref(ft.customer_number, ref)
        add_ref(ft.name, ref)
    default_reseller = _default_reseller(ctx, snap, opts)
    only_reseller = snap.by_key[default_reseller].id if default_reseller in snap.by_key else None
    for t in snap.tenants.values():
        if snap.is_visible(t.id):
            add_ref(t.key, ("store", t.id))
            add_ref(t.name, ("store", t.id))
    for (rid, number), c in snap.conn_by_number.items():
        if snap.is_visible(c.customer_id) and (only_reseller is None or rid == only_reseller):
            add_ref(number, ("store", c.customer_id))
    return refs


def _plan_users(ctx: Ctx, snap: _Snapshot, table: Table | None, opts: Options, plan: Plan,
                file_tenants: list[_FileTenant], progress: Progress | None) -> None:
    """Every user row against the rules and the store. 100,000 rows: the cell rules run once per
    distinct value (names, roles, languages and tenant references repeat), and each row is then a
    handful of dictionary look-ups (issue 5, point 11)."""
    if table is None:
        return
    h = table.header_of
    h_first, h_last, h_email, h_role, h_lang, h_tenant, h_access = (h(n) for n in _USER_FIELDS)
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
        by_field.get(f, nones) for f in _USER_FIELDS)
    rows.clear()
    del by_field

    # cell rules per distinct value / per column
    first_ok = _valid(firsts, lambda v: clean_name(v, "first name"))
    last_ok = _valid(lasts, lambda v: clean_name(v, "last name"))
    role_ok = _valid(roles_raw, lambda v: choice(v.lower() if v else None, Role, "role"))
    lang_ok = _valid(langs_raw, lambda v: choice(v.lower() if v else None, Language, "language"))
    email_errors: dict[int, str] = {}  # row index → the rule's message
    emails = [_normalised_or_error(i, e, email_errors) for i, e in enumerate(emails_raw)]
    # rules.email_key; an ASCII address already in lower case is its own key (no second copy)
    ekeys = [(e if e.isascii() and e.islower() else rules.email_key(e)) if e else None for e in emails]

    # tenant references, once per distinct text
    targets: dict[str | None, tuple[_Target | None, str | None]] = {}
    resolved: dict[tuple[str, Any], _Target] = {}
    default_language = ctx.settings.default_language
    for tref in set(trefs):
        found = refs.get(tref.casefold()) if tref else None
        if not tref:
            targets[tref] = (None, "tenant is empty")
        elif not found:
            targets[tref] = (None, f"unknown tenant {tref!r}: not in the file and not in the store")
        elif len(found) > 1:
            targets[tref] = (None, f"tenant {tref!r} is ambiguous: it names {len(found)} tenants; use the key")
        else:
            (ref,) = found
            if ref not in resolved:
                resolved[ref] = _resolve_target(ctx, snap, ref, file_by_row, file_by_id, store_bookings,
                                                default_language)
            targets[tref] = (resolved[ref], None)

    # the store's users with these e-mails, and their memberships
    existing = snap.users_by_email([k for k in ekeys if k])
    memberships = snap.memberships([u.id for u in existing.values()])
    rights = snap.rights([m[0] for ms in memberships.values() for m in ms.values()]) if any(access_raw) else set()

    visible = snap.visible
    no_memberships: dict[int, tuple[int, str]] = {}
    seen: dict[str, int] = {}
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
        role = role_ok.get(roles_raw[i], _INVALID)
        user = existing.get(ekey) if ekey else None
        # a row identical to what the store holds (re-runs): the stored values were checked when written
        if (fast and user is not None and target is not None and user.email == email_raw
                and user.first_name == first_raw and user.last_name == last_raw and not access_raw[i]
                and target.ref[0] == "store" and not target.errors
                and (langs_raw[i] is None or lang_ok.get(langs_raw[i]) == user.language)):
            user_ms = memberships.get(user.id, no_memberships)
            m = user_ms.get(target.tenant_id)  # type: ignore[arg-type]
            if (m is not None and role is not _INVALID and (role is None or m[1] == role)
                    and (visible is None or not visible.isdisjoint(user_ms))
                    and seen.setdefault(user.email_key, rownum) == rownum):
                p = RowPlan(sheet, rownum, "user", user.login, user.email)
                p.target_id = user.id
                users_out.append(p)
                continue
        p = RowPlan(sheet, rownum, "user", None, email_raw or "")
        users_out.append(p)
        first = first_ok.get(first_raw) or _check(p, h_first, clean_name, first_raw, "first name")
        last = last_ok.get(last_raw) or _check(p, h_last, clean_name, last_raw, "last name")
        email = emails[i]
        if i in email_errors:
            p.error(h_email, email_errors[i])
        if role is _INVALID:
            role = _check(p, h_role, choice, roles_raw[i].lower(), Role, "role")
        language = lang_ok.get(langs_raw[i], _INVALID)
        if language is _INVALID:
            language = _check(p, h_lang, choice, langs_raw[i].lower(), Language, "language")
        if ekey:
            p.label = email or ""
            first_row = seen.setdefault(ekey, rownum)
            if first_row != rownum:
                p.error(h_email, f"e-mail {email} also in row {first_row}")
        if target_error:
            p.error(h_tenant, target_error)
        access: set[int] = set()
        if target is not None:
            for message in target.errors:
                p.error(h_tenant, message)
            for app_ref in _split_list(access_raw[i]) if access_raw[i] else ():
                app = snap.app(app_ref)
                if app is None:
                    p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
                elif app.id not in target.booked:
                    p.error(h_access, f"application {app.key!r} is not booked for this tenant")
                else:
                    access.add(app.id)
        elif access_raw[i]:
            for app_ref in _split_list(access_raw[i]):
                if snap.app(app_ref) is None:
                    p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
        tenant_id = target.tenant_id if target is not None else None
        if user is not None:
            _plan_user_update(ctx, snap, p, user, opts, h_email, memberships.get(user.id, no_memberships), rights,
                              target, tenant_id, first, last, language, role, roles_raw[i] is not None, access,
                              email or "")
            continue
        # a new user
        if first and last:
            if logins is None:
                logins = Handles(snap.logins(), "", 100)
            login = _check(p, h_first, login_for, logins, first, last)
            if login:
                p.key = login
        role = role or Role.member
        file_row = target.ref[1] if target is not None and target.ref[0] == "file" else None
        p.values = _NewUser(p.key, email, ekey, first, last, language or (
            target.language if target is not None else default_language), tenant_id, file_row, role,
            tuple(sorted(access)) if access else ())
        if p.action != "error":
            p.action = "create"
            tenant_key = target.tenant_key if target is not None else None
            # read-only, so the users of one tenant and role share one
            p.changes = create_changes.get((tenant_key, role)) or create_changes.setdefault(
                (tenant_key, role), MappingProxyType({"tenant": [None, tenant_key], "role": [None, role]}))


_INVALID: Any = object()


def _normalised_or_error(i: int, value: str | None, errors: dict[int, str]) -> str | None:
    try:
        return normalise_email(value or "")
    except InvalidInput as exc:
        errors[i] = exc.message
        return None


def _resolve_target(ctx: Ctx, snap: _Snapshot, ref: tuple[str, Any], file_by_row: dict[int, _FileTenant],
                    file_by_id: dict[int, _FileTenant], store_bookings: dict[int, set[int]],
                    default_language: str) -> _Target:
    errors: list[str] = []
    tenant_id: int | None = None
    if ref[0] == "store":
        tenant_id = ref[1]
        tenant = snap.tenants[tenant_id]
        if not snap.is_managed(tenant_id):
            errors.append(f"{ctx.actor.label} may not add users to tenant {tenant.key!r}")
        language = tenant.language
        file_tenant = file_by_id.get(tenant_id)
    else:
        file_tenant = file_by_row[ref[1]]
        language = file_tenant.plan.values.get("language") or default_language
    if file_tenant is not None and file_tenant.plan.action == "error":
        errors.append(f"its tenant (row {file_tenant.plan.row}) has errors")
    booked = set(file_tenant.apps) if file_tenant else set()
    if tenant_id is not None:
        booked |= store_bookings.get(tenant_id, set())
    tenant_key = file_tenant.key if file_tenant else snap.tenants[tenant_id].key  # type: ignore[index]
    return _Target(ref, tenant_id, language, file_tenant, tenant_key, tuple(errors), booked)


def _plan_user_update(ctx: Ctx, snap: _Snapshot, p: RowPlan, user: Any, opts: Options, h_email: str,
                      user_ms: dict[int, tuple[int, str]], rights: set[tuple[int, int]], target: _Target | None,
                      tenant_id: int | None, first: str | None, last: str | None, language: str | None,
                      role: str | None, role_given: bool, access: set[int], email: str) -> None:
    """A row naming a user the store holds: what changes (names, language, membership, role, access)."""
    p.key = user.login
    p.target_id = user.id
    if opts.mode == "create":
        p.error(h_email, f"a user with e-mail {user.email} already exists (--mode create)")
    if snap.visible is not None and not (set(user_ms) & snap.visible):
        p.error(h_email, f"a user with e-mail {email} already exists outside your tenants; "
                f"ask them to be added with tenantctl member add")
        return
    role = role or Role.member
    changes: dict[str, list[Any]] = {}
    for fname, new, old in (("first_name", first, user.first_name), ("last_name", last, user.last_name),
                            ("language", language, user.language)):
        if new is not None and new != old:
            changes[fname] = [old, new]
    if changes and snap.managed is not None and not set(user_ms) <= snap.managed:
        p.error(h_email, f"{ctx.actor.label} may not change user {user.login!r}: "
                "the user also belongs to tenants outside your scope")
    m = user_ms.get(tenant_id) if tenant_id is not None else None
    if m is None:
        changes["membership"] = [None, role]
    elif role_given and m[1] != role:
        changes["role"] = [m[1], role]
    missing = sorted(a for a in access if (m[0], a) not in rights) if m is not None else sorted(access)
    if missing:
        changes["access"] = [None, [_app_key(snap, a) for a in missing]]
    p.changes = changes
    if not changes:
        if p.action != "error":
            p.action = "unchanged"
        return
    p.values = {"user_id": user.id, "login": user.login, "tenant_id": tenant_id,
                "tenant_row": target.ref[1] if target is not None and target.ref[0] == "file" else None,
                "membership_id": m[0] if m is not None else None, "role": role, "access": missing,
                "before": {"first_name": user.first_name, "last_name": user.last_name, "language": user.language},
                "first_name": first, "last_name": last, "language": language,
                "old_role": m[1] if m is not None else None}
    if p.action != "error":
        p.action = "update"


# ---------------------------------------------------------------------------------------------------
# Writing: set-based, in the command's transaction; dry-run writes in a savepoint and rolls it back
# ---------------------------------------------------------------------------------------------------

def _ranges(ids: Iterable[int]) -> list[list[int]]:
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


def _expand(ranges: list[list[int]]) -> list[int]:
    return [i for a, b in ranges for i in range(a, b + 1)]


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
    connection of the command's transaction, without per-row SQLAlchemy overhead (DESIGN §8: Core
    executemany costs ~2x raw). `columns` holds one value per row, `same` one value for all rows.
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
    for name, values in columns.items():
        proc = table.c[name].type._cached_bind_processor(dialect)
        params.append(values if proc is None else map(proc, values))
    for name, value in same.items():
        proc = table.c[name].type._cached_bind_processor(dialect)
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


def execute(ctx: Ctx, plan: Plan, *, path: Path, digest: str, opts: Options,
            progress: Progress | None = None, rows: str = "all", rows_limit: int | None = None) -> dict[str, Any]:
    """Record the run and (unless dry-run) write every planned create and update. Returns the result;
    rows: "all" (every row's plan), "changed" (not unchanged) — at most rows_limit of them."""
    s, actor = ctx.session, ctx.actor
    counts = plan.counts()
    run = ImportRun(file_name=path.name, file_hash=digest, actor=actor.label, mode=opts.mode,
                    state="running", counts=counts, problems=plan.problems()[:1000])
    if not opts.dry_run:
        s.add(run)
        s.flush()
    nested = s.begin_nested() if opts.dry_run else None
    created_users: list[int] = []
    try:
        with gc_paused(), _write_cache(ctx):
            created_users = _write(ctx, plan, run, progress)
    finally:
        if nested is not None:
            nested.rollback()
    changed = any(r.action in {"create", "update"} for r in plan.rows)
    skipped = sum(1 for r in plan.rows if r.action == "error")
    if not opts.dry_run:
        run.state = "done" if changed else "unchanged"
        run.finished_at = utcnow()
        s.add(run)
        s.flush()
        if changed:
            record(s, actor, "import.run", "import_run", str(run.id), None, file=path.name, file_hash=digest,
                   mode=opts.mode, **{k: v for k, v in counts.items() if v})
    return {"run": run.id if not opts.dry_run else None, "file": path.name, "file_hash": digest,
            "dry_run": opts.dry_run, "mode": opts.mode, "state": "dry-run" if opts.dry_run else run.state,
            "counts": counts, "skipped": skipped, "created_user_ids": created_users,
            "problems": plan.problems(), "rows": _rows_out(plan, rows, rows_limit)}


def _rows_out(plan: Plan, which: str, limit: int | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in plan.rows:
        if which == "all" or r.action != "unchanged":
            if limit is not None and len(out) >= limit:
                break
            out.append(r.out())
    return out


def _write(ctx: Ctx, plan: Plan, run: ImportRun, progress: Progress | None) -> list[int]:
    s, label, now = ctx.session, ctx.actor.label, utcnow()
    items: list[dict[str, Any]] = []
    run_id = run.id or 0
    stamp = {"created_at": now, "created_by": label}

    def create(object_type: str, model: Any, n: int, columns: dict[str, Iterable[Any]],
               same: dict[str, Any]) -> Sequence[int]:
        """Insert n rows (columns: one value per row); their new ids in row order, recorded for undo."""
        table = _table(model)
        ids = _new_ids(ctx, table, n)
        _insert(ctx, table, ids, columns, same)
        if ids:
            items.append({"run_id": run_id, "object_type": object_type, "object_id": 0, "action": "create_many",
                          "before": None, "after": {"ids": _ranges(ids)}})
        return ids

    # -- tenants ----------------------------------------------------------------------------------
    new_t = [r for r in plan.tenants if r.action == "create"]
    if progress:
        progress("writing tenants", 0, len(new_t))
    new_tv = [r.values for r in new_t]
    keys = [v["key"] for v in new_tv]
    tenant_ids = create("tenant", Tenant, len(new_tv), {
        "key": keys, "name": [v["name"] for v in new_tv], "kind": [v["kind"] for v in new_tv],
        "language": [v["language"] for v in new_tv], "external_id": [v["external_id"] for v in new_tv]},
        {"status": TenantStatus.active, **stamp})
    id_of_key = dict(zip(keys, tenant_ids, strict=True))
    row_tenant: dict[int | None, int] = {r.row: i for r, i in zip(new_t, tenant_ids, strict=True)}
    conns = []
    for v, tid in zip(new_tv, tenant_ids, strict=True):
        reseller_id = v["reseller_id"]
        if reseller_id is None and v["reseller_key"]:  # a customer under a reseller created in this file
            reseller_id = id_of_key.get(v["reseller_key"])
        if reseller_id is not None:
            conns.append((reseller_id, tid, v))
    create("connection", Connection, len(conns), {
        "reseller_id": [c[0] for c in conns], "customer_id": [c[1] for c in conns],
        "customer_number": [c[2]["customer_number"] for c in conns], "currency": [c[2]["currency"] for c in conns],
        "billing": [c[2]["billing"] for c in conns]},
        {"state": ConnectionState.active, "approved_by": label, "approved_at": now, **stamp})
    bookings = [(tid, a) for v, tid in zip(new_tv, tenant_ids, strict=True) for a in v["apps"]]
    # -- tenant updates ---------------------------------------------------------------------------
    for r in (r for r in plan.tenants if r.action == "update"):
        v = r.values
        tenant_changes = {k: c[1] for k, c in r.changes.items() if k in {"name", "language", "external_id"}}
        conn_changes = {k: c[1] for k, c in r.changes.items() if k in {"customer_number", "currency", "billing"}}
        if tenant_changes:
            s.execute(update(Tenant).where(col(Tenant.id) == v["id"]).values(**tenant_changes, updated_at=now))
            items.append({"run_id": run_id, "object_type": "tenant", "object_id": v["id"], "action": "update",
                          "before": {k: v["before"][k] for k in tenant_changes}, "after": tenant_changes})
        if conn_changes:
            s.execute(update(Connection).where(col(Connection.id) == v["conn_id"]).values(**conn_changes,
                                                                                          updated_at=now))
            items.append({"run_id": run_id, "object_type": "connection", "object_id": v["conn_id"],
                          "action": "update", "before": {k: v["conn_before"][k] for k in conn_changes},
                          "after": conn_changes})
        bookings += [(v["id"], a) for a in v["apps"]]
        record(s, ctx.actor, "tenant.update", "tenant", r.key or "", v["id"], changed=r.changes, import_run=run.id)
    create("tenant_application", TenantApplication, len(bookings), {
        "tenant_id": [b[0] for b in bookings], "application_id": [b[1] for b in bookings]}, stamp)

    # -- users ------------------------------------------------------------------------------------
    new_u: list[_NewUser] = [r.values for r in plan.users if r.action == "create"]
    if progress:
        progress("writing users", 0, len(new_u))
    user_ids = create("user", User, len(new_u), {
        name: map(attrgetter(name), new_u) for name in ("login", "email", "email_key", "first_name", "last_name",
                                                        "language")},
        {"status": UserStatus.invited, "credential_version": 0, **stamp})

    def tenant_of(v: dict[str, Any]) -> int:
        return int(v["tenant_id"] if v["tenant_id"] is not None else row_tenant[v["tenant_row"]])

    updated = [r for r in plan.users if r.action == "update"]
    upd_members = [r.values for r in updated if "membership" in r.changes]
    member_ids = create("membership", Membership, len(new_u) + len(upd_members), {
        "user_id": chain(user_ids, (v["user_id"] for v in upd_members)),
        "tenant_id": chain([row_tenant[v.tenant_row] if v.tenant_id is None else v.tenant_id for v in new_u],
                           map(tenant_of, upd_members)),
        "role": chain(map(attrgetter("role"), new_u), (v["role"] for v in upd_members))}, stamp)
    n_u = len(new_u)  # the new users' memberships come first
    rights = [(mid, a) for mid, v in zip(member_ids[:n_u], new_u, strict=True) if v.access for a in v.access]
    rights += [(mid, a) for mid, v in zip(member_ids[n_u:], upd_members, strict=True) for a in v["access"]]
    # -- user updates -----------------------------------------------------------------------------
    for r in updated:
        v = r.values
        user_changes = {k: c[1] for k, c in r.changes.items() if k in {"first_name", "last_name", "language"}}
        if user_changes:
            s.execute(update(User).where(col(User.id) == v["user_id"]).values(**user_changes, updated_at=now))
            items.append({"run_id": run_id, "object_type": "user", "object_id": v["user_id"], "action": "update",
                          "before": {k: v["before"][k] for k in user_changes}, "after": user_changes})
            record(s, ctx.actor, "user.update", "user", v["login"], tenant_of(v), changed=user_changes,
                   import_run=run.id)
        if "role" in r.changes:
            s.execute(update(Membership).where(col(Membership.id) == v["membership_id"]).values(role=v["role"]))
            items.append({"run_id": run_id, "object_type": "membership", "object_id": v["membership_id"],
                          "action": "update", "before": {"role": v["old_role"]}, "after": {"role": v["role"]}})
            record(s, ctx.actor, "member.role", "membership", v["login"], tenant_of(v),
                   changed={"role": r.changes["role"]}, import_run=run.id)
        if "membership" in r.changes:
            record(s, ctx.actor, "member.add", "membership", v["login"], tenant_of(v), role=v["role"],
                   import_run=run.id)
        if v["membership_id"] is not None and v["access"]:
            rights += [(v["membership_id"], a) for a in v["access"]]
    create("access_right", AccessRight, len(rights), {
        "membership_id": [r[0] for r in rights], "application_id": [r[1] for r in rights]}, stamp)
    if items and run.id is not None:  # a dry-run has no run record and nothing to undo
        s.execute(insert(_table(ImportRunItem)), items)
    return list(user_ids)


# ---------------------------------------------------------------------------------------------------
# Runs: list, show, undo
# ---------------------------------------------------------------------------------------------------

def _run_out(run: ImportRun) -> dict[str, Any]:
    from store.schemas import ts

    return {"id": run.id, "file": run.file_name, "file_hash": run.file_hash, "actor": run.actor, "mode": run.mode,
            "state": run.state, "counts": run.counts, "started_at": ts(run.started_at),
            "finished_at": ts(run.finished_at)}


def _visible_run(ctx: Ctx, run: ImportRun | None, ident: Any) -> ImportRun:
    if run is None or not (ctx.actor.is_operator or run.actor == ctx.actor.label):
        raise NotFound(f"import run {ident} not found", hint="see tenantctl import list")
    return run


def list_runs(ctx: Ctx, limit: int | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    stmt = select(ImportRun).order_by(col(ImportRun.id).desc())
    if not ctx.actor.is_operator:
        stmt = stmt.where(ImportRun.actor == ctx.actor.label)
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
            created[item.object_type] = len(_expand(item.after["ids"]))
        else:
            updated.append({"type": item.object_type, "id": item.object_id, "before": item.before,
                            "after": item.after})
    return {**_run_out(run), "problems": run.problems, "created": created, "updated": updated}


def record_rejected(ctx: Ctx, plan: Plan, *, path: Path, digest: str, opts: Options) -> int:
    """A refused run is recorded too (nothing else is written), so `import show` lists its problems."""
    run = ImportRun(file_name=path.name, file_hash=digest, actor=ctx.actor.label, mode=opts.mode, state="rejected",
                    counts=plan.counts(), problems=plan.problems()[:1000], finished_at=utcnow())
    ctx.session.add(run)
    ctx.session.flush()
    return int(run.id or 0)


UNDO_ORDER = ("access_right", "membership", "tenant_application", "user", "connection", "tenant")
MODELS: dict[str, Any] = {"access_right": AccessRight, "membership": Membership,
                          "tenant_application": TenantApplication, "user": User, "connection": Connection,
                          "tenant": Tenant}


def undo_run(ctx: Ctx, run_id: int) -> dict[str, Any]:
    """Remove what the run created and restore what it changed; refuse (naming the objects) where a
    later change would be lost."""
    s = ctx.session
    run = get_run(ctx, run_id)
    if run.state not in {"done"}:
        raise InvalidInput(f"import run {run_id} is {run.state}: nothing to undo")
    items = list(s.scalars(select(ImportRunItem).where(ImportRunItem.run_id == run.id)).all())
    created = {i.object_type: set(_expand(i.after["ids"])) for i in items if i.action == "create_many"}
    updates = [i for i in items if i.action == "update"]
    finished = run.finished_at
    blockers: list[str] = []

    def later(model: Any, ids: set[int]) -> list[Any]:
        out: list[Any] = []
        for chunk in _chunks(sorted(ids)):
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
        for chunk in _chunks(sorted(parent)):
            rows = s.exec(select(model.id, getattr(model, fk)).where(col(getattr(model, fk)).in_(chunk))).all()
            for rid, pid in rows:
                if rid not in created.get(own, set()):
                    what = "tenant" if fk == "tenant_id" else "user"
                    blockers.append(f"{what} id {pid} has a {own.replace('_', ' ')} added after the import")
    for t in later(Tenant, created.get("tenant", set())):
        if t.updated_at and finished and t.updated_at > finished:
            blockers.append(f"tenant {t.key} (changed since the import)")
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
    if blockers:
        from store.errors import Conflict

        shown = "; ".join(dict.fromkeys(blockers))
        raise Conflict(f"cannot undo import run {run_id}: later changes would be lost: {shown[:1500]}",
                       hint="undo or revert those changes first")
    counts: dict[str, int] = {}
    for object_type in UNDO_ORDER:
        ids = sorted(created.get(object_type, set()))
        model = MODELS[object_type]
        for chunk in _chunks(ids):
            s.execute(delete(model).where(col(model.id).in_(chunk)))
        if ids:
            counts[f"{object_type}s_removed"] = len(ids)
    for model, obj, before in restores:
        s.execute(update(model).where(col(model.id) == obj.id).values(**before))
    counts["restored"] = len(restores)
    run.state = "undone"
    s.add(run)
    s.flush()
    record(s, ctx.actor, "import.undo", "import_run", str(run.id), None, file=run.file_name, **counts)
    return {**_run_out(run), "undone": counts}

