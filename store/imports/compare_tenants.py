"""Compare in columns: which tenant rows say exactly what the store holds (a re-run, an exported
document applied again). The stored tenants and connections the actor sees are read as columns (one
SELECT each) and joined with the file's columns; a row found equal is planned unchanged without
reading its cells one by one.

A row is unchanged (and skips the row-by-row planner) only when that planner could say nothing else
about it: every cell passes its rule (each distinct text checked once, tenant_file.CellRules); the
name is the stored name exactly and its own clean form; the row names, by key or by customer number
at its reseller, a stored tenant the actor sees, of the row's kind; a customer's reseller (the cell,
or the default) is a stored reseller the actor sees and the customer has exactly one connection to
it, whose number, currency and billing the row leaves empty or repeats; a reseller's row names no
reseller, number, currency or billing; language and external id are empty or the stored ones; no
application is named. Duplicates within the file are still found, in row order, by the planner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState, TenantKind
from tenantctl.store.imports.checks import split_list
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.tenant_file import CellRules, Columns

if TYPE_CHECKING:
    import polars as pl

TENANT_COLUMNS = ("id", "key", "name", "kind", "language", "external_id")
CONNECTION_COLUMNS = ("id", "reseller_id", "customer_id", "customer_number", "currency", "billing", "state")
FIELDS = ("key", "name", "kind", "reseller", "customer_number", "currency", "billing", "language", "external_id",
          "applications")
RULED = ("language", "billing", "currency", "customer_number", "external_id")


@dataclass(slots=True)
class Same:
    """A row equal to the store: what its plan and FileTenant show."""

    tenant_id: int
    key: str
    name: str
    kind: str
    reseller_id: int | None
    reseller_key: str | None
    number: str | None


def names_stored(snap: Snapshot, cells: Columns) -> bool:
    """Whether any row can be equal to the store: one names a stored tenant by key or number."""
    if any((k or "").strip().lower() in snap.by_key for k in cells.column("key")):
        return True
    stored = {n for _, n in snap.conn_by_number}
    return any(n in stored for n in cells.column("customer_number") if n)


def _select(ctx: Ctx, table: str, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    """One SELECT through the driver, plain tuples in batches."""
    cursor = ctx.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        while batch := cursor.fetchmany(20_000):
            yield from batch
    finally:
        cursor.close()


def _frame(rows: list[tuple[Any, ...]], names: tuple[str, ...], ints: set[str]) -> pl.DataFrame:
    import polars as pl

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pl.DataFrame({n: list(c) for n, c in zip(names, columns, strict=True)},
                        schema={n: pl.Int64 if n in ints else pl.String for n in names})


def load_stored(ctx: Ctx, snap: Snapshot) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored tenants the actor sees and the connections that are not rejected, as columns."""
    tenants = [t for t in _select(ctx, "tenant", TENANT_COLUMNS) if snap.is_visible(t[0])]
    conns = [c[:-1] for c in _select(ctx, "connection", CONNECTION_COLUMNS) if c[-1] != ConnectionState.rejected]
    return (_frame(tenants, TENANT_COLUMNS, {"id"}),
            _frame(conns, CONNECTION_COLUMNS[:-1], {"id", "reseller_id", "customer_id"}))


def _mapping(raw: str, values: Mapping[Any, Any], out: str) -> pl.DataFrame:
    """A {text: value} mapping as a frame to join on (the None key left out: an empty cell is kept
    by a left join and reads as no value)."""
    import polars as pl

    items = [(k, v) for k, v in values.items() if k is not None]
    return pl.DataFrame({raw: [k for k, _ in items], out: [v for _, v in items]},
                        schema={raw: pl.String, out: pl.String})


def _resellers(snap: Snapshot, refs: list[str | None], default: str | None) -> pl.DataFrame:
    """Each distinct reseller cell (empty as ""): the reference, the reseller it means (or the
    default) and its id, for the cells naming a stored reseller the actor sees (or none at all)."""
    import polars as pl

    rows: list[tuple[Any, ...]] = []
    for cell in {c or "" for c in refs}:
        ref = cell.strip().lower() or None
        key = ref or default
        r = snap.by_key.get(key) if key else None
        if key is None:
            rows.append((cell, ref, None, None))
        elif r is not None and snap.is_visible(r.id) and r.kind == TenantKind.reseller:
            rows.append((cell, ref, key, r.id))
    return pl.DataFrame(rows, schema={"_rcell": pl.String, "_rref": pl.String, "_rkey": pl.String, "_rid": pl.Int64},
                        orient="row")


