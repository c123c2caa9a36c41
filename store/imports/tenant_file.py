"""What planning a tenants table keeps across its rows (keys taken, duplicates seen, notes to say at
the end) and what it reads from one row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantctl.store import rules
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Billing, Language, TenantKind
from tenantctl.store.errors import NotFound
from tenantctl.store.imports.checks import Handles, choice, clean_name
from tenantctl.store.imports.near_names import NearNames
from tenantctl.store.imports.plan import Options, Plan, RowPlan
from tenantctl.store.imports.rows import Table
from tenantctl.store.imports.snapshot import Snapshot

if TYPE_CHECKING:
    import polars as pl


@dataclass
class FileTenant:
    plan: RowPlan
    key: str
    name: str
    kind: str
    reseller_id: int | None        # store reseller
    reseller_key: str | None
    customer_number: str | None
    apps: set[int]
    existing_id: int | None


@dataclass
class TenantRow:
    """One row's cells, checked, and the reseller they name."""

    p: RowPlan
    rownum: int
    name: str | None
    kind: str | None
    language: str | None
    billing: str | None
    currency: str | None
    number: str | None
    external_id: str | None
    key: str | None
    reseller_ref: str | None
    reseller_id: int | None = None
    reseller_key: str | None = None
    apps: set[int] = field(default_factory=set)


def _lowered(enum: Any, what: str) -> Callable[[Any], Any]:
    return lambda v: choice((v or "").lower() or None, enum, what)


# the rule a cell of each field goes through, as a function of the cell's text (as tenant_cells reads it)
_RULES: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: clean_name(v, "tenant name"), "language": _lowered(Language, "language"),
    "billing": _lowered(Billing, "billing"), "currency": rules.normalise_currency,
    "customer_number": rules.clean_customer_number, "external_id": rules.clean_external_id,
    "key": rules.check_tenant_key}


class CellRules:
    """Each tenant cell rule once per distinct text (names, languages, currencies and resellers
    repeat; the columnar compare asks for the same outcomes): (value, None) or (None, the rule's
    message). An error without a message is a bug and is raised, as checks.check does."""

    def __init__(self) -> None:
        self.memo: dict[str, dict[Any, tuple[Any, str | None]]] = {f: {} for f in _RULES}

    def outcome(self, field: str, value: Any) -> tuple[Any, str | None]:
        seen = self.memo[field]
        hit = seen.get(value)
        if hit is None:
            try:
                hit = (_RULES[field](value), None)
            except Exception as exc:
                if not hasattr(exc, "message"):
                    raise
                hit = (None, exc.message)
            seen[value] = hit
        return hit

    def valid(self, field: str, values: list[Any]) -> dict[Any, Any]:
        """{text: its value} for the texts among `values` that pass the field's rule."""
        out = {}
        for v in values:
            value, message = self.outcome(field, v)
            if message is None:
                out[v] = value
        return out

    def check(self, p: RowPlan, f: TenantFile, field: str, value: Any) -> Any:
        """The cell's value, or None and its rule's message said on the row."""
        hit = self.memo[field].get(value) or self.outcome(field, value)  # a hit without the call: 60,000 cells
        if hit[1] is not None:
            p.error(f.h(field), hit[1])
        return hit[0]


@dataclass
class Columns:
    """A tenants table's rows as one Python list per field, read once from the reader's columns (a
    columnar table's per-row tuples are never built) or from its rows."""

    rownums: list[int]
    values: dict[str, list[str | None]]  # the table's fields; a field it lacks reads as empty
    frame: pl.DataFrame | None = None    # the reader's columns, when it read into columns (for the compare)

    @classmethod
    def of(cls, table: Table) -> Columns:
        if table.columns is not None and table._rows is None:  # as a columnar reader left it
            frame = table.columns
            return cls(frame["_row"].to_list(), {n: frame[n].to_list() for n in table.names}, frame)
        rows = table.rows
        cols = list(zip(*(v for _, v in rows), strict=True)) if rows else [() for _ in table.names]
        return cls([r for r, _ in rows], {n: list(c) for n, c in zip(table.names, cols, strict=True)})

    def column(self, name: str) -> list[str | None]:
        found = self.values.get(name)
        return found if found is not None else [None] * len(self.rownums)

    def record(self, i: int) -> dict[str, str]:
        """Row i as field → text, empty cells left out (as Table.records gives it)."""
        return {n: c[i] for n, c in self.values.items() if c[i] is not None}  # type: ignore[misc]


