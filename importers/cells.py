"""One cell's text as the import takes it: trimmed, NFC, our export's formula escape removed, empty
as None; numbers, dates and yes/no cells as text; Excel's error values. `text()` converts one
Python value (the row-wise reader, header rows); `clean()` is the same rule for a whole polars
String column (the columnar reader), so no Python object is made per cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from store.nfc import nfc

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


def clean(col: pl.Expr) -> pl.Expr:
    """`text()` of string cells, vectorised: trim, the export's escape, NFC (only where a cell is not
    ASCII: normalising costs more than the test), empty → null."""
    import polars as pl

    out = col.str.strip_chars(WHITESPACE)
    out = pl.when(out.str.contains(r"^'[=+\-@\t\r]")).then(out.str.slice(1)).otherwise(out)
    out = pl.when(out.str.contains(r"[^\x00-\x7f]")).then(out.str.normalize("NFC")).otherwise(out)
    return pl.when(out.str.len_bytes() > 0).then(out).otherwise(None)


def col_letter(idx: int) -> str:
    """0 → A (a column index as Excel names it)."""
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
