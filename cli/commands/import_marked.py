"""The marked copy of an imported file: the input with each problem marked on its row, written next
to it (or where --report says); in remote mode from the file read here again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantctl.store.errors import InvalidInput


def local_source(file: Path, reading: dict[str, Any] | None) -> Any:
    """The file read here again (remote mode): the marked copy is made from its cells."""
    from tenantctl.importers import read as reader

    return reader.load(file, max_mb=1 << 30, **(reading or {})).source()



@dataclass
class Copy:
    path: str | None  # where the marked copy was written, None when it could not be
    said: str         # how the status line and the error describe it

    @property
    def where(self) -> str:
        return self.path or "--json for all of them"


@dataclass
class Marking:
    """How the marked copy is written: replace an existing one?, its language, the csv's encoding."""

    force: bool = False
    lang: str | None = None
    encoding: str | None = None


def default_target(file: Path, source: Any, lang: str | None) -> Path:
    """NAME-fehler.xlsx next to the input, NAME-problems.xlsx when the copy is written in English."""
    from tenantctl.importers.report_text import COPY_SUFFIX, file_language

    return file.with_name(f"{file.stem}-{COPY_SUFFIX[file_language(source.tables.values(), lang)]}.xlsx")


def marked_copy(file: Path, source: Any, problems: list[dict[str, Any]], target: Path | None,
                 marking: Marking | None) -> Copy:
    """Write the marked copy (to `target`, else default_target); a folder that is read-only (or gone)
    must not hide the problems."""
    from tenantctl.importers.marked import write_report

    how = marking or Marking()
    target = target or default_target(file, source, how.lang)
    try:
        write_report(file, source.file_type, source.tables, problems, target, lang=how.lang, encoding=how.encoding,
                     force=how.force)
    except InvalidInput as exc:
        replace = " (--force replaces it)" if "--force" in (exc.hint or "") else ""
        return Copy(None, f"no marked copy: {exc.message}{replace}")
    return Copy(str(target), f"marked copy: {target}")
