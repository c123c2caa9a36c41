"""The dependency rules of docs/architecture.md are import-linter contracts (pyproject.toml): every
one is kept, and each kind of break is caught (the contracts are run on a copy of the code with one
wrong import added)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "store", "web", "importers", "mail_templates")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.slow  # a few seconds per run of lint-imports


def _contracts() -> list[dict[str, object]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def _lint(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-logo", "--no-cache"] + [a for c in contracts for a in ("--contract", c)]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_every_contract_is_kept() -> None:
    contracts = _contracts()
    assert len(contracts) >= 9 and all(c.get("id") for c in contracts)
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in out.stdout


# (contract id, file to add a line to, the line): one wrong arrow per rule of docs/architecture.md
BREAKS = [
    ("store-layers", "store/mail/message.py", "from tenantctl.store.services import tenants"),
    ("store-layers", "store/imports/write.py", "from tenantctl.store.services import outbox"),
    ("store-layers", "store/models.py", "from tenantctl.store.imports import rows"),
    ("store-layers", "store/newcomer.py", "X = 1"),  # a new module must be placed in a layer
    ("engine-mail-independent", "store/imports/rows.py", "from tenantctl.store.mail import message"),
    ("store-acyclic", "store/errors.py", "def _late():\n    from tenantctl.store import db"),
    ("packages", "web/app.py", "from tenantctl.cli import output"),
    ("packages", "importers/safety.py", "from tenantctl.web import errors"),
    ("cli-through-services", "cli/commands/tenant.py", "from tenantctl.store.models import Tenant"),
    ("cli-through-services", "cli/output.py", "from tenantctl.store.lookup import find_user_row"),
    ("web-through-services", "web/api/tenants.py", "from tenantctl.store import models"),
    ("web-through-services", "web/pages/invite.py", "from tenantctl.store.audit import record"),
    ("templates-standalone", "mail_templates/__init__.py", "import tenantctl.store.errors"),
]


def _copy(tmp_path: Path) -> Path:
    """The five folders as the wheel lays them out, tenantctl/<folder>: lint-imports, run in tmp_path,
    finds this copy of the namespace before the editable install's."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / "tenantctl" / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_copy_keeps_them_as_the_repository_does(tmp_path: Path) -> None:
    """The control for the test below: its copy of the code is linted as the repository is."""
    out = _lint(_copy(tmp_path), *{str(c) for c, _, _ in BREAKS})
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(("contract", "path", "line"), BREAKS, ids=[f"{c}:{p}" for c, p, _ in BREAKS])
def test_a_wrong_import_breaks_its_contract(tmp_path: Path, contract: str, path: str, line: str) -> None:
    target = _copy(tmp_path) / "tenantctl" / path
    target.write_text((target.read_text(encoding="utf-8") if target.exists() else "") + "\n" + line + "\n",
                      encoding="utf-8")
    out = _lint(tmp_path, contract)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Contracts: 0 kept, 1 broken." in out.stdout
