"""One streaming pass over a sheet's XML before python-calamine parses it (issue 10, class 6).

python-calamine builds a dense grid from the first to the last filled cell: one stray space in
XFD1048576 asks for 512 GiB and the process aborts (a Rust allocation failure, nothing printed); one
in Z1048576 costs ~900 MB. The pass reads the zip entry in 1 MB blocks (never the whole expansion) and
finds, with byte searches and a few regular expressions per block (not per cell):
- an upper bound of the grid (highest row number × last column); only when it is too large, a second
  pass finds the filled cells exactly and names the stray one;
- formula cells without a computed value, and cells holding an Excel error value (`#N/A`):
  python-calamine reads both as empty;
- hidden rows, and whether the sheet has an AutoFilter (then hidden rows are filtered rows).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from tenantctl.store.errors import InvalidInput

MAX_GRID_CELLS = 4_000_000   # python-calamine's grid: 32 bytes a cell → at most ~128 MB per sheet
BLOCK = 1 << 20

_FIRST_COLS = re.compile(rb'<c [^>]*?r="([A-Z]{1,3})[0-9]')
_FILLED = re.compile(rb'<c [^>]*?r="([A-Z]{1,3})([0-9]{1,9})"[^>]*?(/?)>(</c>)?')
_HIDDEN_ROW = re.compile(rb'<row ([^>]*?hidden="(?:1|true)"[^>]*)>')
_ROW_NUM = re.compile(rb'\br="([0-9]{1,9})"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?>\s*<f[ >/](?:(?!</c>).)*?</c>', re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]")
# a cell holding an Excel error value (python-calamine reads it as empty: `#N/A` vanished)
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?\bt="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.DOTALL)


@dataclass
class SheetScan:
    max_row: int = 0
    max_col: int = 0
    formulas_without_value: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (cell, Excel error value)
    hidden_rows: list[int] = field(default_factory=list)
    filtered: bool = False


def col_index(letters: str | bytes) -> int:
    """A → 1, Z → 26, XFD → 16384."""
    idx = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        idx = idx * 26 + ord(ch) - 64
    return idx


def col_letters(idx: int) -> str:
    """1 → A (the inverse of col_index)."""
    out = ""
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out


def _blocks(zf: zipfile.ZipFile, part: str, cut: bytes) -> Iterator[bytes]:
    """The part's bytes in blocks that end before the last `cut` of each read (an element never
    straddles two blocks as long as it holds no `cut` inside)."""
    tail = b""
    with zf.open(part) as fh:
        while block := fh.read(BLOCK):
            data = tail + block
            at = data.rfind(cut)
            if at <= 0:
                tail = data
                if len(tail) > 64 * BLOCK:  # no element boundary in 64 MB: not a sheet Excel wrote
                    raise InvalidInput(f"sheet part {part} has no cells in {len(tail) // BLOCK} MB; refused",
                                       hint="this is not a normal workbook; save it again as .xlsx")
                continue
            tail = data[at:]
            yield data[:at]
    if tail:
        yield tail


def scan(zf: zipfile.ZipFile, part: str, sheet: str) -> SheetScan:
    out = SheetScan()
    max_row = max_col = 0
    for data in _blocks(zf, part, b"<row"):
        if not max_col:
            max_col = max((col_index(c) for c in _FIRST_COLS.findall(data, 0, 1 << 16)), default=1)
        # rows ascend in every file a program wrote: the block's last row bounds its row numbers; a
        # reference right of the known columns or with a longer row number (a cell or row out of
        # order) is found by one search per block and counted in
        at = data.rfind(b'<row r="')
        last = _ROW_NUM.match(data, at + 5) if at >= 0 else None
        block_row = int(last.group(1)) if last else max_row
        max_row = max(max_row, block_row)
        outside = _outside(max_col, len(str(block_row))).findall(data)
        for ref in set(outside):
            letters = ref.rstrip(b"0123456789")
            max_row = max(max_row, int(ref[len(letters):]))
            if letters:
                max_col = max(max_col, col_index(letters))
        if b"<f" in data:
            out.formulas_without_value.extend(
                m.group(1).decode() for m in _FORMULA_CELL.finditer(data)
                if not _VALUE.search(m.group(0)) and b"<is>" not in m.group(0))
        if b't="e"' in data:
            out.errors.extend((m.group(1).decode(), m.group(2).decode()) for m in _ERROR_CELL.finditer(data))
        if b'hidden="' in data:
            for m in _HIDDEN_ROW.finditer(data):
                num = _ROW_NUM.search(m.group(1))
                if num:
                    out.hidden_rows.append(int(num.group(1)))
            out.filtered = out.filtered or b"<autoFilter" in data
    out.max_row, out.max_col = max_row, max_col
    if max_row * max_col > MAX_GRID_CELLS:
        _check_grid(zf, part, sheet)
    return out


@lru_cache(maxsize=64)
def _outside(max_col: int, row_digits: int) -> re.Pattern[bytes]:
    """A reference right of the columns seen first, or with a longer row number than the block's
    last row (one search per block with a literal prefix: a fraction of a second for 100,000 rows)."""
    beyond = f"[{col_letters(max_col + 1)}-Z][0-9]+|" if max_col < 26 else ""
    return re.compile(rb' r="((?:[A-Z]{2,3}[0-9]+|' + beyond.encode()
                      + rb"[A-Z]{0,3}[0-9]{" + str(row_digits + 1).encode() + rb",9}))\"")


def _check_grid(zf: zipfile.ZipFile, part: str, sheet: str) -> None:
    """The exact extent of the filled cells (an empty styled cell does not count: python-calamine
    skips it); refused when the grid python-calamine would build is too large."""
    rows: list[tuple[int, str]] = []   # (row, ref) of filled cells, one per distinct row
    cols: dict[int, str] = {}          # column → one ref
    filled = 0
    for data in _blocks(zf, part, b"<row"):
        last_row = -1
        for letters, digits, closed, empty in _FILLED.findall(data):
            if closed or empty:
                continue
            filled += 1
            r = int(digits)
            ref = (letters + digits).decode()
            if r != last_row:
                rows.append((r, ref))
                last_row = r
            cols.setdefault(col_index(letters), ref)
    if not filled:
        return
    r0, r1 = min(rows)[0], max(rows)[0]
    c0, c1 = min(cols), max(cols)
    grid = (r1 - r0 + 1) * (c1 - c0 + 1)
    if grid <= MAX_GRID_CELLS:
        return
    span = f"{col_letters(c0)}{r0}:{col_letters(c1)}{r1}"
    if filled * 10 < grid:
        # the stray cell: the one farthest out (the highest row, else the last column)
        row_sorted = sorted({r for r, _ in rows})
        stray = None
        if len(row_sorted) > 1 and row_sorted[-1] - row_sorted[-2] > 1000:
            stray = max(rows)[1]
        if stray is None:
            col_sorted = sorted(cols)
            stray = cols[col_sorted[-1]]
        raise InvalidInput(
            f"sheet {sheet!r} spans {span} ({grid:,} cells) for {filled:,} filled cells: cell {stray} lies far "
            "outside the data",
            hint=f"delete the content of cell {stray} (Ctrl+End in Excel jumps to it), save and import again")
    raise InvalidInput(f"sheet {sheet!r} spans {span}: {grid:,} cells; the import reads at most "
                       f"{MAX_GRID_CELLS:,} per sheet", hint="split the file into smaller workbooks")