def same_as_stored(ctx: Ctx, snap: Snapshot, cells: Columns, rules: CellRules,
                   default_reseller: str | None) -> dict[int, Same]:
    """The rows (by position) equal to the store, as the module's doc says."""
    import polars as pl

    if cells.frame is not None:  # the reader's columns, as they are
        given = cells.frame.columns
        f = cells.frame.select([pl.col(n).cast(pl.String) if n in given else pl.lit(None, pl.String).alias(n)
                                for n in FIELDS])
    else:
        f = pl.DataFrame({n: cells.column(n) for n in FIELDS}, schema=dict.fromkeys(FIELDS, pl.String))
    f = f.with_row_index("_i")
    names = {v for v in set(cells.column("name")) if v is not None and rules.outcome("name", v) == (v, None)}
    empty_apps = [v for v in set(cells.column("applications")) if v is not None and not split_list(v)]
    f = f.filter(pl.col("name").is_in(list(names))
                 & (pl.col("applications").is_null() | pl.col("applications").is_in(empty_apps)))
    for name in RULED:
        valid = rules.valid(name, [v for v in set(cells.column(name)) if v is not None])
        f = f.filter(pl.col(name).is_null() | pl.col(name).is_in(list(valid)))
        f = f.join(_mapping(name, valid, f"_{name}"), on=name, how="left")
    # a key is checked as the planner reads it: trimmed, lower case
    keys = {v: (v.strip().lower() or None) for v in set(cells.column("key")) if v is not None}
    keys = {v: k for v, k in keys.items() if k is None or rules.outcome("key", k)[1] is None}
    f = f.filter(pl.col("key").is_null() | pl.col("key").is_in(list(keys)))
    f = f.join(_mapping("key", keys, "_key"), on="key", how="left")
    kinds = {v: (v.strip().lower() or None) for v in set(cells.column("kind")) if v is not None}
    kinds = {v: k for v, k in kinds.items() if k in {None, TenantKind.customer, TenantKind.reseller}}
    f = f.filter(pl.col("kind").is_null() | pl.col("kind").is_in(list(kinds)))
    f = f.join(_mapping("kind", kinds, "_cell_kind"), on="kind", how="left")
    f = f.with_columns(pl.col("reseller").fill_null("").alias("_rcell"))
    f = f.join(_resellers(snap, cells.column("reseller"), default_reseller), on="_rcell", how="inner")
    f = f.with_columns(pl.coalesce(pl.col("_cell_kind"), pl.when(pl.col("_rkey").is_not_null())
                                   .then(pl.lit(TenantKind.customer.value))).alias("_kind"))
    customer = (pl.col("_kind") == TenantKind.customer) & pl.col("_rid").is_not_null()
    reseller = ((pl.col("_kind") == TenantKind.reseller) & pl.col("_rref").is_null()
                & pl.col("_customer_number").is_null() & pl.col("_currency").is_null() & pl.col("_billing").is_null())
    f = f.filter(customer | reseller)
    return _joined(f, *load_stored(ctx, snap))


def _joined(f: pl.DataFrame, tenants: pl.DataFrame, conns: pl.DataFrame) -> dict[int, Same]:
    """The rows naming a stored tenant (by key, else by number at the reseller) equal to it."""
    import polars as pl

    stored = tenants.select(pl.col("id").alias("_tid"), pl.col("key").alias("_tkey"), pl.col("name").alias("_tname"),
                            pl.col("kind").alias("_tkind"), pl.col("language").alias("_tlang"),
                            pl.col("external_id").alias("_text"))
    by_key = f.filter(pl.col("_key").is_not_null()).join(stored, left_on="_key", right_on="_tkey", how="inner",
                                                         coalesce=False)
    numbered = conns.select(pl.col("reseller_id").alias("_rid"), pl.col("customer_number").alias("_customer_number"),
                            pl.col("customer_id").alias("_tid"))
    # a number two customers have at one reseller: the planner's look-up decides (the connection read last)
    numbered = numbered.filter(pl.len().over("_rid", "_customer_number") == 1)
    by_number = (f.filter(pl.col("_key").is_null() & pl.col("_customer_number").is_not_null()
                          & (pl.col("_kind") == TenantKind.customer))
                 .join(numbered, on=["_rid", "_customer_number"], how="inner").join(stored, on="_tid", how="inner"))
    m = pl.concat([by_key.select(sorted(by_key.columns)), by_number.select(sorted(by_key.columns))])
    m = m.filter((pl.col("_kind") == pl.col("_tkind")) & (pl.col("name") == pl.col("_tname"))
                 & (pl.col("_language").is_null() | (pl.col("_language") == pl.col("_tlang")))
                 & (pl.col("_external_id").is_null() | (pl.col("_external_id") == pl.col("_text"))))
    # a customer: its connection to the reseller (one per pair: uq_connection_pair), the row's number,
    # currency and billing empty or equal
    links = conns.select(pl.col("customer_id").alias("_tid"), pl.col("reseller_id").alias("_rid"),
                         pl.col("customer_number").alias("_cnum"), pl.col("currency").alias("_ccur"),
                         pl.col("billing").alias("_cbill"))
    customers = m.filter(pl.col("_tkind") == TenantKind.customer).join(links, on=["_tid", "_rid"], how="inner")
    customers = customers.filter(
        (pl.col("_customer_number").is_null() | (pl.col("_customer_number") == pl.col("_cnum")))
        & (pl.col("_currency").is_null() | (pl.col("_currency") == pl.col("_ccur")))
        & (pl.col("_billing").is_null() | (pl.col("_billing") == pl.col("_cbill"))))
    # a reseller's row names no reseller: its FileTenant has none (not the default)
    resellers = m.filter(pl.col("_tkind") == TenantKind.reseller).with_columns(
        pl.lit(None, pl.Int64).alias("_rid"), pl.lit(None, pl.String).alias("_rkey"))
    out = pl.concat([customers.select(_SAME), resellers.select(_SAME)])  # one match per row: by key, else number
    return {row[0]: Same(*row[1:]) for row in out.iter_rows()}


_SAME = ("_i", "_tid", "_tkey", "_tname", "_tkind", "_rid", "_rkey", "_customer_number")
