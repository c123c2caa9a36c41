"""The README's promises that code can check."""

import re
from pathlib import Path

from store.errors import EXIT_CODES

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_exit_code_table_matches_the_code():
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.M))
    assert {int(k): v for k, v in rows.items()} == EXIT_CODES


def test_quick_start_has_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
