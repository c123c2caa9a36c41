"""Compare in columns: which user rows say exactly what the store holds (a re-run, an exported
document applied again). The stored users and memberships are read as columns (one SELECT each)
and joined with the file's columns; a row found equal costs nothing after that: no cell rule, no
e-mail normalisation, no dictionary look-up per row.

A row is unchanged (and skips every check) only when the row-by-row rules could say nothing else
about it: its e-mail, first and last name are the stored user's text exactly (the stored values
were checked when written), its language is empty or the stored one, it names a stored tenant
(one the actor sees, whose row in the file has no problem) the user is already a member of, in the
same role (or none given), grants no access, the user has a membership the actor sees, and it is
the file's first row for that e-mail (a later one is a duplicate or a further membership: checked
row by row). Scope: an unmanaged tenant is no refusal for a row that changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantctl.store.context import Ctx
from tenantctl.store.imports.checks import BULK_LOAD, chunks

if TYPE_CHECKING:
    import polars as pl

# what the compare needs (an unchanged row is planned from these; a changed one reads its user again)
USER_COLUMNS = ("id", "login", "email", "email_key", "first_name", "last_name", "language")
MEMBERSHIP_COLUMNS = ("id", "user_id", "tenant_id", "role")
USER_TYPES = {"id": "Int64", "login": "String", "email": "String", "email_key": "String", "first_name": "String",
              "last_name": "String", "language": "String"}
MEMBERSHIP_TYPES = {"id": "Int64", "user_id": "Int64", "tenant_id": "Int64", "role": "String"}


@dataclass
class Stored:
    """The store's users named by the file and their memberships, as columns."""

    users: pl.DataFrame
    memberships: pl.DataFrame


@dataclass
class Unchanged:
    """The rows equal to the store: their positions in the file (ascending) and what their plan shows."""

    index: list[int] = field(default_factory=list)
    rownum: list[int] = field(default_factory=list)
    tenant: list[str | None] = field(default_factory=list)
    user_id: list[int] = field(default_factory=list)
    login: list[str] = field(default_factory=list)
    email: list[str] = field(default_factory=list)
    email_key: list[str] = field(default_factory=list)


def _frame(batches: Iterable[list[tuple[Any, ...]]], names: tuple[str, ...], types: Mapping[str, str],
           empty: bool = False) -> pl.DataFrame | None:
    """Batches of tuples as one frame, one batch in Python at a time. None when there are no rows
    (then polars is not loaded), unless `empty` asks for an empty frame."""
    frames = []
    for batch in batches:
        if not batch and not empty:
            continue
        import polars as pl

        columns = list(zip(*batch, strict=True)) if batch else [() for _ in names]
        frames.append(pl.DataFrame({n: list(c) for n, c in zip(names, columns, strict=True)},
                                   schema={n: getattr(pl, types[n]) for n in names}))
    if not frames:
        return None
    import polars as pl

    return pl.concat(frames, rechunk=False) if len(frames) > 1 else frames[0]  # no copy of the batches