@dataclass
class TenantFile:
    """The tenants table being planned and what its rows share."""

    ctx: Ctx
    snap: Snapshot
    table: Table
    opts: Options
    plan: Plan
    flat: bool
    padded_refs: set[str]
    h: Callable[[str], str]
    cells: Columns
    rules: CellRules
    reseller_default: str | None
    lost: set[int]
    file_resellers: set[str]
    taken_keys: set[str]
    key_handles: Handles
    # a contact list's companies are all customers: without a reseller, one line naming the fix,
    # not the same refusal on every company row
    unowned: bool
    needs_reseller: bool = False
    unpadded: list[tuple[int, str, str]] = field(default_factory=list)  # (row, number in the file, stored number)
    seen_keys: dict[str, int] = field(default_factory=dict)
    seen_numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    seen_names: dict[tuple[str | None, str], int] = field(default_factory=dict)
    near: NearNames | None = None   # the visible stored tenants by their loose name, built on first use
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # a company cell unlike the stored name
    new_companies: list[tuple[int, str]] = field(default_factory=list)


def default_reseller(ctx: Ctx, snap: Snapshot, opts: Options) -> str | None:
    if opts.reseller:
        return opts.reseller.strip().lower()
    if len(ctx.actor.reseller_ids) == 1:
        (rid,) = ctx.actor.reseller_ids
        return str(snap.tenants[rid].key)
    return None


def open_tenant_file(ctx: Ctx, snap: Snapshot, table: Table, opts: Options, plan: Plan,
                     padded_refs: set[str], flat: bool, cells: Columns, cell_rules: CellRules) -> TenantFile:
    """The table's shared state; an --reseller that is not a visible reseller is refused first."""
    reseller_default = default_reseller(ctx, snap, opts)
    if opts.reseller:
        r = snap.by_key.get(reseller_default or "")
        if r is None or not snap.is_visible(r.id) or r.kind != TenantKind.reseller:
            raise NotFound(f"reseller {opts.reseller!r} not found", hint="see tenantctl tenant list --kind reseller")
    lost = _lost_zeros(cells.rownums, cells.column("customer_number"), table.numbers)
    # keys given in the file (explicitly) are reserved before keys are derived for the others
    keys = cells.column("key")
    file_resellers = {k.lower() for k, kind in zip(keys, cells.column("kind"), strict=True)
                      if k and (kind or "").lower() == TenantKind.reseller}
    taken_keys = set(snap.by_key)
    reserved = {k.strip().lower() for k in keys if k}
    return TenantFile(ctx, snap, table, opts, plan, flat, padded_refs, table.header_of, cells, cell_rules,
                      reseller_default, lost, file_resellers, taken_keys,
                      Handles(taken_keys | reserved, "-", rules.KEY_MAX),
                      unowned=flat and reseller_default is None and not any(cells.column("reseller")))


def _lost_zeros(rownums: list[int], numbers: list[str | None], number_cells: set[tuple[int, str]]) -> set[int]:
    """checks.lost_zeros for the customer numbers, from the column's list (no row tuples): rows whose
    number is shorter than the column's usual length, `1067` among five-digit numbers."""
    values = [(r, str(v)) for r, v in zip(rownums, numbers, strict=True) if v]
    lengths = Counter(len(v) for _, v in values if v.isdigit())
    if not lengths:
        return set()
    usual, count = lengths.most_common(1)[0]
    has_zero = any(v.startswith("0") for _, v in values)
    return {r for r, v in values if v.isdigit() and len(v) < usual
            and ((r, "customer_number") in number_cells or has_zero) and count >= 2}
