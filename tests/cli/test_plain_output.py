"""What the CLI prints reads as sentences, not as its internals: no Python dicts, no 64-bit
ceilings, no `{ARG}`, singular counts where there is one, timings only when asked for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import basic_workbook


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_audit_details_read_old_to_new(world: Any, cli: Any, ok: Any) -> None:
    ok("tenant", "suspend", "mueller", "--yes")
    r = cli("audit", "list", "--action", "tenant.suspend")
    assert r.exit_code == 0
    assert "changed: status: active → suspended" in r.stdout
    assert "{" not in r.stdout and "[" not in r.stdout


@pytest.mark.parametrize("args", [("tenant", "list"), ("audit", "list"), ("token", "list")])
def test_list_help_shows_no_64_bit_ceiling(cli: Any, args: tuple[str, ...]) -> None:
    r = cli(*args, "--help")
    assert r.exit_code == 0
    assert "9223372036854775807" not in r.stdout and "<=x" not in r.stdout
    assert "--limit N" in r.stdout and "--offset N" in r.stdout


def test_usage_lines_name_arguments_plainly(cli: Any) -> None:
    assert cli("member", "add", "--help").stdout.splitlines()[0].endswith(" member add [OPTIONS] LOGIN_OR_EMAIL")
    assert cli("import", "undo", "--help").stdout.splitlines()[0].endswith(" import undo [OPTIONS] RUN")
    assert "between 1 and 65535" in _one_line(cli("serve", "--help").stdout)


def test_member_add_says_who_is_what_where(world: Any, cli: Any) -> None:
    r = cli("member", "add", "mia@mueller.example", "--tenant", "acme", "--role", "billing")
    assert r.exit_code == 0
    assert "mia.meier is a member of acme with the role billing" in _one_line(r.stderr)


@pytest.mark.usefixtures("cli_mode")
def test_import_summary_without_timings_unless_verbose(world: Any, cli: Any, tmp_path: Path) -> None:
    path = basic_workbook(tmp_path / "a.xlsx", [["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"]])
    first = cli("import", "run", str(path), "--send-links")
    assert first.exit_code == 0, first.stderr
    said = _one_line(first.stderr)
    assert "rows/s" not in said and " s " not in said
    assert "— 3 rows; run " in said  # 2 tenants, 1 user
    assert "queued 1 password link" in said and "password links" not in said
    again = cli("import", "run", str(path), "--verbose")
    said = _one_line(again.stderr)
    timings = r"— 3 rows in \d+\.\d s \([\d,]+ rows/s; read [\d.]+ s, check [\d.]+ s, write [\d.]+ s\)"
    assert re.search(timings, said), said
    assert "new or changed" not in said  # all unchanged: nothing to write, no "writing 0 … rows"


def test_dry_run_counts_the_rows_it_checks(world: Any, cli: Any, tmp_path: Path) -> None:
    r = cli("import", "run", str(basic_workbook(tmp_path / "a.xlsx")), "--dry-run")
    assert r.exit_code == 0
    assert "checking 5 new or changed rows of 5 against the store…" in _one_line(r.stderr)
