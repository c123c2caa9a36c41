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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from tenantctl.store.context import Ctx
from tenantctl.store.imports import stored_columns
from tenantctl.store.imports.checks import BULK_LOAD, chunks

if TYPE_CHECKING:
    import polars as pl

# what the compare needs (an unchanged row is planned from these; a changed one reads its user again)
USER_COLUMNS = ("id", "login", "email", "email_key", "first_name", "last_name", "language")
MEMBERSHIP_COLUMNS = ("id", "user_id", "tenant_id", "role")
USER_TYPES = {"id": "Int64", "login": "String", "email": "String", "email_key": "String", "first_name": "String",
              "last_name": "String", "language": "String"}
MEMBERSHIP_TYPES = {"id": "Int64", "user_id": "Int64", "tenant_id": "Int64", "role": "String"}
SCAN_BATCH = 5_000
HASH_SEED = 20  # any: equal hashes are only candidates, their texts are compared
# rows of a scan held unfiltered at most (a store far bigger than the file), or as many as the file
# names values: each filter hashes all of them again (a 1,000,000-user re-run filtered 20 times in
# 2.1-2.8 s, now twice in 0.4-0.5 s), and the file's own columns are that big already
KEEP_ROWS = 100_000


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


def _frame(batches: Iterable[list[tuple[Any, ...]] | pl.DataFrame], names: tuple[str, ...],
           types: Mapping[str, str], keep: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
           every: int = 0) -> pl.DataFrame | None:
    """Batches of tuples (built by polars from the tuples, one small batch in Python at a time) or
    frames as one frame. `keep` filters in columns, once per max(KEEP_ROWS, `every`) rows (`every`:
    how many values it looks for). None when no batch has a row (then polars is not loaded)."""
    frames: list[pl.DataFrame] = []
    pending: list[pl.DataFrame] = []
    held, group = 0, max(KEEP_ROWS, every)
    for batch in batches:
        if isinstance(batch, list):
            if not batch:
                continue
            import polars as pl

            pending.append(pl.DataFrame(batch, schema={n: getattr(pl, types[n]) for n in names}, orient="row"))
            held += len(batch)
            del batch[:]  # the tuples go before the next batch is fetched
        else:
            pending.append(batch)
            held += batch.height
        if keep is None or held >= group:
            frames.append(_kept(pending, keep))
            pending, held = [], 0
    if pending:
        frames.append(_kept(pending, keep))
    if not frames:
        return None
    import polars as pl

    return pl.concat(frames, rechunk=False) if len(frames) > 1 else frames[0]  # no copy of the batches


def _kept(frames: list[pl.DataFrame], keep: Callable[[pl.DataFrame], pl.DataFrame] | None) -> pl.DataFrame:
    import polars as pl

    frame = pl.concat(frames, rechunk=False) if len(frames) > 1 else frames[0]
    return keep(frame) if keep is not None else frame


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
            # small batches: a batch's tuples (7 objects a row) are what Python holds at once
            while batch := cursor.fetchmany(SCAN_BATCH):
                yield batch
            return
        for chunk in chunks(keys):
            cursor.execute(f"{sql} WHERE {where} IN ({', '.join([marker] * len(chunk))})", chunk)
            if batch := cursor.fetchall():
                yield batch
    finally:
        cursor.close()


