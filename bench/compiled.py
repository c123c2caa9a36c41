"""Benchmarks measure the commands as an installed tenantctl runs them: with our modules compiled.
An editable install compiles none of them, and where PYTHONDONTWRITEBYTECODE=1 is set (container
images, CI machines) every measured process would compile them anew (~0.15 s each, measured)."""

from __future__ import annotations

import subprocess
from pathlib import Path

PACKAGES = ("cli", "store", "importers", "web", "mail_templates")
ROOT = Path(__file__).resolve().parents[1]


def precompile(python: str, folder: Path = ROOT) -> None:
    """Compile the checkout's packages with that interpreter (a no-op for what is current)."""
    subprocess.run([python, "-m", "compileall", "-q", *PACKAGES], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
