"""The README's promises that code can check."""

import re
from pathlib import Path

from tenantctl.store.errors import EXIT_CODES

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_exit_code_table_matches_the_code():
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.M))
    assert {int(k): v for k, v in rows.items()} == EXIT_CODES


def test_quick_start_has_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_architecture_names_only_paths_and_contracts_that_exist():
    """docs/architecture.md is a map: every file or folder it names in backticks exists, and every
    contract in its table is one `make lint` checks (pyproject.toml)."""
    import tomllib

    root = Path(__file__).parents[1]
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {p for p in re.findall(r"`([\w./]+)`", text) if "/" in p}
    assert len(named) > 40
    assert [p for p in sorted(named) if not (root / p).exists()] == []
    contracts = [c["name"] for c in tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]]
    quoted = [q.rstrip(" …") for q in re.findall(r'^\| "(.+?)" \|', text, flags=re.M)]
    assert len(quoted) == len(contracts)
    assert all(any(c.startswith(q) for c in contracts) for q in quoted), (quoted, contracts)
    assert "docs/architecture.md" in README