def load_stored(ctx: Ctx, emails: Iterable[str | None] | pl.Series) -> Stored | None:
    """The stored users whose e-mail is one of `emails` (as written; a list, or a polars column from
    a columnar reader), and their memberships: IN-lists for a small file, one scan of each table
    for a big one (cheaper than 20 IN-lists), read in batches straight into columns. None when the
    store holds none of them (a first import of rows: polars is not even loaded)."""
    column = cast("pl.Series", emails) if hasattr(emails, "implode") else None  # no polars import to ask isinstance
    wanted: set[Any] = set(emails) if column is None else set()
    wanted.discard(None)
    n = len(wanted) if column is None else column.drop_nulls().n_unique()
    if n > BULK_LOAD:  # the whole tables, in batches: those of a column filtered in columns
        users = _scanned_users(ctx, column, wanted, n)
        if users is None or not users.height:
            return None
        native = stored_columns.scan(ctx, "membership", MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES,
                                     min(KEEP_ROWS, stored_columns.BATCH_ROWS))
        ms = _frame((b.frame() for b in native) if native is not None else _batches(ctx, "membership",
                                                                                     MEMBERSHIP_COLUMNS),
                    MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES, _is_in("user_id", users["id"]), users.height)
    else:
        keys = sorted(wanted) if column is None else column.drop_nulls().unique().sort().to_list()
        users = _frame(_batches(ctx, "user_account", USER_COLUMNS, "email", keys), USER_COLUMNS, USER_TYPES)
        if users is None:
            return None
        ms = _frame(_batches(ctx, "membership", MEMBERSHIP_COLUMNS, "user_id", sorted(users["id"].to_list())),
                    MEMBERSHIP_COLUMNS, MEMBERSHIP_TYPES)
    if ms is None:  # users without a membership (released people)
        import polars as pl

        ms = pl.DataFrame(schema={n: getattr(pl, MEMBERSHIP_TYPES[n]) for n in MEMBERSHIP_COLUMNS})
    return Stored(users, ms)


def _scanned_users(ctx: Ctx, column: pl.Series | None, wanted: set[Any], n: int) -> pl.DataFrame | None:
    """The stored users whose e-mail is one of the file's (`column`, else `wanted`), from one scan:
    read into columns on SQLite (stored_columns), as tuples through the driver elsewhere; those of a
    column filtered in columns, those of a list in Python (no polars for a file none of whose people
    is stored)."""
    native = stored_columns.scan(ctx, "user_account", USER_COLUMNS, USER_TYPES,
                                 min(KEEP_ROWS, stored_columns.BATCH_ROWS))
    found: Iterable[list[tuple[Any, ...]] | pl.DataFrame]
    if native is None:
        found = (_batches(ctx, "user_account", USER_COLUMNS) if column is not None
                 else ([u for u in b if u[2] in wanted] for b in _batches(ctx, "user_account", USER_COLUMNS)))
    else:
        found = (b.frame() for b in native) if column is not None else (_listed(b, wanted) for b in native)
    return _frame(found, USER_COLUMNS, USER_TYPES, _is_in("email", column) if column is not None else None, n)


def _listed(batch: stored_columns.Batch, wanted: set[Any]) -> list[tuple[Any, ...]] | pl.DataFrame:
    """A batch's users whose e-mail is `wanted`: the e-mails checked in Python, polars only for a
    batch that has some."""
    emails = batch.values("email")
    if emails is None:  # not splittable: its rows through the driver
        return [u for u in batch.rows() if u[2] in wanted]
    found = [e in wanted for e in emails]
    if not any(found):
        return []
    frame = batch.frame()
    if all(found):  # a re-run names every stored user it reads: no filtered copy
        return frame
    import polars as pl

    return frame.filter(pl.Series(found, dtype=pl.Boolean))


def _is_in(name: str, values: pl.Series) -> Callable[[pl.DataFrame], pl.DataFrame]:
    import polars as pl

    wanted = values.implode()

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        mask = frame.select(pl.col(name).is_in(wanted)).to_series()
        # a re-run names every stored user it reads: no filtered copy of them all
        return frame if mask.all(ignore_nulls=False) else frame.filter(mask)

    return keep


def _mapped(value: pl.Expr, mapping: Mapping[Any, Any], dtype: Any) -> pl.Expr:
    """A {text: value} mapping applied to a column (no join, no copy of the row's other columns);
    a text the mapping lacks (or the None key) gives null."""
    import polars as pl

    keys = _keys(mapping)
    return value.replace_strict(pl.Series(keys, dtype=pl.String), pl.Series([mapping[k] for k in keys], dtype=dtype),
                                default=None, return_dtype=dtype)


