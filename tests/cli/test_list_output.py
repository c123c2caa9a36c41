"""Every list command's output formats (-o table|wide|json|yaml|csv), its keys-only mode (-q) and
times shown in the configured zone with their offset; once in remote mode too."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import yaml

from tenantctl.cli.commands import app, audit, connection, context, import_, invite, mail, member, tenant, token, user
from tenantctl.cli.output import is_time

# (command line, its Listing, the key -q prints, acting login or None for the operator)
LISTS: dict[str, tuple[list[str], Any, str, str | None]] = {
    "tenant": (["tenant", "list"], tenant.LISTING, "key", None),
    "user": (["user", "list"], user.LISTING, "login", None),
    "member": (["member", "list", "--tenant", "mueller"], member.LISTING, "login", None),
    "invite": (["invite", "list"], invite.LISTING, "id", None),
    "mail": (["mail", "list"], mail.LISTING, "id", None),
    "connection": (["connection", "list"], connection.LISTING, "id", None),
    "import": (["import", "list"], import_.RUNS, "id", None),
    "app": (["app", "list"], app.LISTING, "key", None),
    "audit": (["audit", "list"], audit.LISTING, "id", None),
    "token": (["token", "list", "--all"], token.LISTING, "id", None),
    "context": (["context", "list"], context.LISTING, "name", None),
}
DOCUMENT = """version: 1
tenants:
  - name: Neu GmbH
    reseller: acme
"""


@pytest.fixture
def filled(world: dict[str, str], cli: Any) -> dict[str, str]:
    """The world plus one of everything a list shows: an app, an invitation, a token, a mail, an
    import run (apply) and two saved contexts."""
    from tenantctl.cli import remote

    assert cli("app", "create", "Lohnbuchhaltung").exit_code == 0
    assert cli("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Test GmbH").exit_code == 0
    assert cli("token", "create", "--name", "ci", as_="rita.reseller").exit_code == 0
    assert cli("password", "send-link", "max.mueller").exit_code == 0
    assert cli("apply", "-f", "-", input=DOCUMENT).exit_code == 0
    remote.write_contexts({"current": None, "contexts": {
        "prod": {"server": "https://admin.platform.example", "token": "tctl_x", "user": "rita.reseller"},
        "staging": {"server": "https://staging.platform.example", "token": "tctl_y", "user": "max.mueller"}}})
    return world


def _run(cli: Any, name: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    args, _, _, as_ = LISTS[name]
    return cli(*args, *extra, as_=as_, env=env)


@pytest.mark.parametrize("name", LISTS)
def test_every_format_of_every_list(filled: Any, cli: Any, name: str) -> None:
    _, listing, key, _ = LISTS[name]
    as_json = _run(cli, name, "--json")
    assert as_json.exit_code == 0, as_json.stdout
    document = as_json.json()
    assert document["data"], f"{name}: the test needs at least one row"

    o_json = _run(cli, name, "-o", "json")
    assert (o_json.exit_code, o_json.stdout, o_json.stderr) == (0, as_json.stdout, "")

    o_yaml = _run(cli, name, "--output", "yaml")
    assert o_yaml.exit_code == 0 and o_yaml.stderr == ""
    assert yaml.safe_load(o_yaml.stdout) == document

    o_csv = _run(cli, name, "-o", "csv")
    assert o_csv.exit_code == 0
    lines = list(csv.reader(io.StringIO(o_csv.stdout, newline="")))
    assert lines[0] == [header for header, _ in listing.columns]
    assert len(lines) == len(document["data"]) + 1
    assert [line[[k for _, k in listing.columns].index(key)] for line in lines[1:]] == \
        [str(row[key]) for row in document["data"]]
    assert all(len(line) == len(listing.columns) for line in lines)
    for line, row in zip(lines[1:], listing.rows(document["data"]), strict=True):  # text cells as they are
        for cell, (_, column) in zip(line, listing.columns, strict=True):
            if isinstance(row.get(column), str) and not is_time(column):
                assert cell == row[column], (name, column)
            elif row.get(column) is None:
                assert cell == ""

    bad = _run(cli, name, "-o", "xml")
    assert (bad.exit_code, bad.stdout) == (2, "") and "use one of table, wide, json, yaml, csv" in bad.stderr

    quiet = _run(cli, name, "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    assert quiet.stdout == "".join(f"{row[key]}\n" for row in document["data"])

    table, wide = _run(cli, name), _run(cli, name, "-o", "wide")
    assert table.exit_code == wide.exit_code == 0
    assert table.stdout.splitlines()[1].count("┃") == len(listing.columns) + 1
    assert wide.stdout.splitlines()[1].count("┃") == len(listing.columns) + len(listing.wide) + 1


def test_wide_adds_the_columns_the_table_drops(filled: Any, cli: Any) -> None:
    narrow = cli("tenant", "list", "--search", "müller")
    wide = cli("tenant", "list", "--search", "müller", "-o", "wide")
    for header in ("billing", "language", "external id", "created", "created by"):
        assert header not in narrow.stdout and header in wide.stdout
    # a list whose table drops nothing: wide is the table
    assert cli("context", "list", "-o", "wide").stdout == cli("context", "list").stdout


@pytest.mark.parametrize("bad", [["-o", "xml"], ["--output=tabel"]])
def test_an_unknown_format_is_a_usage_error_naming_the_choices(world: Any, cli: Any, bad: list[str]) -> None:
    r = cli("tenant", "list", *bad)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert "use one of table, wide, json, yaml, csv" in r.stderr


def test_json_mode_errors_with_o_json(world: Any, cli: Any) -> None:
    """-o json is --json: an error is the {"error"} document, as with --json."""
    r = cli("member", "list", "--tenant", "nope", "-o", "json")
    assert r.exit_code == 8, r.stdout
    assert json.loads(r.stdout)["error"]["code"] == "not_found"
    assert cli("tenant", "list", "-o", "xml", "--json").json()["error"]["code"] == "usage"


@pytest.mark.parametrize("args, message", [
    (["-q", "-o", "csv"], "--quiet prints only the keys, not csv"),
    (["-q", "--json"], "--quiet prints only the keys, not json"),
    (["--json", "-o", "yaml"], "--json and -o yaml ask for two formats"),
])
def test_conflicting_formats_are_refused(world: Any, cli: Any, args: list[str], message: str) -> None:
    r = cli("tenant", "list", *args)
    assert r.exit_code == 2 and message in r.stderr


def test_quiet_drops_the_paging_line(world: Any, cli: Any) -> None:
    r = cli("tenant", "list", "--limit", "2")
    assert "showing 2 of" in r.stderr
    q = cli("tenant", "list", "--limit", "2", "-q")
    assert (q.stdout, q.stderr) == ("platform\nacme\n", "")
    c = cli("tenant", "list", "--limit", "2", "-o", "csv")  # csv has no meta: the paging line stays
    assert "showing 2 of" in c.stderr


def _set(db_url: str, key: str, column: str, value: str) -> None:
    """Plant a value the services would not write (a fixed time, a control character)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE tenant SET {column} = :value WHERE key = :key"), {"value": value, "key": key})
    engine.dispose()


