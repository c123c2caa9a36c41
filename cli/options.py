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
