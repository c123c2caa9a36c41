"""Everything the CLI prints goes through here: one JSON document on stdout with --json, otherwise
Rich tables on stdout and status on stderr. User data is always printed literally (Text, not markup)
and with its control characters made visible: an ESC or bidi override planted in the store (an
OSC 8 hyperlink in an external id) is shown as `\x1b…`, never interpreted by the terminal."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tenantctl.cli import state
from tenantctl.store.errors import TenantctlError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from tenantctl.cli.backend import Result
    from tenantctl.cli.render import Text


def __getattr__(name: str) -> Any:
    """`output.Text` (and `from tenantctl.cli.output import Text`): Rich is loaded on first use, in
    cli/render.py, so that `--help` and completion never pay for it (bench/startup_bench.py)."""
    if name == "Text":
        from tenantctl.cli import render

        return render.Text
    raise AttributeError(f"module 'tenantctl.cli.output' has no attribute {name!r}")


Column = tuple[str, str]  # (header, key)
# Columns that hold identifiers (keys, logins, addresses, ids, links): never cut, never wrapped;
# the other columns wrap instead. A login cut to "thomas.mue…" is worse than a wide table.
IDENTIFIERS = frozenset({"id", "key", "login", "email", "to", "tenant", "reseller", "partner", "customer",
                         "customer_number", "external_id", "link", "from", "object", "actor", "file", "run"})


def _width(stream: Any) -> int | None:
    # COLUMNS set: that width (as Rich and `ls` honour it, on a terminal or not). Else a terminal's
    # own width; not a terminal (pipe, file, test): don't wrap wide tables at 80 columns.
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if getattr(stream, "isatty", lambda: False)() else 200


def stdout() -> Console:
    from tenantctl.cli.render import NeverCropConsole

    return NeverCropConsole(file=sys.stdout, highlight=False, emoji=False, width=_width(sys.stdout))


def stderr() -> Console:
    from tenantctl.cli.render import NeverCropConsole

    return NeverCropConsole(file=sys.stderr, highlight=False, emoji=False, width=_width(sys.stderr))


def cell(value: Any) -> Text:
    from tenantctl.cli.render import Text

    if value is None:
        return Text("-", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, list | tuple):
        return Text(", ".join(map(plain, value)))
    if isinstance(value, dict):
        return Text(_change(value))
    if isinstance(value, datetime):  # a list's time, in the display zone (cli/formats.py)
        from tenantctl.cli.formats import table_time

        return Text(table_time(value))
    return Text(str(value))


def plain(value: Any) -> str:
    """A value inside a cell: nothing reads as "-" (as an empty cell does), never as "None"."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(plain, value))
    if isinstance(value, dict):
        return _change(value)
    return str(value)


