"""cli/svc.py: the commands' typed, lazily imported service modules."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tenantctl.cli import svc


def test_the_typed_imports_and_the_lazy_names_are_the_same_modules():
    tree = ast.parse(Path(svc.__file__).read_text(encoding="utf-8"))
    typed = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and node.module == "tenantctl.store.services" for a in node.names}
    assert typed == set(svc.__all__) == svc.MODULES
    for name in svc.__all__:
        assert getattr(svc, name) is importlib.import_module(f"tenantctl.store.services.{name}")


def test_a_service_module_not_listed_is_an_error_never_an_import_by_name():
    with pytest.raises(AttributeError, match="has no attribute 'retention'"):
        svc.retention  # noqa: B018


def test_importing_it_loads_no_service():
    code = ("import sys, tenantctl.cli.svc\n"
            "print(sorted(m for m in sys.modules if m.startswith(('tenantctl.store.services', 'sqlalchemy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
