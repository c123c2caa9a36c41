"""User rows: each checked against the rules and the store, matched to a stored user by e-mail
(changed names, a new membership, role or access) or planned as a new user with a unique login.

100,000 rows, in columns: the cell rules run once per distinct value (names, roles, languages and
tenant references repeat); the rows equal to what the store holds are found by joins
(compare_users) and cost nothing more; a row that can only become a plain new user is found by
the rules' results per distinct value and planned without them (new_users); the others are
planned one by one below, in row order with the fast lane's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantctl.store import rules
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Language, Role
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.checks import (
    INVALID,
    Handles,
    check,
    choice,
    clean_name,
    fast_email_lists,
    fast_emails,
    login_for,
    normalise_email,
    valid,
)
from tenantctl.store.imports.compare_users import Stored, Unchanged, first_per_key, load_stored, unchanged_rows
from tenantctl.store.imports.new_users import NewUsers, plain_rows
from tenantctl.store.imports.plan import Joins, NewUser, Options, Plan, Progress, RowPlan
from tenantctl.store.imports.rows import Table
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_file import FileTenant
from tenantctl.store.imports.titles import without_titles
from tenantctl.store.imports.user_access import plan_access
from tenantctl.store.imports.user_changes import plan_membership, plan_user_update, refer_to_first_row
from tenantctl.store.imports.user_targets import Target, resolve_references

if TYPE_CHECKING:
    import polars as pl

USER_FIELDS = ("first_name", "last_name", "email", "role", "language", "tenant", "access")
Email = tuple[str | None, str | None, str | None]  # (normalised address, e-mail key, the rule's message)


@dataclass
class _Rows:
    """What planning one user row needs: the rows still to plan, as columns (by position among
    them), the rules' results per distinct value, the store's users they name."""

    ctx: Ctx
    snap: Snapshot
    opts: Options
    plan: Plan
    table: Table
    cells: dict[str, list[Any]]
    emails: list[str | None]      # normalised, by position (None: refused, see email_errors)
    ekeys: list[str | None]
    email_errors: dict[int, str]
    first_ok: dict[Any, Any]
    last_ok: dict[Any, Any]
    role_ok: dict[Any, Any]
    lang_ok: dict[Any, Any]
    targets: dict[str | None, tuple[Target | None, str | None]]
    existing: dict[str, Any] = field(default_factory=dict)
    memberships: dict[int, dict[int, tuple[int, str]]] = field(default_factory=dict)
    rights: set[tuple[int, int]] = field(default_factory=set)
    seen: dict[str, int] = field(default_factory=dict)  # e-mail key → its first row
    people: dict[str, tuple[int, str | None, str | None, Any, RowPlan]] = field(default_factory=dict)
    unchanged_refs: dict[int, str | None] = field(default_factory=dict)  # an unchanged first row's tenant cell
    create_changes: dict[tuple[str | None, str], Any] = field(default_factory=dict)
    logins: Handles | None = None  # loaded on the first new user (a re-run has none)
    headers: dict[str, str] = field(default_factory=dict)  # field → the column's header, for the problems


def plan_users(ctx: Ctx, snap: Snapshot, table: Table | None, opts: Options, plan: Plan,
               file_tenants: list[FileTenant], progress: Progress | None) -> None:
    """Every user row against the rules and the store (see the module's doc)."""
    if table is None:
        return
    # a reader that gave rows (not columns), and no stored user named by the file (a first import):
    # nothing to compare, the rows are planned as read (sharing the reader's strings, no polars)
    read_rows = table.rows if table.columns is None else None
    n = len(table.rows) if read_rows is not None else table.frame().height
    stored = _stored_users(ctx, opts, table, read_rows)
    frame = table.frame() if stored is not None or read_rows is None else None
    if frame is not None:
        read_rows = None  # the frame holds the rows (the few left to plan are taken from it)
    table.rows, table.columns = [], None  # `frame` or `read_rows` holds the rows from here on
    cells = _rest(read_rows, table.names) if read_rows is not None else None
    values = frame if frame is not None else cells
    assert values is not None

    # titles in front of a name (`Dr. med.`, `Herr`, `Freifrau`) are dropped: tenantctl keeps none
    first_ok = valid(_distinct(values, "first_name"), lambda v: without_titles(clean_name(v, "first name")))
    last_ok = valid(_distinct(values, "last_name"), lambda v: without_titles(clean_name(v, "last name")))
    _note_titles(plan, table, values, ("first_name", first_ok), ("last_name", last_ok))
    role_ok = valid(_distinct(values, "role"), lambda v: choice(v.lower() if v else None, Role, "role"))
    lang_ok = valid(_distinct(values, "language"), lambda v: choice(v.lower() if v else None, Language, "language"))
    targets = resolve_references(ctx, snap, opts, plan, file_tenants, _distinct(values, "tenant"))

    emails: dict[str | None, Email] = {}
    unchanged = Unchanged()
    fast: pl.DataFrame | None = None  # the e-mails the rule's fast path takes, in columns
    if frame is not None:
        if stored is not None:
            candidates = _candidates(snap, frame, stored, targets, role_ok, lang_ok)
            # the stored users' columns go before the unchanged rows become Python objects (at
            # 1,000,000 users they held ~200 MB at the re-run's peak)
            stored = None
            unchanged = _unchanged(frame, candidates, emails)
            del candidates
        cells, fast = _rest_of(frame, unchanged.index)
    del frame, read_rows, values, stored  # the rows still to plan are Python lists from here on
    assert cells is not None
    rows = _Rows(ctx, snap, opts, plan, table, cells, *_checked_emails(cells["email"], emails, fast), first_ok,
                 last_ok, role_ok, lang_ok, targets)
    del fast
    del emails
    rows.headers = {name: table.header_of(name) for name in USER_FIELDS}
    _load_existing(rows, unchanged)
    placed: list[RowPlan | None] = [None] * n
    for i, rownum, uid, login, email in zip(unchanged.index, unchanged.rownum, unchanged.user_id, unchanged.login,
                                            unchanged.email, strict=True):
        p = placed[i] = RowPlan(table.sheet, rownum, "user", login, email)
        p.target_id = uid
    _plan_rest(rows, placed, progress)
    plan.users.extend(placed)  # type: ignore[arg-type]


def _plan_rest(r: _Rows, placed: list[RowPlan | None], progress: Progress | None) -> None:
    """The rows not equal to the store, in row order: a plain new user by the fast lane (new_users),
    any other by every rule (`_plan_row`); logins are allocated in row order across both."""
    fast = plain_rows(r.cells, r.ekeys, r.existing, r.first_ok, r.last_ok, r.role_ok, r.lang_ok, r.targets)
    rows: Iterator[RowPlan]
    if any(fast):
        r.logins = r.logins or Handles(r.snap.logins(), "", 100)
        rows = NewUsers(r.table.sheet, r.headers["first_name"], r.logins, r.first_ok, r.last_ok, r.role_ok,
                        r.lang_ok, r.targets, r.create_changes).rows(fast, r.cells, r.emails, r.ekeys,
                                                                     lambda k: _plan_row(r, k), progress)
    else:
        rows = _each_row(r, progress)
    if len(fast) == len(placed):  # no row equal to the store
        placed[:] = rows
        return
    slow = iter(i for i, p in enumerate(placed) if p is None)
    for p in rows:
        placed[next(slow)] = p


def _each_row(r: _Rows, progress: Progress | None) -> Iterator[RowPlan]:
    total = len(r.cells["_row"])
    for k in range(total):
        if progress and k % 10_000 == 0:
            progress("checking users", k, total)
        yield _plan_row(r, k)


def _distinct(values: pl.DataFrame | dict[str, list[Any]], name: str) -> list[Any]:
    if isinstance(values, dict):
        return list(set(values[name]))
    return values[name].unique().to_list() if name in values.columns else [None]


def _rest(read_rows: list[tuple[int, tuple[str | None, ...]]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    """A row-wise reader's rows as Python columns by field (`_row` and USER_FIELDS); the rows are
    let go."""
    columns = [list(c) for c in zip(*(v for _, v in read_rows), strict=True)] if read_rows else [[] for _ in names]
    by_field = dict(zip(names, columns, strict=True))
    rownums = [r for r, _ in read_rows]
    read_rows.clear()
    return {"_row": rownums, **{f: by_field.get(f) or [None] * len(rownums) for f in USER_FIELDS}}


def _rest_of(frame: pl.DataFrame, unchanged: list[int]) -> tuple[dict[str, list[Any]], pl.DataFrame | None]:
    """The rows not found unchanged, as Python columns by field (`_row` and USER_FIELDS), and
    checks.fast_emails of their e-mails."""
    rest = frame if not unchanged else frame.with_row_index("_i").filter(~_is_in("_i", unchanged)).drop("_i")
    cells = {name: _column(rest, name) for name in ("_row", *USER_FIELDS)}
    return cells, fast_emails(rest["email"]) if "email" in rest.columns else None


def _column(frame: pl.DataFrame, name: str) -> list[Any]:
    """A column as a list; equal texts share one string (names, roles, tenants repeat: 100,000 rows
    held at once), as the readers' rows do."""
    if name not in frame.columns:
        return [None] * frame.height
    values = frame[name].to_list()
    if name in {"_row", "email"}:
        return values
    one: dict[Any, Any] = {}
    return [one.setdefault(v, v) for v in values]


def _is_in(name: str, values: list[int]) -> pl.Expr:
    import polars as pl

    return pl.col(name).is_in(pl.Series(values, dtype=pl.UInt32).implode())


def _stored_users(ctx: Ctx, opts: Options, table: Table,
                  read_rows: list[tuple[int, tuple[str | None, ...]]] | None) -> Stored | None:
    """The stored users (and memberships) the file's e-mails name as written, or None when no row
    can be equal to the store (--mode create, no e-mail column, none of its addresses stored)."""
    if opts.mode != "upsert" or "email" not in table.fields:
        return None
    if read_rows is not None:
        pos = table.names.index("email")
        emails: Any = [v[pos] for _, v in read_rows]
    else:
        emails = table.frame()["email"]
    stored = load_stored(ctx, emails)
    return stored if stored is not None and stored.users.height else None


def _candidates(snap: Snapshot, frame: pl.DataFrame, stored: Stored,
                targets: dict[str | None, tuple[Target | None, str | None]], role_ok: dict[Any, Any],
                lang_ok: dict[Any, Any]) -> pl.DataFrame:
    """The rows equal to the store, before the first row of each e-mail is chosen (compare_users)."""
    tenants = {tref: t.tenant_id for tref, (t, _) in targets.items()
               if tref is not None and t is not None and t.ref[0] == "store" and not t.errors}
    return unchanged_rows(frame, stored, tenants, role_ok, lang_ok, snap.visible)  # type: ignore[arg-type]


def _unchanged(frame: pl.DataFrame, candidates: pl.DataFrame, emails: dict[str | None, Email]) -> Unchanged:
    """The candidates that are their e-mail's first row; `emails` gets the other rows' e-mails that
    the rule's fast path leaves to the rule."""
    if not candidates.height:
        return Unchanged()
    others = frame.with_row_index("_i").filter(~_is_in("_i", candidates["_i"].to_list())).select("_i", "email")
    ekeys = _checked_emails(others["email"].to_list(), emails, fast_emails(others["email"]))[1]
    keys = {i: key for i, key in zip(others["_i"].to_list(), ekeys, strict=True) if key}
    return first_per_key(candidates, keys)


def _checked_emails(raw: list[str | None], known: dict[str | None, Email], fast: pl.DataFrame | None
                    ) -> tuple[list[str | None], list[str | None], dict[int, str]]:
    """The rows' addresses through the rule (lists by position: no second copy of 100,000 texts):
    its fast path for all rows (in columns when `fast` holds checks.fast_emails of `raw`), the rest
    through the rule itself, once per distinct value."""
    if fast is not None:
        emails = [e or value if ok else None
                  for value, ok, e in zip(raw, fast["ok"].to_list(), fast["email"].to_list(), strict=True)]
        ekeys = [key or e if e is not None else None for e, key in zip(emails, fast["key"].to_list(), strict=True)]
    else:
        emails, ekeys = fast_email_lists(raw)
    errors: dict[int, str] = {}
    slow = [k for k, e in enumerate(emails) if e is None]
    _normalise_emails(known, [raw[k] for k in slow])
    for k in slow:
        emails[k], ekeys[k], message = known[raw[k]]
        if message:
            errors[k] = message
    return emails, ekeys, errors


def _email(value: str | None) -> Email:
    try:
        e = normalise_email(value or "")
    except InvalidInput as exc:
        return None, None, exc.message
    # rules.email_key; an ASCII address already in lower case is its own key (no second copy)
    return e, e if e.isascii() and e.islower() else rules.email_key(e), None


def _normalise_emails(emails: dict[str | None, Email], raw: list[str | None]) -> None:
    """Each distinct address through the rule once: (address, key, None) or (None, None, message)."""
    for value in set(raw).difference(emails):
        emails[value] = _email(value)


def _load_existing(rows: _Rows, unchanged: Unchanged) -> None:
    """The stored users the remaining rows name (by e-mail key), their memberships and access; an
    unchanged row that is the first of an e-mail a remaining row repeats counts as seen."""
    snap = rows.snap
    keys = set(rows.ekeys)
    keys.discard(None)
    rows.existing = snap.users_by_email(list(keys))  # type: ignore[arg-type]
    rows.memberships = snap.memberships([u.id for u in rows.existing.values()])
    if any(rows.cells["access"]):
        rows.rights = snap.rights([m[0] for ms in rows.memberships.values() for m in ms.values()])
    for rownum, key, tref in zip(unchanged.rownum, unchanged.email_key, unchanged.tenant, strict=True):
        if key in keys:
            rows.seen[key] = rownum
            rows.unchanged_refs[rownum] = tref


_NO_MEMBERSHIPS: dict[int, tuple[int, str]] = {}


def _plan_row(r: _Rows, k: int) -> RowPlan:
    """One row that is not equal to the store: every rule, then an update, a further membership or a new user."""
    c, h = r.cells, r.headers.__getitem__
    rownum, email_raw, first_raw, last_raw = c["_row"][k], c["email"][k], c["first_name"][k], c["last_name"][k]
    email, ekey, email_error = r.emails[k], r.ekeys[k], r.email_errors.get(k)
    target, target_error = r.targets[c["tenant"][k]]
    user = r.existing.get(ekey) if ekey else None
    p = RowPlan(r.table.sheet, rownum, "user", None, email_raw or "")
    first = r.first_ok.get(first_raw) or check(p, h("first_name"), clean_name, first_raw, "first name")
    last = r.last_ok.get(last_raw) or check(p, h("last_name"), clean_name, last_raw, "last name")
    if email_error:
        p.error(h("email"), email_error)
    role = r.role_ok.get(c["role"][k], INVALID)
    if role is INVALID:
        role = check(p, h("role"), choice, c["role"][k].lower(), Role, "role")
    language = r.lang_ok.get(c["language"][k], INVALID)
    if language is INVALID:
        language = check(p, h("language"), choice, c["language"][k].lower(), Language, "language")
    again = _same_person(r, p, ekey, email, first, last, target, user) if ekey else None
    if target_error:
        p.error(h("tenant"), target_error)
    access = plan_access(r.snap, p, h("tenant"), h("access"), target, c["access"][k])
    tenant_id = target.tenant_id if target is not None else None
    if user is not None:
        plan_user_update(r.ctx, r.snap, p, user, r.opts, h("email"), (h("first_name"), h("last_name")),
                         r.memberships.get(user.id, _NO_MEMBERSHIPS), r.rights, target, tenant_id, first, last,
                         language, role, c["role"][k] is not None, access, email or "")
        if ekey and r.seen[ekey] != rownum and p.action != "error":  # a duplicate stays an error row
            refer_to_first_row(p, r.seen[ekey])
        return p
    if again is not None:  # a further membership of a person this file creates
        plan_membership(p, again[4], target, tenant_id, role or Role.member, access, r.plan.ref)
        return p
    _new_user(r, p, email, ekey, first, last, language, role, target, access)
    return p


def _same_person(r: _Rows, p: RowPlan, ekey: str, email: str | None, first: str | None, last: str | None,
                 target: Target | None, user: Any) -> tuple[int, str | None, str | None, Any, RowPlan] | None:
    """The e-mail's first row is remembered; a later row with it is one person in several companies
    (the same name: one more membership, returned as the person's first row when the file creates
    them) or a problem (another name, or the same company again)."""
    p.label = email or ""
    rownum = p.row
    first_row = r.seen.setdefault(ekey, rownum)
    if first_row == rownum:
        r.people[ekey] = (rownum, first, last, target.ref if target is not None else None, p)
        return None
    prev = r.people.get(ekey)
    names = (prev[1], prev[2]) if prev else (user.first_name, user.last_name) if user else None
    if prev is not None:
        prev_ref = prev[3]
    else:  # the first row was unchanged (compare_users): its tenant, by its cell
        first_target = r.targets[r.unchanged_refs[first_row]][0]
        prev_ref = first_target.ref if first_target is not None else None
    where = r.plan.ref(r.table.sheet, first_row)
    if names is not None and names != (first, last):
        p.error(r.table.header_of("email"),
                f"e-mail {email} also in {where}, with another name ({' '.join(n for n in names if n)})")
    elif target is None or prev_ref == target.ref:
        p.error(r.table.header_of("email"), f"e-mail {email} also in {where}")
    elif prev is not None and user is None:
        return prev
    return None


def _new_user(r: _Rows, p: RowPlan, email: str | None, ekey: str | None, first: str | None, last: str | None,
              language: str | None, role: str | None, target: Target | None, access: set[int]) -> None:
    if first and last:
        if r.logins is None:
            r.logins = Handles(r.snap.logins(), "", 100)
        login = check(p, r.table.header_of("first_name"), login_for, r.logins, first, last)
        if login:
            p.key = login
    role = role or Role.member
    tenant_id = target.tenant_id if target is not None else None
    file_row = target.ref[1] if target is not None and target.ref[0] == "file" else None
    p.values = NewUser(p.key, email, ekey, first, last, language or (
        target.language if target is not None else r.ctx.settings.default_language), tenant_id, file_row, role,
        tuple(sorted(access)) if access else ())
    if p.action != "error":
        p.action = "create"
        tenant_key = target.tenant_key if target is not None else None
        # read-only, so the users of one tenant and role share one
        p.changes = r.create_changes.get((tenant_key, role)) or r.create_changes.setdefault(
            (tenant_key, role), Joins(tenant_key, role))


def _note_titles(plan: Plan, table: Table, values: pl.DataFrame | dict[str, list[Any]],
                 *columns: tuple[str, dict[Any, Any]]) -> None:
    """The plan names the names whose titles were dropped (checked per distinct value)."""
    dropped: list[tuple[int, Any, Any]] = []
    for name, ok in columns:
        changed = {v for v, clean in ok.items() if v is not None and clean != " ".join(v.split())}
        if not changed:
            continue
        if isinstance(values, dict):
            hits: Any = zip(values["_row"], values[name], strict=True)
        else:
            import polars as pl

            hit = values.filter(pl.col(name).is_in(list(changed)))
            hits = zip(hit["_row"], hit[name], strict=True)
        dropped += [(row, v, ok[v]) for row, v in hits if v in changed]
    if dropped:
        dropped.sort()
        shown = ", ".join(f"{plan.ref(table.sheet, r)}: {v!r} → {c!r}" for r, v, c in dropped[:3])
        plan.notes.append(f"titles dropped from {len(dropped)} names ({shown}{', …' if len(dropped) > 3 else ''}); "
                          "tenantctl keeps no titles, and logins never contain them")
