"""The row contract between a reader and the import engine: a Source holds Tables of text rows and
the problems found while reading. Readers (importers/ for workbooks and csv, a YAML/JSON document,
an HTTP upload) build it; the engine never reads files itself.

A row is (number, texts in the order of Table.names). The number is whatever the source counts by
(Excel's row number, a record's index in a document); `Source.locate` turns (table, row, column)
into the text a person finds the place by ("Benutzer, row 7, column E-Mail", or a document path
such as "tenants[3].users[1].email")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


@dataclass
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class Table:
    kind: str                 # tenants | users
    sheet: str                # what the person sees: sheet name, file name, document section
    header_row: int
    headers: list[str]        # original header texts
    fields: dict[str, int]    # field → column index
    # (row number, texts in the order of `names`): tuples, not dicts — 100,000 rows are held at once.
    # A columnar reader leaves it None and sets `columns`: `rows` is then derived on first access
    _rows: list[tuple[int, tuple[str | None, ...]]] | None = field(default=None, repr=False)
    numbers: set[tuple[int, str]] = field(default_factory=set)  # identifier cells that were number cells
    notes: list[str] = field(default_factory=list)  # how the table was read, shown with the plan
    # the same rows as columns, when a reader built them so (see frame()); None: built from `rows`
    columns: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def rows(self) -> list[tuple[int, tuple[str | None, ...]]]:
        """The rows as tuples. Built from `columns` on first access when a columnar reader read the
        table; from then on the list is what counts (callers change it in place), so `columns` is
        dropped and `frame()` builds it again from the list."""
        if self._rows is None:
            frame, self.columns = self.columns, None
            self._rows = []
            if frame is not None:
                numbers = frame["_row"].to_list()
                # equal texts share one string object, as the row-wise reader keeps them: first names,
                # roles and tenant references repeat across 100,000 rows
                share: dict[str | None, str | None] = {}
                cols = [[share.setdefault(v, v) for v in frame[n].to_list()] for n in self.names]
                del frame
                values = zip(*cols, strict=True) if cols else ((),) * len(numbers)
                self._rows = list(zip(numbers, values, strict=True))
        return self._rows

    @rows.setter
    def rows(self, value: list[tuple[int, tuple[str | None, ...]]]) -> None:
        self._rows, self.columns = value, None

    def row_count(self) -> int:
        """How many rows, without building the tuples of a columnar table."""
        if self._rows is None and self.columns is not None:
            return self.columns.height
        return len(self.rows)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def header_of(self, name: str) -> str:
        idx = self.fields.get(name)
        return self.headers[idx] if idx is not None else name

    def column(self, name: str) -> list[str | None]:
        """One field's values in row order (all None when the sheet has no such column)."""
        if name not in self.fields:
            return [None] * self.row_count()
        if self._rows is None and self.columns is not None:
            return self.columns[name].to_list()
        pos = self.names.index(name)
        return [values[pos] for _, values in self.rows]

    def distinct(self, name: str) -> set[str]:
        """One field's distinct non-empty texts, read from `columns` when a columnar reader left
        them (no per-row tuple is built for it)."""
        if name not in self.fields:
            return set()
        if self._rows is None and self.columns is not None:
            return {v for v in self.columns[name].unique().to_list() if v}
        pos = self.names.index(name)
        return {v for _, values in self.rows if (v := values[pos])}

    def free(self) -> None:
        """Drops the rows, tuples and columns alike, without building the tuples of a columnar table."""
        if self._rows is not None:
            self._rows.clear()  # in place: a caller may still hold the list
        self.columns = None

    def frame(self) -> pl.DataFrame:
        """The rows as columns: `_row` (the row number) and one String column per field, in the
        order of `names`, None for an empty cell. The columnar checks read this; a reader that
        reads into columns sets `columns` and no per-cell Python object is made."""
        if self.columns is not None:
            return self.columns
        import polars as pl

        names = self.names
        data: dict[str, Any] = {"_row": [n for n, _ in self.rows]}
        for pos, name in enumerate(names):
            data[name] = [values[pos] for _, values in self.rows]
        schema = {"_row": pl.Int64, **{name: pl.String for name in names}}
        self.columns = pl.DataFrame(data, schema=schema)
        return self.columns

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, field → text) with empty cells left out; built one row at a time."""
        names = self.names
        for rownum, values in self.rows:
            yield rownum, {n: v for n, v in zip(names, values, strict=True) if v is not None}


Locate = Callable[[str, int | None, str | None], str]


def sheet_location(sheet: str, row: int | None, column: str | None) -> str:
    """Where a problem is, as a spreadsheet user looks for it: sheet, row, column."""
    return sheet + (f", row {row}" if row else "") + (f", column {column}" if column else "")


@dataclass
class Source:
    path: Path                # the file (or the name an upload came with): recorded with the run
    file_type: str            # xlsx | csv | yaml | json …
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # file-level problems (refuse the whole file)
    notes: list[str] = field(default_factory=list)
    locate: Locate = sheet_location
    # zero-padded tenant references of a users sheet that is not imported (--sheet Mandanten): the
    # round-trip checks compare the tenants' number cells with them as with an imported one
    padded_refs: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.path.name

    def row_ref(self, sheet: str, row: int) -> str:
        """How a message names another row of this source: "row 7" in a sheet (the place's own
        sheet is already named), the path ("tenants[0].users[1]") in a document."""
        return f"row {row}" if self.locate is sheet_location else self.locate(sheet, row, None)

    def where(self, problem: dict[str, Any]) -> str:
        """A problem dict's place in this source's own terms."""
        return self.locate(problem["sheet"], problem["row"], problem["column"])
