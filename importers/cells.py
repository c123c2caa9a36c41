"""One cell's text as the import takes it: trimmed, NFC, our export's formula escape removed, empty
as None; numbers, dates and yes/no cells as text; Excel's error values. `text()` converts one
Python value (the row-wise reader, header rows); `clean()` is the same rule for a whole polars
String column (the columnar reader), so no Python object is made per cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenantctl.store.nfc import nfc

if TYPE_CHECKING:
    import polars as pl

ESCAPED_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's error values: a cell showing one holds no value (a csv export writes the text; German
# Excel writes its own words for some: #NV, #BEZUG!, #WERT!, #ZAHL!, #ÜBERLAUF!)
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#NV",
                          "#BEZUG!", "#WERT!", "#ZAHL!", "#ÜBERLAUF!"})
# what Python's str.strip() removes (polars' strip_chars() alone knows a slightly different set)
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def excel_error(cell: str, value: str) -> str:
    return (f"cell {cell} shows the Excel error {value} instead of a value: correct the formula (or the "
            "lookup it depends on) in Excel, or type the value, then save again")


def text(value: Any) -> str | None:
    """A cell as text: integral floats lose their `.0`, dates become ISO, empty is None."""
    if value.__class__ is str:  # the common case first (called once per cell)
        out = value.strip()
        if out[:1] == "'" and len(out) > 1 and out[1] in ESCAPED_START:
            out = out[1:]  # our own export's formula escape
        if not out.isascii():
            out = nfc(out)  # text enters here: a Mac's decomposed umlauts in NFC (store/nfc.py)
        return out or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        value = int(value) if value.is_integer() else value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    out = " ".join(str(value).replace("\u00a0", " ").split()) if not isinstance(value, str) else value.strip()
    if len(out) > 1 and out[0] == "'" and out[1] in ESCAPED_START:
        out = out[1:]  # our own export's formula escape
    return out or None


def clean(cells: pl.Series) -> pl.Series:
    """`text()` of a column of string cells: trim, the export's escape, NFC, empty → null. NFC is
    the costly step: it runs on the column's distinct values that are not ASCII, and only those
    whose normal form differs are replaced (usually none)."""
    import polars as pl

    out = cells.str.strip_chars(WHITESPACE)
    if out.str.starts_with("'").any():
        escaped = out.str.contains(r"^'[=+\-@\t\r]")
        out = pl.select(pl.when(escaped).then(out.str.slice(1)).otherwise(out)).to_series()
    wide = out.filter(out.str.contains(r"[^\x00-\x7f]")).unique()
    if wide.len():
        normal = wide.str.normalize("NFC")
        differs = wide != normal
        if differs.any():
            out = out.replace(wide.filter(differs), normal.filter(differs))
    return pl.select(pl.when(out.str.len_bytes() > 0).then(out)).to_series().alias(cells.name)


def col_letter(idx: int) -> str:
    """0 → A (a column index as Excel names it)."""
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
