"""A whole table of a SQLite store read into columns on the import's own connection, with no Python
object per cell: per batch of rows one SELECT whose `group_concat` per column hands over one text
per column, which polars splits (a quarter less time than a tuple per row: 130 against 170 ms for
100,000 users).

The plan must be computed from exactly the state the import's transaction writes against (a dry run
is the real run rolled back), so the read runs on the transaction's own connection: its own writes,
its savepoint and its snapshot, by construction. An Arrow reader for SQLite (ADBC, connectorx)
would open a second connection through its own copy of SQLite, which releases the import's write
lock when it closes the file (docs/import.md, "Reading the stored rows into columns").

A column's texts are split on the unit separator: a batch in which a value holds it, or a column has
a NULL (which `group_concat` skips), is read through the driver instead, so every batch is exactly
what `SELECT` returns. PostgreSQL: None (its driver is as fast, docs/import.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenantctl.store.context import Ctx

if TYPE_CHECKING:
    import polars as pl

NATIVE = True  # False: through the driver (the tests compare both)
# rows a batch has at most: its texts and their split are what is held at once (a few MB; batches of
# 100,000 raised the re-run's peak by 20-25 MB, these by 3-4 MB, at the same speed)
BATCH_ROWS = 20_000
SEP = "\x1f"


@dataclass
class Batch:
    """Rows `after` < id <= `last` of a table (`n` of them, at most as many as the range has ids):
    each column as one text of its values joined by SEP, None for a column with a NULL (which
    `group_concat` skips); a value holding SEP shows in the count of the split."""

    cursor: Any
    table: str
    columns: tuple[str, ...]
    types: Mapping[str, str]
    n: int
    after: int
    last: int
    texts: list[str | None]

    def values(self, name: str) -> list[str] | None:
        """One column's values as Python texts, None when it cannot be split."""
        text = self.texts[self.columns.index(name)]
        values = text.split(SEP) if text is not None else None
        return values if values is not None and len(values) == self.n else None

    def rows(self) -> list[tuple[Any, ...]]:
        """The batch's rows through the driver, as plain tuples."""
        self.cursor.execute(f"SELECT {_names(self.columns)} FROM {self.table} WHERE id > ? AND id <= ? ORDER BY id",
                            (self.after, self.last))
        return self.cursor.fetchall()

    def frame(self) -> pl.DataFrame:
        import polars as pl

        columns: list[pl.Series] = []
        for i, (name, text) in enumerate(zip(self.columns, self.texts, strict=True)):
            self.texts[i] = None  # a batch is read once: each text goes as soon as it is split
            split = pl.Series(name, [text], pl.String).str.split(SEP).explode() if text is not None else None
            del text
            if split is not None and self.types[name] == "Int64":
                split = split.cast(pl.Int64, strict=False)  # a value no integer: null, read by the driver
            if split is None or split.len() != self.n or split.null_count():
                return pl.DataFrame(self.rows(), schema={n: getattr(pl, self.types[n]) for n in self.columns},
                                    orient="row")
            columns.append(split)
        return pl.DataFrame(columns)


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def scan(ctx: Ctx, table: str, columns: tuple[str, ...], types: Mapping[str, str],
         rows: int) -> Iterator[Batch] | None:
    """`SELECT columns FROM table` in batches of at most `rows` rows by ranges of the integer primary
    key `id` (`types`: Int64 or String), or None where the driver reads the table."""
    if not NATIVE or ctx.session.get_bind().dialect.name != "sqlite":
        return None
    return _batches(ctx.session.connection().connection.driver_connection, table, columns, types, rows)


def _batches(driver: Any, table: str, columns: tuple[str, ...], types: Mapping[str, str],
             rows: int) -> Iterator[Batch]:
    # ranges of ids, not LIMIT: a subquery with ORDER BY … LIMIT would copy every row (~60% slower);
    # one pass feeds every aggregate the same rows in the same order, so the columns stay aligned
    aggregates = ", ".join(f'count("{c}"), group_concat("{c}", char(31))' for c in columns)
    sql = f"SELECT count(*), {aggregates} FROM {table} WHERE id > ? AND id <= ?"
    cursor = driver.cursor()
    try:
        first, top = cursor.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
        after = first - 1 if first is not None else top
        while after is not None and after < top:
            last = min(after + rows, top)
            got = cursor.execute(sql, (after, last)).fetchone()
            n = got[0]
            if n:
                texts = [got[i + 1] if got[i] == n else None for i in range(1, len(got), 2)]
                del got  # the batch holds its texts, and only it
                yield Batch(cursor, table, columns, types, n, after, last, texts)
                after = last
            else:  # a gap in the ids: on to the next one there is
                after = cursor.execute(f"SELECT min(id) - 1 FROM {table} WHERE id > ?", (last,)).fetchone()[0]
    finally:
        cursor.close()