def _change(value: Any) -> str:
    """[old, new] pairs (the "changed" field of updates) read as "old → new", at any depth: an
    audit event's details hold {"changed": {"status": ["active", "suspended"]}}, which reads
    "changed: status: active → suspended", never as a Python dict."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_change(v)}" for k, v in value.items())
    if isinstance(value, list) and len(value) == 2:
        return f"{plain(value[0])} → {plain(value[1])}"
    return plain(value)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> Table:
    from rich.markup import escape

    from tenantctl.cli.render import IdentifierTable
    from tenantctl.store.rules import escape_controls

    t = IdentifierTable(title=escape(escape_controls(title)) if title else None, show_lines=False,
                        header_style="bold")
    for header, key in columns:
        if key in IDENTIFIERS:
            t.add_column(header, no_wrap=True, overflow="ignore")
        else:
            t.add_column(header, overflow="fold")
    for row in rows:
        t.add_row(*(cell(_shown(key, row.get(key))) for _, key in columns))
    return t


def _shown(key: str, value: Any) -> Any:
    """A time in a table or record: in the display zone with its offset (cli/formats.py)."""
    if isinstance(value, str) and is_time(key):
        from tenantctl.cli.formats import local_time

        return local_time(value)
    return value


def is_time(key: str) -> bool:
    """Columns holding a point in time (ISO 8601 UTC in the data): shown in the configured zone."""
    return key in ("at", "since") or key.endswith("_at")


@dataclass(frozen=True)
class Listing:
    """What a list command shows, declared once: the table's columns, the columns only `-o wide`
    adds, the field `-q` prints, and how a row reads in a table (derived cells). Every format
    (table, wide, csv, quiet) is drawn from this; json and yaml print the data as it is."""

    columns: tuple[Column, ...]
    key: str
    wide: tuple[Column, ...] = ()
    flat: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def rows(self, data: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.flat(r) for r in data] if self.flat else list(data)


def show_list(res: Result, listing: Listing, *, fmt: str | None, quiet: bool, json: bool) -> None:
    """Print a list in the format asked for (-o, --json, -q): the one place every list goes through."""
    fmt = _list_format(fmt, quiet, json)
    if fmt == "json":
        show(res.data, lambda c, d: None, json_mode=True, total=res.total, limit=res.limit, offset=res.offset)
        return
    if fmt in ("quiet", "yaml"):
        from tenantctl.cli import formats

        if fmt == "quiet":
            sys.stdout.write(formats.keys(listing.rows(res.data), listing.key))
            return
        payload: dict[str, Any] = {"data": res.data}
        if res.total is not None:
            payload["meta"] = {"total": res.total, "limit": res.limit, "offset": res.offset}
        if state.WARNINGS:
            payload["warnings"] = list(state.WARNINGS)
        sys.stdout.write(formats.yaml_document(payload))
        return
    columns = listing.columns + (listing.wide if fmt == "wide" else ())

    def render(console: Console, data: Any) -> None:
        rows = listing.rows(data)
        if fmt == "csv" or any(is_time(key) for _, key in columns):
            from tenantctl.cli import formats  # not for a table without times: `tenant list` starts as before

            rows = formats.zoned(rows, columns)
            if fmt == "csv":
                sys.stdout.write(formats.csv_text(rows, columns))
                return
        console.print(table(rows, columns))

    show(res.data, render, json_mode=False, total=res.total, limit=res.limit, offset=res.offset)


def _list_format(fmt: str | None, quiet: bool, json: bool) -> str:
    from tenantctl.store.errors import UsageError

    if json and fmt not in (None, "json"):
        raise UsageError(f"--json and -o {fmt} ask for two formats", hint="drop one of them")
    chosen = "json" if json else fmt or "table"
    if quiet and chosen != "table":
        raise UsageError(f"--quiet prints only the keys, not {chosen}", hint=f"drop --quiet or -o {chosen}")
    return "quiet" if quiet else chosen


def record(data: dict[str, Any], keys: Sequence[Column] | None = None) -> Table:
    from rich.table import Table

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    for label, key in keys or [(k, k) for k in data]:
        t.add_row(label, cell(_shown(key, data.get(key))))
    return t


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 password link", "3 password links": how every count in a status line reads."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def line(console: Console, text: str) -> None:
    """One line of literal text that is never wrapped or cut (links, tokens): the terminal wraps it."""
    from tenantctl.cli.render import Text

    console.print(Text(text), soft_wrap=True)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def emit_json(payload: Any) -> None:
    """The command's one JSON document on stdout. A second one is a bug (`| jq` reads the first and
    chokes on the rest), refused here for every command."""
    if state.JSON_EMITTED:
        raise RuntimeError("a second JSON document on stdout")
    state.JSON_EMITTED = True
    if isinstance(payload, dict) and "data" in payload and state.WARNINGS and "warnings" not in payload:
        payload = {**payload, "warnings": list(state.WARNINGS)}  # every command's, as show() adds them
    # json escapes C0 itself; DEL, C1 and bidi overrides are written as \uXXXX too (only strings
    # can hold them), so a document piped to a terminal cannot drive it either
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def show(data: Any, render: Callable[[Console, Any], None], *, json_mode: bool,
         total: int | None = None, limit: int | None = None, offset: int = 0) -> None:
    """Print a result. Lists pass total/limit/offset and get "showing N of M" on stderr."""
    if json_mode:
        payload: dict[str, Any] = {"data": data}
        if total is not None:
            payload["meta"] = {"total": total, "limit": limit, "offset": offset}
        if state.WARNINGS:
            payload["warnings"] = list(state.WARNINGS)
        emit_json(payload)
        return
    render(stdout(), data)
    if total is not None:
        shown = len(data)
        more = f"; use --offset {offset + shown}" if offset + shown < total else ""
        status(f"showing {shown} of {total}{more}")


def status(message: str, style: str | None = None) -> None:
    """Progress and status lines: stderr, silent in --json mode (and for a list's -q and -o yaml:
    the keys alone, the document alone). `message` is literal text."""
    if state.JSON_MODE or state.SILENT:
        return
    from tenantctl.cli.render import Text

    stderr().print(Text(message, style=style or ""), soft_wrap=True)


def warn(message: str) -> None:
    status(message, style="yellow")


def fail(err: TenantctlError, json_mode: bool) -> int:
    """The one place an error becomes output and an exit code. With --json: the {"error"} document
    on stdout, unless the command's {"data"} document is out already (exit 6: what was done is the
    document; docs/json.md); and always the one line on stderr, so that `key=$(tenantctl … --json
    | jq …)` under `set -e` does not die silently."""
    if json_mode and not state.JSON_EMITTED:
        error: dict[str, Any] = {"code": err.code, "message": err.message, "hint": err.hint}
        if err.details:
            error["details"] = err.details
        emit_json({"error": error})
    from tenantctl.cli.render import Text

    line = Text("error: ", style="bold red") + Text(err.message)
    if err.hint:
        line += Text(f" ({err.hint})", style="dim")
    stderr().print(line, soft_wrap=True)  # one line, whatever the terminal width
    return err.exit_code
