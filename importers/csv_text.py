"""A csv file's text as Excel shows it: the encoding (a byte-order mark, UTF-8, else Windows-1252,
or --encoding), a first line `sep=;`, the delimiter, records counted as rows. Both csv readers
(row-wise, columnar) start here; detection reads the bytes in Python, the records are parsed by
csv.reader or polars."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tenantctl.importers import broken_text, columns, safety
from tenantctl.store.errors import InvalidInput, UsageError
from tenantctl.store.imports.rows import Source


@dataclass
class CsvText:
    src: Source
    content: str
    kind: str | None                   # --sheet tenants/users, else found from the header
    advice: broken_text.Advice
    forced: bool                       # --encoding
    genuine_utf8: bool | None          # None under --trust-names (names are not checked)


def prepare(path: Path, sheet: str | None, encoding: str | None, trust_names: bool) -> CsvText:
    src = Source(path, "csv")
    raw = path.read_bytes()
    content = decode(path, raw, encoding, src)
    used = (encoding or ("utf-8" if broken_text.is_utf8(raw) else "cp1252")).lower().replace("_", "-")
    advice = broken_text.csv_advice(raw, used, forced=bool(encoding))
    # a file that is UTF-8 for certain (a byte-order mark, or letters outside ASCII that only UTF-8
    # encodes so) lost no letter to '?': "Warum?Marketing GmbH" is the company's own spelling
    # (or one --encoding utf-8 says is)
    genuine = used in {"utf-8", "utf8", "utf-8-sig"} and (
        bool(encoding) or raw.startswith(b"\xef\xbb\xbf") or not raw.isascii())
    del raw
    if not content.strip():
        raise InvalidInput(f"{path.name} is empty", hint="export the spreadsheet again")
    kind = None
    if sheet:
        kind = columns.sheet_kind(sheet)
        if kind is None:
            raise InvalidInput(f"--sheet {sheet!r}: a csv holds tenants or users",
                               hint="pass --sheet tenants or --sheet users")
    return CsvText(src, content, kind, advice, bool(encoding), None if trust_names else genuine)


def decode(path: Path, raw: bytes, encoding: str | None, src: Source) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}", hint="e.g. utf-8, cp1252, latin-1, utf-16") from None
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path.name} is not {encoding}: byte {exc.start} cannot be read",
                               hint="try another --encoding") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        src.notes.append(f"{path.name} is UTF-16 (byte-order mark); read as UTF-16")
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict") if broken_text.is_utf8(raw[3:]) else cp1252(path, raw[3:], src)
    if b"\x00" in raw[:4096]:
        raise InvalidInput(f"{path.name} looks like UTF-16 without a byte-order mark",
                           hint="save it as 'CSV UTF-8', or pass --encoding utf-16-le")
    return raw.decode("utf-8") if broken_text.is_utf8(raw) else cp1252(path, raw, src)


def cp1252(path: Path, raw: bytes, src: Source) -> str:
    src.notes.append(f"{path.name} is not UTF-8; read as Windows-1252 (cp1252). "
                     "Check the umlauts, or pass --encoding")
    return raw.decode("cp1252", errors="replace")


SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*\r?$', re.IGNORECASE)


def records_of(content: str) -> tuple[Iterator[list[str]], str | None]:
    """Records of a csv as Excel shows them, and the `sep=` line's delimiter if there was one.
    Excel honours a first line `sep=;` and hides it: the header is then row 1. A record is one
    row in Excel even when a quoted cell spans several lines, so rows are counted by record."""
    first, _, rest = content.lstrip("\r\n").partition("\n")
    sep = SEP_LINE.match(first)
    if sep:
        content, delimiter = rest, sep.group(1)
        first = content.split("\n", 1)[0]
    else:
        delimiter = max((";", ",", "\t"), key=first.count)
    # long cells are read, then reported with their row and column (not a csv.Error without either)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * safety.MAX_CELL_CHARS * 16))
    return csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), sep.group(1) if sep else None


def csv_records(path: Path, encoding: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(Excel row, record) of a csv decoded as the import decodes it (for the marked copy)."""
    src = Source(path, "csv")
    reader, _ = records_of(decode(path, path.read_bytes(), encoding, src))
    return enumerate(reader, start=1)



def sep_note(src: Source, sep: str | None) -> None:
    if sep:
        src.notes.append(f"{src.path.name}: the first line 'sep={sep}' names the delimiter; "
                         "rows are counted from the line after it, as Excel shows them")