def _batches(ctx: Ctx, table: str, columns: tuple[str, ...], where: str | None = None,
             keys: list[Any] | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """One SELECT through the driver, in batches of plain tuples: the whole table, or
    `where IN (keys)` in chunks."""
    cursor = ctx.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    marker = "?" if ctx.session.get_bind().dialect.name == "sqlite" else "%s"
    sql = f"SELECT {', '.join(columns)} FROM {table}"
    try:
        if keys is None:
            cursor.execute(sql)
            while batch := cursor.fetchmany(20_000):
                yield batch
            return
        for chunk in chunks(keys):
            cursor.execute(f"{sql} WHERE {where} IN ({', '.join([marker] * len(chunk))})", chunk)
            yield cursor.fetchall()
    finally:
        cursor.close()


def load_stored(ctx: Ctx, emails: Iterable[str | None]) -> Stored | None:
    """The stored users whose e-mail is one of `emails` (as written), and their memberships: IN-lists
    for a small file, one scan of each table for a big one (cheaper than 20 IN-lists), read in
    batches straight into columns. None when the store holds none of them (a first import: polars
    is not even loaded)."""
    wanted = set(emails)
    wanted.discard(None)
    if len(wanted) > BULK_LOAD:
        found = (b for b in ([u for u in batch if u[2] in wanted] for batch in _batches(ctx, "user_account",
                                                                                      USER_COLUMNS)) if b)
        users = _frame(found, USER_COLUMNS, USER_TYPES)
        if users is None:
            return None
        ids = set(users["id"].to_list())
        ms = _frame(([m for m in batch if m[1] in ids] for batch in _batches(ctx, "membership", MEMBERSHIP_COLUMNS)),
                    MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES)
    else:
        users = _frame(_batches(ctx, "user_account", USER_COLUMNS, "email", sorted(wanted)),
                       USER_COLUMNS, USER_TYPES)
        if users is None:
            return None
        ms = _frame(_batches(ctx, "membership", MEMBERSHIP_COLUMNS, "user_id", sorted(users["id"].to_list())),
                    MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES)
    if ms is None:  # users without a membership (released people)
        ms = _frame([[]], MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES, empty=True)
    assert ms is not None
    return Stored(users, ms)


def _mapping(name: str, values: Mapping[Any, Any], out: str) -> pl.DataFrame:
    """A {text: value} mapping as a two-column frame to join on (the None key left out)."""
    import polars as pl

    items = [(k, v) for k, v in values.items() if k is not None]
    return pl.DataFrame({name: [k for k, _ in items], out: [v for _, v in items]},
                        schema={name: pl.String, out: pl.String if name != "tenant" else pl.Int64})


def unchanged_rows(file: pl.DataFrame, stored: Stored, tenants: Mapping[str, int], roles: Mapping[Any, Any],
                   languages: Mapping[Any, Any], visible: set[int] | None) -> pl.DataFrame:
    """The candidate rows (every condition of the module's doc but the first-row-per-e-mail one,
    which needs every row's e-mail key): `_i` (position in the file), `_row`, `tenant`, `_uid`, `_login`,
    `_email`, `_key`. `tenants`: tenant reference → stored tenant id, for the references whose
    target has no problem; `roles`, `languages`: the valid texts → their value."""
    import polars as pl

    f = file.with_row_index("_i")
    for name in ("first_name", "last_name", "email", "role", "language", "tenant", "access"):
        if name not in f.columns:
            f = f.with_columns(pl.lit(None, pl.String).alias(name))
    f = f.filter(pl.col("email").is_not_null() & (pl.col("access").is_null() | (pl.col("access") == ""))
                 & (pl.col("role").is_null() | pl.col("role").is_in(_keys(roles)))
                 & (pl.col("language").is_null() | pl.col("language").is_in(_keys(languages))))
    f = f.join(_mapping("tenant", tenants, "_tid"), on="tenant", how="inner")
    users = stored.users.select(pl.col("id").alias("_uid"), pl.col("login").alias("_login"),
                                pl.col("email"), pl.col("email_key").alias("_key"),
                                pl.col("first_name").alias("_first"), pl.col("last_name").alias("_last"),
                                pl.col("language").alias("_lang"))
    f = f.join(users, on="email", how="inner")
    f = f.filter(pl.col("first_name").eq_missing(pl.col("_first")) & pl.col("last_name").eq_missing(pl.col("_last")))
    f = f.join(_mapping("language", languages, "_language"), on="language", how="left")
    f = f.filter(pl.col("language").is_null() | (pl.col("_language") == pl.col("_lang")))
    ms = stored.memberships.select(pl.col("user_id").alias("_uid"), pl.col("tenant_id").alias("_tid"),
                                   pl.col("role").alias("_mrole"))
    f = f.join(ms, on=["_uid", "_tid"], how="inner")
    f = f.join(_mapping("role", roles, "_role"), on="role", how="left")
    # a role cell that means no role (empty text) keeps the stored one, as an empty cell does
    f = f.filter(pl.col("_role").is_null() | (pl.col("_role") == pl.col("_mrole")))
    if visible is not None:  # the user has a membership the actor sees
        seen = stored.memberships.filter(pl.col("tenant_id").is_in(list(visible)))["user_id"].unique()
        f = f.filter(pl.col("_uid").is_in(seen.implode()))
    return f.select("_i", "_row", "tenant", "_uid", "_login", pl.col("email").alias("_email"), "_key").sort("_i")


def _keys(mapping: Mapping[Any, Any]) -> list[str]:
    return [k for k in mapping if k is not None]


def first_per_key(candidates: pl.DataFrame, other_keys: Mapping[int, str]) -> Unchanged:
    """The candidates that are their e-mail's first row in the file: `other_keys` holds the e-mail
    keys of the rows that are not candidates (position → key)."""
    import polars as pl

    keys = pl.concat([candidates.select("_i", "_key"),
                      pl.DataFrame({"_i": list(other_keys), "_key": list(other_keys.values())},
                                   schema={"_i": pl.UInt32, "_key": pl.String})])
    first = keys.sort("_i").filter(pl.col("_key").is_first_distinct())["_i"]
    kept = candidates.filter(pl.col("_i").is_in(first.implode()))
    return Unchanged(*(kept[c].to_list() for c in ("_i", "_row", "tenant", "_uid", "_login", "_email", "_key")))
