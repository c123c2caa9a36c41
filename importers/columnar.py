"""A sheet's cells as polars String columns (`c0`, `c1` … in the sheet's column order, row i is
the sheet's row i + 1, null for an empty cell) → a Table whose `columns` hold the read fields. The
per-cell rules of the row-wise reader (importers/read_rowwise.py: trim, NFC, empty rows, totals
rows, overlong cells, Excel error values, identifiers Excel changed) run as column expressions;
Python only touches the header rows, the distinct values of a few columns and the rows that have
a problem."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tenantctl.importers import broken_text, flat, identifiers, safety
from tenantctl.importers.cells import EXCEL_ERRORS, WHITESPACE, clean, col_letter, excel_error
from tenantctl.importers.headers import SUMMARY_LABEL, find_header, header_table, identifier_positions, summary_label
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Problem, Source, Table

if TYPE_CHECKING:
    import polars as pl

NumberCells = Callable[[int], set[int]]  # column index → the sheet rows where it holds a number cell


class Fallback(Exception):
    """The sheet is not read exactly so in columns: the caller reads it row by row."""


def _rows_of(frame: pl.DataFrame) -> Iterator[list[Any]]:
    """The sheet's rows as lists, in small slices: the header search reads a dozen rows or so."""
    size = 16
    for start in range(0, frame.height, size):
        yield from (list(r) for r in frame.slice(start, size).iter_rows())
        size = min(size * 4, 4096)


def build(src: Source, sheet: str, kind: str | None, frame: pl.DataFrame, extra: dict[str, str], merged: list[Any],
          header_at: int | None = None, layout: str = "auto", ragged: bool = False,
          number_cells: NumberCells | None = None, typed: bool = False) -> Table:
    """ragged: the cells right of the header must be empty (a csv), else Fallback. typed: the cells
    were typed (xlsx) and written as text by fastexcel; yes/no and date cells where they are read
    (the header rows, the read columns) are converted as Excel shows them by the row-wise reader
    only: Fallback."""
    import polars as pl

    header_row, header, kind, fields, _ = find_header(src, sheet, kind, _rows_of(frame), extra, header_at)
    table = header_table(src, sheet, kind, header_row, header, fields, extra, merged, layout)
    header, fields, names = table.headers, table.fields, table.names
    if typed and _typed_cells(frame, header_row, [f"c{i}" for i in fields.values() if i < frame.width]):
        raise Fallback
    data = frame.slice(header_row).with_columns(_row=pl.int_range(header_row + 1, frame.height + 1, dtype=pl.Int64))
    width = len(header)
    if ragged and any(clean(data[c]).is_not_null().any() for c in frame.columns[width:]):
        raise Fallback  # a cell right of the header: the row-wise reader names the row and its cell count
    data = data.with_columns(clean(data[f"c{idx}"]).alias(f"v_{n}") if idx < frame.width
                             else pl.lit(None, pl.String).alias(f"v_{n}") for n, idx in fields.items())
    values = [pl.col(f"v_{n}") for n in names]
    data = data.filter(pl.any_horizontal([v.is_not_null() for v in values]))
    rowwise: list[tuple[int, int, int, Problem]] = []  # (row, order, position, problem): the row-wise order
    data = _drop_totals(data, table, rowwise)
    data = _cut_long(data, table, rowwise)
    if number_cells is not None:
        _numbers(data, table, number_cells, rowwise)
    if data.height == 0:
        raise InvalidInput(f"{sheet}: only a header row, no data rows")
    src.problems.extend(p for *_, p in sorted(rowwise, key=lambda x: x[:3]))
    table.columns = data.select(pl.col("_row"), *(pl.col(f"v_{n}").alias(n) for n in names))
    _excel_errors(src, table)
    _identifier_texts(src, table)
    if table.kind == "contacts":
        flat.fill_merged(table, merged)
    return table


# how fastexcel writes a yes/no cell, a date, a time or a duration as text
_TYPED = (r"^(?:true|false|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
          r"|-?[0-9]+(?:\.[0-9]+)? (?:days?|s))$")


def _typed_cells(frame: pl.DataFrame, header_row: int, read: list[str]) -> bool:
    import polars as pl

    head = frame.head(header_row).select(pl.any_horizontal(pl.all().str.contains(_TYPED)).any()).item()
    if head or not read:
        return bool(head)
    data = frame.slice(header_row).select(pl.any_horizontal([pl.col(c).str.contains(_TYPED) for c in read]).any())
    return bool(data.item())


def _drop_totals(data: pl.DataFrame, table: Table, out: list[tuple[int, int, int, Problem]]) -> pl.DataFrame:
    """A totals row (`Summe`, `Anzahl Kunden: 15`) is a problem, not a row: the label's candidates
    are found by one expression, `summary_label` decides on each."""
    import polars as pl

    if "c0" not in data.columns:
        return data
    first = pl.col("c0").str.strip_chars(WHITESPACE)
    second = pl.col("c1").str.strip_chars(WHITESPACE) if "c1" in data.columns else pl.lit(None, pl.String)
    label = pl.when(first.is_not_null() & (first != "")).then(first).otherwise(second)
    # c0 is a label, or empty: then c1 may be one (as `may_be_label` and `summary_label` read them)
    first_free = pl.col("c0").is_null() | (pl.col("c0").str.strip_chars_start(WHITESPACE) == "")
    starts = pl.col("c0").str.strip_chars_start(WHITESPACE).str.contains("(?i)^" + SUMMARY_LABEL.pattern)
    candidates = data.filter((first_free | starts) & label.str.contains("(?i)^" + SUMMARY_LABEL.pattern))
    if candidates.height == 0:
        return data
    cells_cols = [c for c in data.columns if c.startswith("c") and c[1:].isdigit()]
    names = table.names
    dropped = []
    for row in candidates.iter_rows(named=True):
        cells = [row[c] for c in cells_cols]
        vals = [row[f"v_{n}"] for n in names]
        found = summary_label(cells, vals)
        if found is not None:
            what = "company" if table.kind == "tenants" else "person"
            out.append((row["_row"], 0, 0, Problem(table.sheet, row["_row"], None,
                                                   f"{found!r} is a totals row, not a {what}: delete the row")))
            dropped.append(row["_row"])
    return data.filter(~pl.col("_row").is_in(dropped)) if dropped else data


