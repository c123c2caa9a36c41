"""Spreadsheets are untrusted (docs/import.md, "Safety before parsing"). Before any parser sees a
file: its size, what kind of file it really is, the zip container's entry count and expansion
ratio, and no DTD/entity declarations in any XML part. All checks read headers or a few KB, never
the whole expansion."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from tenantctl.store.errors import InvalidInput

MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED = 1_000_000_000   # bytes of all parts together
MAX_RATIO = 200                    # expansion of a single large part
RATIO_MIN_SIZE = 5_000_000         # small parts may compress well (empty styles.xml)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
MAX_CELL_CHARS = 32_767            # Excel's own limit


def check_size(path: Path, max_mb: int) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InvalidInput(f"file {str(path)!r} does not exist", hint="check the path") from None
    if not path.is_file():
        raise InvalidInput(f"{str(path)!r} is not a file", hint="give the path of an .xlsx or .csv file")
    if size > max_mb * 1_000_000:
        raise InvalidInput(f"{path.name} is {size / 1e6:.0f} MB; the import reads at most {max_mb} MB",
                           hint="split the file, or raise import_max_mb (TENANTCTL_IMPORT_MAX_MB)")
    if size == 0:
        raise InvalidInput(f"{path.name} is empty", hint="export the spreadsheet again")
    return size


def check_xlsx(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == OLE_MAGIC:
            fh.seek(0)
            if ENCRYPTED_MARK in fh.read(2_000_000):
                raise InvalidInput(f"{path.name} is a password-protected workbook",
                                   hint="open it in Excel, remove the password (File > Info > Protect) and save again")
            raise InvalidInput(f"{path.name} is an old Excel .xls file, not .xlsx",
                               hint="open it in Excel and save it as .xlsx (Excel workbook)")
    if not head.startswith(b"PK"):
        raise InvalidInput(f"{path.name} is not an .xlsx workbook", hint="save it as .xlsx or .csv")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path.name} is a damaged .xlsx file", hint="save it again as .xlsx") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InvalidInput(f"{path.name} has {len(infos)} parts; a workbook has far fewer",
                               hint="this is not a normal workbook; save it again as .xlsx")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise InvalidInput(f"{path.name} would expand to {total / 1e6:.0f} MB; refused",
                               hint="split the workbook or save it as .csv")
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
                raise InvalidInput(f"{path.name}: part {info.filename} expands {ratio:.0f}-fold (a zip bomb?); refused",
                                   hint="this is not a normal workbook; save it again as .xlsx")
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                with zf.open(info) as part:
                    if DTD_RE.search(part.read(4096)):
                        raise InvalidInput(f"{path.name}: part {info.filename} declares a DTD or XML entities; refused",
                                           hint="workbooks saved by Excel never do; save it again as .xlsx")


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """xl/worksheets/sheetN.xml → sheet name, from workbook.xml and its relationships."""
    try:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {m.group(1).decode(): m.group(2).decode()
               for m in re.finditer(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2).decode(): m.group(1).decode()
                    for m in re.finditer(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out: dict[str, str] = {}
    for m in re.finditer(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', wb):
        target = targets.get(m.group(2).decode())
        if target:
            target = target.lstrip("/")
            out[target if target.startswith("xl/") else "xl/" + target] = _unescape(m.group(1).decode())
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)
