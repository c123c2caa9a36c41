"""A csv read into columns: the text is decoded and its dialect found in Python (importers/csv_text.py),
then polars parses the records, every cell a String (no type guessing), and importers/columnar.py
builds the table. A file polars would read otherwise than Excel shows it goes to the row-wise reader:
a record longer than the first (a ragged row: its problem names the cell count), a line break that is
a bare CR (old Mac files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tenantctl.importers import columnar, csv_text, read_rowwise
from tenantctl.importers.csv_text import CsvText
from tenantctl.store.imports.rows import Source

if TYPE_CHECKING:
    import polars as pl


def load(path: Path, sheet: str | None, extra: dict[str, str], encoding: str | None, header_at: int | None,
         layout: str, trust_names: bool, rowwise: bool = False) -> Callable[[], Source]:
    text_ = csv_text.prepare(path, sheet, encoding, trust_names)
    if rowwise:
        return lambda: read_rowwise.csv_table(text_, extra, header_at, layout)
    return lambda: _table(text_, extra, header_at, layout)


def _table(text_: CsvText, extra: dict[str, str], header_at: int | None, layout: str) -> Source:
    frame, sep = _frame(text_.content)
    if frame is None:
        return read_rowwise.csv_table(text_, extra, header_at, layout)
    src = text_.src
    problems_before, notes_before = len(src.problems), len(src.notes)
    csv_text.sep_note(src, sep)
    try:
        table = columnar.build(src, src.path.name, text_.kind, frame, extra, [], header_at, layout, ragged=True)
    except columnar.Fallback:
        del src.problems[problems_before:], src.notes[notes_before:]
        return read_rowwise.csv_table(text_, extra, header_at, layout)
    src.tables[table.kind] = table
    if text_.genuine_utf8 is not None:
        columnar.check_damage(src, table, text_.advice, text_.forced, genuine_utf8=text_.genuine_utf8)
    return src


def _frame(content: str) -> tuple[pl.DataFrame | None, str | None]:
    """(the records as String columns `c0`, `c1` …, the `sep=` line's delimiter), or (None, None)
    when polars would not read the text as Excel shows it."""
    import io

    import polars as pl

    first, _, rest = content.lstrip("\r\n").partition("\n")
    sep = csv_text.SEP_LINE.match(first)
    if sep:
        content, delimiter = rest, sep.group(1)
        first = content.split("\n", 1)[0]
    else:
        delimiter = max((";", ",", "\t"), key=first.count)
    if content.count("\r") != content.count("\r\n") or len(delimiter.encode()) != 1 or delimiter == '"':
        return None, None
    if content.startswith(("\n", "\r\n")) or not content:
        return None, None
    try:
        frame = pl.read_csv(io.BytesIO(content.encode()), separator=delimiter, has_header=False, infer_schema=False,
                            quote_char='"', raise_if_empty=False)
    except pl.exceptions.PolarsError:  # a ragged record, a quote in the middle of a cell …: read row by row
        return None, None
    frame.columns = [f"c{i}" for i in range(frame.width)]
    return frame, sep.group(1) if sep else None
