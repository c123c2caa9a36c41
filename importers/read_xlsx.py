"""An xlsx read into columns: fastexcel (python-calamine's Arrow face) hands over each read sheet as
String columns, without a Python object per cell; importers/columnar.py builds the table. fastexcel
writes every cell as text, so what it cannot tell is asked elsewhere: which identifier cells were
number cells (sheetscan.number_cells, only for a column holding number-like texts), merged ranges
(the sheet scan). A workbook with yes/no or date cells where the import reads them goes to the
row-wise reader, which converts them as Excel shows them."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.importers import broken_text, columnar, read_rowwise, safety, sheetscan, xlsx_book
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Source

if TYPE_CHECKING:
    import polars as pl


def load(path: Path, sheet: str | None, extra: dict[str, str], header_at: int | None, layout: str,
         on_scanned: Callable[[], None] | None = None, trust_names: bool = False) -> Callable[[], Source]:
    book = xlsx_book.open_book(path, sheet, extra)
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", hint="save it again as .xlsx") from None

    def parse(name: str) -> tuple[pl.DataFrame, int]:
        ws = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
        cols = ws.available_columns()
        frame = ws.to_polars()
        frame.columns = [f"c{i}" for i in range(frame.width)]
        return frame, cols[0].absolute_index if cols else 0

    sheets, scans = xlsx_book.parse_scanned(path, parse, book.chosen, on_scanned)
    xlsx_book.note_unread(book, extra)
    wide_layout = "tables" if len(sheets) > 1 and layout == "auto" else layout

    def build() -> Source:
        try:
            return _tables(path, sheets, scans, extra, book, header_at, wide_layout, trust_names)
        except columnar.Fallback:
            sheets.clear()
            return read_rowwise.load_xlsx(path, sheet, extra, header_at, layout, None, trust_names)()

    return build


def _tables(path: Path, sheets: list[tuple[str, str | None, Any]], scans: dict[str, sheetscan.SheetScan],
            extra: dict[str, str], book: xlsx_book.Book, header_at: int | None, layout: str,
            trust_names: bool) -> Source:
    src = Source(path, "xlsx", padded_refs=book.padded_refs)
    src.notes.extend(book.notes)
    count = len(sheets)
    parts = {}
    with zipfile.ZipFile(path) as zf:
        parts = {name: part for part, name in safety.sheet_parts(zf).items()}
    while sheets:
        name, kind, (frame, start) = sheets.pop(0)  # the parsed sheet is freed once its table is built
        scanned = scans.get(name) or sheetscan.SheetScan()
        try:
            table = columnar.build(src, name, kind, frame, extra, scanned.merged, header_at, layout,
                                   number_cells=_number_cells(path, parts.get(name), start), typed=True)
        except InvalidInput as exc:
            if count > 1 and exc.message.endswith(("the sheet is empty", "only a header row, no data rows")):
                continue  # a workbook may hold tenants only or users only
            raise
        del frame
        if not trust_names:
            columnar.check_damage(src, table, broken_text.xlsx_advice, False, genuine_utf8=False)
        xlsx_book.two_sheets(path, src, table)
        src.tables[table.kind] = table
        xlsx_book.scan_problems(src, name, table, scanned)
    if not src.tables:
        raise InvalidInput(f"{path.name} holds no data rows", hint="fill in the Mandanten and Benutzer sheets")
    return src


def _number_cells(path: Path, part: str | None, start: int) -> columnar.NumberCells:
    def cells(j: int) -> set[int]:
        if part is None:
            return set()
        with zipfile.ZipFile(path) as zf:
            return sheetscan.number_cells(zf, part, sheetscan.col_letters(start + j + 1))

    return cells
