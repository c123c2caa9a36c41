"""Options shared by many commands, so that they read the same everywhere."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout (nothing on stderr).")
YES = typer.Option(False, "--yes", "-y", help="Do not ask; needed when not on a terminal.")
# the largest number the store can hold (a 64-bit integer): larger ones are a usage error naming
# the option, not an overflow deep in the database driver
MAX_INT = 2**63 - 1
LIMIT = typer.Option(100, "--limit", min=0, max=MAX_INT, metavar="N", help="Show at most N rows (0: all).")
OFFSET = typer.Option(0, "--offset", min=0, max=MAX_INT, metavar="N", help="Skip the first N rows.")
SEARCH = typer.Option(None, "--search", "-s", help="Case-insensitive text to look for.")


def limit_or_none(limit: int) -> int | None:
    return None if limit == 0 else limit


# Lists: the output format and the keys-only mode, the way kubectl's -o and gh's -q read.
FORMATS = ("table", "wide", "json", "yaml", "csv")


def _check_format(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        from tenantctl.store.errors import UsageError

        raise UsageError(f"unknown output format {value!r}: use one of {', '.join(FORMATS)}",
                         hint="e.g. -o csv")
    if value == "yaml":
        _silence()
    return value


def _check_quiet(value: bool) -> bool:
    if value:
        _silence()
    return value


def _silence() -> None:
    """The keys alone (-q) and the YAML document alone: no status or warning lines on stderr."""
    from tenantctl.cli import state

    state.SILENT = True


def _formats(incomplete: str) -> list[str]:
    return [f for f in FORMATS if f.startswith(incomplete)]


OUTPUT = typer.Option(None, "--output", "-o", metavar="FORMAT", callback=_check_format, autocompletion=_formats,
                      help="table (default), wide (more columns), json (as --json), yaml or csv.")
QUIET = typer.Option(False, "--quiet", "-q", callback=_check_quiet,
                     help="Only the keys or ids, one per line (for xargs).")


def json_requested(argv: list[str]) -> bool:
    """--json, or a list's -o json: the error then comes as the {"error"} document too. Read from
    the command line before parsing, as --json is, so a usage error is a JSON document as well."""
    if "--json" in argv:
        return True
    if "list" not in argv:
        return False  # `export -o json` writes a file's format, not the command's document
    words = iter(argv)
    for word in words:
        if word in ("-o", "--output"):
            if next(words, None) == "json":
                return True
        elif word in ("-ojson", "--output=json"):
            return True
    return False
