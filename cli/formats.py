"""The list formats beyond the Rich table (cli/output.py's `show_list`): keys only, CSV, YAML, and
times in the configured zone. Loaded only when a list asks for one of them, or shows a time
(start-up: `tenant list` as a table never imports this module's zone or settings reading)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from tenantctl.cli import state
from tenantctl.cli.output import Column, is_time
from tenantctl.store.rules import escape_controls


def keys(rows: Iterable[dict[str, Any]], key: str) -> str:
    """One key per line, for `xargs` (control characters made visible, as everywhere)."""
    return "".join(f"{escape_controls(str(row[key]))}\n" for row in rows if row.get(key) is not None)


def display_zone() -> tzinfo:
    """The zone times are shown in: the setting time_zone (TENANTCTL_TIME_ZONE, the settings file;
    default Europe/Berlin), read once per command. In remote mode the same local setting: the
    server's zone is not what the person at this terminal reads their clock in."""
    if state.ZONE is None:
        from zoneinfo import ZoneInfo

        from tenantctl.store.settings import load_settings

        state.ZONE = ZoneInfo(str(load_settings(flags=state.FLAGS).values["time_zone"]))
    return state.ZONE


def local_time(value: Any) -> Any:
    """An ISO 8601 time as a datetime in the display zone; anything else as it is."""
    moment = _parse(value)
    return value if moment is None else moment.astimezone(display_zone())


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 16:  # a date alone stays as it is
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the store's naive times are UTC


def zoned(rows: list[dict[str, Any]], columns: Sequence[Column]) -> list[dict[str, Any]]:
    """The rows with their time columns as datetimes in the display zone (tables and CSV format
    them); the zone is read only when a shown column holds a time."""
    times = [key for _, key in columns if is_time(key)]
    if not times or not rows:
        return rows
    return [{**row, **{key: local_time(row.get(key)) for key in times if key in row}} for row in rows]


def table_time(moment: datetime) -> str:
    """`2026-12-06 08:12 +01:00`: minutes and the offset, as a person reads a log line."""
    return moment.strftime("%Y-%m-%d %H:%M ") + moment.isoformat()[-6:]


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[Column]) -> str:
    """RFC 4180: a header of the table's column names, one line per item, CRLF line ends."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(key)) for _, key in columns])
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    from tenantctl.cli.output import plain

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return escape_controls(plain(value))


_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def yaml_document(payload: Any) -> str:
    """The --json document as YAML. A string holding DEL, C1 or a bidi override is written in
    double quotes with the character escaped (\\u202e), as the JSON document does: piped to a
    terminal, it cannot drive it."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> Any:
        style = '"' if _UNSAFE.search(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    document = yaml.dump(payload, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=10_000)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