def unchanged_rows(file: pl.DataFrame, stored: Stored, tenants: Mapping[str, int], roles: Mapping[Any, Any],
                   languages: Mapping[Any, Any], visible: set[int] | None) -> pl.DataFrame:
    """The candidate rows (every condition of the module's doc but the first-row-per-e-mail one,
    which needs every row's e-mail key): `_i` (position in the file), `_row`, `tenant`, `_uid`, `_login`,
    `_email`, `_key`. `tenants`: tenant reference → stored tenant id, for the references whose
    target has no problem; `roles`, `languages`: the valid texts → their value."""
    import polars as pl

    def text(name: str) -> pl.Expr:
        return pl.col(name) if name in file.columns else pl.lit(None, pl.String)

    # the joins carry positions, ids and hashes, no texts: a join keyed on 100,000 texts costs
    # ~15 MB of hash table (and polars' allocator keeps what a step frees); texts are compared
    # and gathered by position afterwards
    f = file.lazy().with_row_index("_i").filter(
        text("email").is_not_null() & (text("access").is_null() | (text("access") == ""))
        & (text("role").is_null() | text("role").is_in(_keys(roles)))
        & (text("language").is_null() | text("language").is_in(_keys(languages))))
    f = f.select("_i", text("email").hash(HASH_SEED).alias("_h"), text("language").is_null().alias("_any_lang"),
                 _mapped(text("tenant"), tenants, pl.Int64).alias("_tid"),
                 _mapped(text("language"), languages, pl.String).alias("_language"),
                 _mapped(text("role"), roles, pl.String).alias("_role")).filter(pl.col("_tid").is_not_null())
    users = stored.users.lazy().with_row_index("_u").select("_u", pl.col("email").hash(HASH_SEED).alias("_h"))
    pairs = _same_texts(file, stored.users, f.join(users, on="_h", how="inner").collect())
    ms = stored.memberships.lazy().select(pl.col("user_id").alias("_uid"), pl.col("tenant_id").alias("_tid"),
                                          pl.col("role").alias("_mrole"))
    # a role cell that means no role (empty text) keeps the stored one, as an empty cell does
    f = pairs.lazy().join(ms, on=["_uid", "_tid"], how="inner").filter(pl.col("_role").is_null()
                                                                     | (pl.col("_role") == pl.col("_mrole")))
    if visible is not None:  # the user has a membership the actor sees
        seen = stored.memberships.filter(pl.col("tenant_id").is_in(list(visible)))["user_id"].unique()
        f = f.filter(pl.col("_uid").is_in(seen.implode()))
    found = f.select("_i", "_u").sort("_i").collect()
    rows = file.select("_row", text("tenant").alias("tenant"), text("email").alias("_email"))[found["_i"]]
    users_found = stored.users.select(pl.col("id").alias("_uid"), pl.col("login").alias("_login"),
                                      pl.col("email_key").alias("_key"))[found["_u"]]
    return pl.DataFrame([found["_i"], rows["_row"], rows["tenant"], users_found["_uid"], users_found["_login"],
                         rows["_email"], users_found["_key"]])


def _same_texts(file: pl.DataFrame, users: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The (file row, stored user) pairs of an equal e-mail hash whose e-mail, first and last name
    are the same text and whose language cell is empty or the stored language; with `_uid`."""
    import polars as pl

    def column(name: str) -> pl.Series:
        return file[name] if name in file.columns else pl.Series(name, [None] * file.height, pl.String)

    mine = pl.DataFrame([column(n) for n in ("email", "first_name", "last_name")])[pairs["_i"]]
    theirs = users.select("email", "first_name", "last_name", "language", "id")[pairs["_u"]]
    same = ((mine["email"] == theirs["email"]) & mine["first_name"].eq_missing(theirs["first_name"])
            & mine["last_name"].eq_missing(theirs["last_name"])
            & (pairs["_any_lang"] | (pairs["_language"] == theirs["language"])).fill_null(False))
    return pairs.with_columns(theirs["id"].alias("_uid")).filter(same)


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
    one: dict[Any, Any] = {}
    tenants = [one.setdefault(t, t) for t in kept["tenant"].to_list()]  # 10,000 tenants of 100,000 rows
    emails = kept["_email"].to_list()
    # the key of an address in lower-case ASCII is the address: one string, not two equal ones
    ekeys = [e if k == e else k for e, k in zip(emails, kept["_key"].to_list(), strict=True)]
    return Unchanged(kept["_i"].to_list(), kept["_row"].to_list(), tenants, kept["_uid"].to_list(),
                     kept["_login"].to_list(), emails, ekeys)