def _cut_long(data: pl.DataFrame, table: Table, out: list[tuple[int, int, int, Problem]]) -> pl.DataFrame:
    """A cell longer than Excel allows is a problem and read as empty text."""
    import polars as pl

    limit = safety.MAX_CELL_CHARS
    names = table.names
    long = [pl.col(f"v_{n}").str.len_chars() > limit for n in names]
    if not names or not data.select(pl.any_horizontal(long).any()).item():
        return data
    for row in data.filter(pl.any_horizontal(long)).iter_rows(named=True):
        for pos, n in enumerate(names):
            v = row[f"v_{n}"]
            if v is not None and len(v) > limit:
                out.append((row["_row"], 1, pos, Problem(table.sheet, row["_row"], table.headers[table.fields[n]],
                                                         f"cell has {len(v):,} characters; at most {limit:,}")))
    return data.with_columns(**{f"v_{n}": pl.when(e).then(pl.lit("")).otherwise(pl.col(f"v_{n}"))
                                for n, e in zip(names, long, strict=True)})


_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$"  # how fastexcel writes a number cell: no leading zero


def _numbers(data: pl.DataFrame, table: Table, number_cells: NumberCells, out: list[tuple[int, int, int, Problem]]
             ) -> None:
    """Identifier cells that were number cells (xlsx): recorded in `numbers` (a customer number 123
    may have been 00123), or a problem when the number cannot be an identifier. Only a column
    holding texts that look like numbers asks the sheet which cells were numbers."""
    import polars as pl

    for j, name, pos in identifier_positions(table):
        col = pl.col(f"v_{name}")
        looks = data.filter(col.str.contains(_NUMBER)).select("_row", col.alias("v"))
        if looks.height == 0:
            continue
        numbers = number_cells(j)
        for rownum, value in looks.iter_rows():
            if rownum not in numbers:
                continue
            why = identifiers.problem(float(value))
            if why:
                out.append((rownum, 2, pos, Problem(table.sheet, rownum, table.headers[j], why)))
            else:
                table.numbers.add((rownum, name))


def _excel_errors(src: Source, table: Table) -> None:
    """Error values as text (a csv Excel wrote): a problem for each such cell, row by row."""
    import polars as pl

    frame = table.frame()
    names = table.names
    hits = [pl.col(n).is_in(list(EXCEL_ERRORS)) for n in names]
    if not names or not frame.select(pl.any_horizontal(hits).any()).item():
        return
    for row in frame.filter(pl.any_horizontal(hits)).iter_rows(named=True):
        for n in names:
            v = row[n]
            if v in EXCEL_ERRORS:
                idx = table.fields[n]
                src.problems.append(Problem(table.sheet, row["_row"], table.headers[idx],
                                            excel_error(f"{col_letter(idx)}{row['_row']}", v)))


def _identifier_texts(src: Source, table: Table) -> None:
    """Identifier texts German Excel wrote (`11.960`, `01.03.2024`, `WAHR`): once per distinct value."""
    import polars as pl

    frame = table.frame()
    for j, name, _ in identifier_positions(table):
        suspect = frame.select(pl.col(name).unique()).to_series()
        suspect = suspect.filter(suspect.str.contains(f"^[{''.join(sorted(identifiers.SUSPECT_START))}]"))
        wrong = {v: why for v in suspect.to_list() if (why := identifiers.problem(v))}
        if wrong:
            hit = frame.filter(pl.col(name).is_in(list(wrong))).select("_row", name)
            src.problems.extend(Problem(table.sheet, r, table.headers[j], wrong[v]) for r, v in hit.iter_rows())


def check_damage(src: Source, table: Table, advice: broken_text.Advice, forced: bool, *, genuine_utf8: bool) -> None:
    """Broken characters in the names: the distinct values are checked first, the rows are looked
    up only when one is damaged."""
    frame = table.frame()
    fields = [f for f in broken_text.NAME_FIELDS.get(table.kind, ()) if f in table.fields]
    distinct = {f: frame[f].unique().to_list() for f in fields}
    if not broken_text.damaged_cells(table.kind, distinct, trust_weak=forced, lost_possible=not genuine_utf8):
        return
    cols = {f: frame[f].to_list() for f in fields}
    rownums = frame["_row"]
    for i, field_name, value, damage in broken_text.damaged_cells(table.kind, cols, trust_weak=forced,
                                                                  lost_possible=not genuine_utf8):
        src.problems.append(Problem(table.sheet, rownums[i], table.header_of(field_name),
                                    broken_text.message(value, damage, advice)))


def drop_equal(table: Table, fields: tuple[str, ...], want: tuple[str, ...]) -> list[int]:
    """Drop the rows whose `fields` are `want` (compared case-insensitively); their row numbers."""
    import polars as pl

    frame = table.frame()
    same = pl.all_horizontal([pl.col(f).fill_null("").str.strip_chars().str.to_lowercase() == w
                              for f, w in zip(fields, want, strict=True)])
    hit = frame.filter(same)["_row"].to_list()
    if hit:
        table.columns = frame.filter(~same)
    return sorted(hit)