@pytest.fixture
def dated(world: Any, db_url: str) -> None:
    _set(db_url, "acme", "created_at", "2026-01-15 10:00:00")  # winter: CET
    _set(db_url, "beta", "created_at", "2026-07-15 10:00:00")  # summer: CEST


def _created(cli: Any, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    r = cli("tenant", "list", "--kind", "reseller", *args, env=env)
    assert r.exit_code == 0, r.stderr
    return {line.split()[1]: line for line in r.stdout.splitlines() if line.startswith("│")}


def test_times_are_shown_in_the_configured_zone_with_the_offset(dated: Any, cli: Any) -> None:
    wide = _created(cli, "-o", "wide")
    assert "2026-01-15 11:00 +01:00" in wide["acme"]
    assert "2026-07-15 12:00 +02:00" in wide["beta"]
    london = _created(cli, "-o", "wide", env={"TENANTCTL_TIME_ZONE": "Europe/London"})
    assert "2026-01-15 10:00 +00:00" in london["acme"] and "2026-07-15 11:00 +01:00" in london["beta"]
    show = cli("tenant", "show", "acme").stdout  # a show's record reads its times the same way
    assert "2026-01-15 11:00 +01:00" in show and "10:00:00+00:00" not in show
    # JSON keeps ISO 8601 UTC (docs/json.md)
    data = {t["key"]: t["created_at"] for t in cli("tenant", "list", "--kind", "reseller", "--json").data}
    assert data["acme"] == "2026-01-15T10:00:00+00:00"


def test_csv_times_are_iso_8601_with_the_offset(dated: Any, cli: Any, tmp_path: Any) -> None:
    config = tmp_path / "xdg" / "tenantctl" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('time_zone = "America/New_York"\n')
    out = cli("audit", "list", "--action", "tenant.create", "-o", "csv")
    assert out.exit_code == 0, out.stderr
    moments = [row["at"] for row in csv.DictReader(io.StringIO(out.stdout))]
    assert moments and all(m[-6:] in ("-05:00", "-04:00") and "T" in m for m in moments), moments


def test_remote_mode_same_formats_and_the_local_zone(dated: Any, cli: Any, api_server: Any) -> None:
    from apiserver import token_for

    env = {"TENANTCTL_TOKEN": token_for(api_server.runtime.store, None, "lists"), "TENANTCTL_DATABASE_URL": None,
           "TENANTCTL_TIME_ZONE": "Asia/Tokyo"}

    def remote(*args: str) -> Any:
        return cli("--server", api_server.url, "tenant", "list", "--kind", "reseller", *args, env=env)

    local = cli("tenant", "list", "--kind", "reseller", "--json")
    assert remote("-o", "json").stdout == local.stdout
    assert yaml.safe_load(remote("-o", "yaml").stdout) == local.json()
    assert remote("-q").stdout == "acme\nbeta\n"
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(remote("-o", "csv").stdout))}
    assert set(rows) == {"acme", "beta"} and "created" not in rows["acme"]
    wide = remote("-o", "wide").stdout
    assert "2026-01-15 19:00 +09:00" in wide and "2026-07-15 19:00 +09:00" in wide


def test_yaml_escapes_what_could_drive_a_terminal(world: Any, cli: Any, db_url: str) -> None:
    _set(db_url, "mueller", "name", "Evil \u202egnp.exe GmbH")
    out = cli("tenant", "list", "--search", "evil", "-o", "yaml")
    assert "\u202e" not in out.stdout and "\\u202e" in out.stdout
    assert yaml.safe_load(out.stdout)["data"][0]["name"] == "Evil \u202egnp.exe GmbH"


def _complete(words: list[str]) -> list[str]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "_TENANTCTL_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
           "COMP_CWORD": str(len(words) - 1)}
    out = subprocess.run([sys.executable, "-c", "from tenantctl.cli.main import main; main()"], env=env,
                         capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def test_the_formats_complete_in_the_shell() -> None:
    assert _complete(["tenantctl", "tenant", "list", "-o", ""]) == ["table", "wide", "json", "yaml", "csv"]
    assert _complete(["tenantctl", "audit", "list", "--output", "w"]) == ["wide"]
