"""The import plan as a table that fits the terminal. Logins, keys and e-mail addresses are never
broken (a support agent copies them); the changes and errors wrap at word and comma boundaries.
The layout narrows with the terminal: all columns side by side; then sheet and row in one column,
action and type in one, login over the name or address; then the changes under them too; then one
block of lines per row. Only an identifier longer than the terminal itself makes the table wider
(the terminal wraps it)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tenantctl.cli.render import Text
from tenantctl.store.rules import escape_controls

MIN_DETAIL = 24  # the changes column's least width before a narrower layout is chosen
GAP = 3  # between two columns: padding, the (blank) rule, padding; none at the edges
ACTION_STYLE = {"error": "red", "create": "green", "update": "yellow"}


class _PlanTable(Table):
    """Never narrower than its columns' widths: an identifier wider than the terminal is drawn
    whole (the terminal wraps the line) instead of being folded by Rich."""

    def __rich_console__(self, console: Console, options: Any) -> Any:
        needed = sum(c.width or 0 for c in self.columns) + GAP * (len(self.columns) - 1)
        if needed > options.max_width:
            options = options.update_width(needed)
        return super().__rich_console__(console, options)


def detail(row: dict[str, Any]) -> str:
    """What the row changes ("field: old → new, …") or what is wrong with it ("column: message; …")."""
    if row["errors"]:
        return "; ".join((f"{e['column']}: " if e["column"] else "") + e["message"] for e in row["errors"])
    return ", ".join(f"{k}: {'' if v[0] is None else str(v[0]) + ' → '}{v[1]}" for k, v in row["changes"].items())


def plan_table(rows: list[dict[str, Any]], width: int, title: str | None = None) -> Table:
    """The widest of the four layouts that fits `width` with a readable changes column. Every
    column gets its width here (Rich would shrink an address column to make room)."""
    m = _Measures(rows)
    full = [max(m.sheet, 5), max(m.row, 3), m.action, max(m.kind, 4), max(m.key, 9), max(m.address, 12)]
    room = width - sum(full) - GAP * len(full)
    if room >= MIN_DETAIL:
        extra = max(0, room - m.detail)  # what the changes do not need goes to long company names
        full[-1] = max(full[-1], min(m.name, full[-1] + extra))
        return _full(rows, title, [*full, min(room, max(m.detail, MIN_DETAIL))])
    compact = [m.place, m.action, m.ident]
    room = width - sum(compact) - GAP * len(compact)
    if room >= MIN_DETAIL:
        return _compact(rows, title, [*compact, min(room, max(m.detail, MIN_DETAIL))])
    room = width - m.place - m.action - GAP * 2
    if room >= m.ident:
        return _stacked(rows, title, [m.place, m.action, room])
    return _single(rows, title, max(width, m.ident))  # only an identifier wider than the terminal widens it


class _Measures:
    """The longest text of each kind among the shown rows."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        def longest(texts: Any, least: int = 1) -> int:
            return max((cell_len(t) for t in texts), default=least)  # terminal cells, not characters

        self.sheet = longest(_text(r["sheet"]) for r in rows)
        self.row = longest(str(r["row"]) for r in rows)
        self.kind = longest(_text(r["type"]) for r in rows)
        self.action = max(longest(_text(r["action"]) for r in rows), self.kind, 6)
        self.key = longest(_text(r["key"]) for r in rows)
        self.address = longest(_text(r["label"]) for r in rows if _is_address(r))
        self.name = longest((_text(r["label"]) for r in rows), self.address)
        self.ident = max(self.key, self.address, 14)  # login over address: both unbroken
        self.place = longest(f"{_text(r['sheet'])} {r['row']}" for r in rows)
        self.detail = longest(_text(detail(r)) for r in rows)


def _text(value: Any) -> str:
    return escape_controls("-" if value is None else str(value))


def _is_address(row: dict[str, Any]) -> bool:
    return row["type"] != "tenant"  # a user's or membership's label is the e-mail address


def _table(title: str | None, lines: bool = True) -> Table:
    """No vertical rules (they cost width); rows of several lines are set apart by a blank line."""
    return _PlanTable(title=escape(escape_controls(title)) if title else None, box=box.SIMPLE_HEAD, pad_edge=False,
                 header_style="bold", show_edge=False, title_justify="left", show_lines=lines)


def _action(row: dict[str, Any], with_type: bool = False) -> Text:
    text = Text(_text(row["action"]), style=ACTION_STYLE.get(row["action"], ""))
    if with_type:
        text.append("\n" + _text(row["type"]), style="dim")
    return text


def _who(row: dict[str, Any]) -> Text:
    """The key or login over the name or address: either line is one unbroken identifier."""
    text = Text(_text(row["key"]))
    text.append("\n")
    text.append_text(Text(_text(row["label"])))
    return text


def _full(rows: list[dict[str, Any]], title: str | None, widths: list[int]) -> Table:
    t = _table(title, lines=False)
    for (header, wraps), w in zip((("sheet", False), ("row", False), ("action", False), ("type", False),
                                   ("key/login", False), ("name/e-mail", True), ("changes / errors", True)),
                                  widths, strict=True):
        t.add_column(header, width=w, no_wrap=not wraps, overflow="fold")
    for r in rows:
        t.add_row(Text(_text(r["sheet"])), Text(str(r["row"])), _action(r), Text(_text(r["type"])),
                  Text(_text(r["key"])), Text(_text(r["label"])), _detail(r))
    return t


def _compact(rows: list[dict[str, Any]], title: str | None, widths: list[int]) -> Table:
    t = _table(title)
    for (header, wraps), w in zip((("row", False), ("action", False), ("login / e-mail", True),
                                   ("changes / errors", True)), widths, strict=True):
        t.add_column(header, width=w, no_wrap=not wraps, overflow="fold")
    for r in rows:
        t.add_row(Text(f"{_text(r['sheet'])} {r['row']}"), _action(r, True), _who(r), _detail(r))
    return t


def _stacked(rows: list[dict[str, Any]], title: str | None, widths: list[int]) -> Table:
    """The narrowest: the changes go under the login and address, in the same column."""
    t = _table(title)
    for (header, wraps), w in zip((("row", False), ("action", False), ("login / e-mail / changes", True)),
                                  widths, strict=True):
        t.add_column(header, width=w, no_wrap=not wraps, overflow="fold")
    for r in rows:
        cell = _who(r)
        if detail(r):
            cell.append("\n")
            cell.append_text(_detail(r))
        t.add_row(Text(f"{_text(r['sheet'])} {r['row']}"), _action(r, True), cell)
    return t


def _single(rows: list[dict[str, Any]], title: str | None, width: int) -> Table:
    """Too narrow for columns beside the address: each row is a block of lines."""
    t = _table(title)
    t.add_column("plan", width=width, overflow="fold")
    for r in rows:
        cell = Text(f"{_text(r['sheet'])} {r['row']}: ")
        cell.append_text(_action(r))
        cell.append(f" {_text(r['type'])}\n")
        cell.append_text(_who(r))
        if detail(r):
            cell.append("\n")
            cell.append_text(_detail(r))
        t.add_row(cell)
    return t


def _detail(row: dict[str, Any]) -> Text:
    return Text(_text(detail(row)), style="red" if row["errors"] else "")


def render(console: Console, rows: list[dict[str, Any]], title: str | None = None) -> None:
    console.print(plan_table(rows, console.width, title))
