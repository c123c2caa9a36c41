"""The long-running commands' machinery stays out of every other command's start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

OPS_ONLY = ["prometheus_client", "tenantctl.store.worker", "tenantctl.store.transfer", "tenantctl.web.metrics",
            "tenantctl.web.observe", "tenantctl.web.logformat", "uvicorn", "fastapi"]


@pytest.mark.parametrize("args", [["--help"], ["tenant", "list", "--json"], ["worker", "--help"],
                                  ["db", "status", "--json"]])
def test_other_commands_load_no_metrics_and_no_worker(args, db_url, tmp_path):
    code = (
        "import sys\n"
        "from tenantctl.cli.main import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {OPS_ONLY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
