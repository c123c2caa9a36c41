"""The Rich side of cli/output.py, loaded on first output (not for `--help` or completion): text
with control characters made visible, a console that never crops, a table that never cuts
identifiers."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text as RichText

from tenantctl.store.rules import escape_controls


class Text(RichText):
    """rich.text.Text whose content has its control and bidi characters escaped. Commands build
    every line of output from this class (import it from cli.output, not from rich)."""

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(escape_controls(text), *args, **kwargs)


class NeverCropConsole(Console):
    def print(self, *objects: Any, **kwargs: Any) -> None:
        # never crop: a line wider than the terminal wraps there instead of losing its end
        kwargs.setdefault("crop", False)
        super().print(*objects, **kwargs)


class IdentifierTable(Table):
    """A table whose identifier columns keep their full width: when the terminal is too narrow for
    them (and a few characters of every other column), it is drawn wider and the terminal wraps."""

    def __rich_console__(self, console: Console, options: Any) -> Any:
        needed = self._extra_width + sum(
            (self._measure_column(console, options.update_width(10_000), c).maximum if c.no_wrap else 8)
            + self._get_padding_width(c._index) for c in self.columns)
        if needed > options.max_width:
            options = options.update_width(needed)
        return super().__rich_console__(console, options)
