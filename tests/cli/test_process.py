"""The CLI's process-wide settings (cli/process.py): `import run` and `apply` run without the
cyclic GC and with one malloc arena; every command ends without the interpreter's teardown, which
is armed only by exit_now."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest

from tests.imports.conftest import basic_workbook


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What the run did to the process: mallopt calls, and whether the GC was enabled while the
    engine planned and wrote. Only the process's own libc (`CDLL(None)`, as cli/process.py and
    importers/background.py open it) is replaced: polars opens libc by name when it loads (its CPU
    check calls mprotect), and must get the real one."""
    import ctypes

    from tenantctl.cli import process
    from tenantctl.store.imports import planning, write

    seen: dict[str, list[Any]] = {"mallopt": [], "planning": [], "writing": [], "trim": []}

    class Libc:
        def mallopt(self, *args: int) -> int:
            seen["mallopt"].append(args)
            return 1

        def malloc_trim(self, *args: int) -> int:
            seen["trim"].append(args)
            return 1

    real = ctypes.CDLL
    monkeypatch.setattr(ctypes, "CDLL", lambda name, *a, **k: Libc() if name is None else real(name, *a, **k))
    process._one_malloc_arena.cache_clear()  # once per process: this test's run is the first
    build, write_rows = planning._build_plan, write._Writer.write

    def spy(key: str, real: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *a, **k: seen[key].append(gc.isenabled()) or real(*a, **k)

    monkeypatch.setattr(planning, "_build_plan", spy("planning", build))
    monkeypatch.setattr(write._Writer, "write", spy("writing", write_rows))
    yield seen
    process._one_malloc_arena.cache_clear()


@pytest.mark.parametrize("reader", [None, "rows", "columns"])
def test_import_run_pauses_the_gc_and_keeps_one_malloc_arena(world, cli, tmp_path, spies, monkeypatch, reader):
    from tenantctl.importers import read

    if reader is not None:
        monkeypatch.setenv(read.READER, reader)
    assert gc.isenabled()
    r = cli("import", "run", str(basic_workbook(tmp_path / "kunden.xlsx")))
    assert r.exit_code == 0, r.stderr
    assert spies["mallopt"] == [(-8, 1)]  # M_ARENA_MAX = 1, once
    assert spies["trim"] and set(spies["trim"]) == {(0,)}  # the parsed sheet's freed heap handed back
    assert spies["planning"] and set(spies["planning"]) == {False}  # the dry-run twin and the run
    assert spies["writing"] and set(spies["writing"]) == {False}
    assert gc.isenabled()  # restored when the command ends


def test_apply_pauses_the_gc(world, cli, tmp_path, spies):
    doc = tmp_path / "setup.yaml"
    doc.write_text("version: 1\ntenants:\n  - name: Neu GmbH\n    kind: customer\n    reseller: acme\n"
                   "    customer_number: '777'\n", encoding="utf-8")
    r = cli("apply", "-f", str(doc))
    assert r.exit_code == 0, r.stderr
    assert spies["planning"] and set(spies["planning"]) == {False}
    assert spies["writing"] and set(spies["writing"]) == {False}
    assert gc.isenabled()


def test_the_exit_handler_does_nothing_until_exit_now_arms_it(monkeypatch):
    """cli/process.py registers its handler when `cli` is imported, in the test process too: unarmed
    it must return (the test run ends as Python ends), armed it ends the process with the code."""
    from tenantctl.cli import process

    ended: list[int] = []
    monkeypatch.setattr(process.os, "_exit", ended.append)
    process._end_without_teardown()
    assert ended == []
    monkeypatch.setattr(process, "_exit_code", 6)
    process._end_without_teardown()
    assert ended == [6]


def test_polars_is_told_to_hand_freed_memory_back_before_it_loads(monkeypatch):
    """jemalloc reads _RJEM_MALLOC_CONF once, when polars is loaded: the import process sets it
    before that, keeps a value the person set, and leaves it alone once polars is loaded."""
    import sys

    from tenantctl.cli import process

    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    monkeypatch.delitem(sys.modules, "polars", raising=False)
    process._polars_returns_freed_memory()
    assert process.os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0,muzzy_decay_ms:0"
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "background_thread:true")
    process._polars_returns_freed_memory()
    assert process.os.environ["_RJEM_MALLOC_CONF"] == "background_thread:true"
    monkeypatch.delenv("_RJEM_MALLOC_CONF")
    monkeypatch.setitem(sys.modules, "polars", object())
    process._polars_returns_freed_memory()
    assert "_RJEM_MALLOC_CONF" not in process.os.environ


def test_an_import_sets_it_in_a_fresh_process(tmp_path):
    """Through the command, in a process where polars is not loaded yet (as the console script)."""
    import subprocess
    import sys
    from pathlib import Path

    home = tmp_path / "home"
    code = ("import os, sys\nfrom tenantctl.cli.main import app\n"
            f"app(['--db', 'sqlite:///{tmp_path}/s.db', 'init'], standalone_mode=False)\n"
            f"app(['--db', 'sqlite:///{tmp_path}/s.db', 'import', 'run', '--dry-run', {str(tmp_path / 'k.xlsx')!r}],"
            " standalone_mode=False)\n"
            "print('conf', os.environ.get('_RJEM_MALLOC_CONF'))\n")
    basic_workbook(tmp_path / "k.xlsx")
    env = {k: v for k, v in __import__("os").environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2],
                         env={**env, "TENANTCTL_HOME": str(home)})
    assert "conf dirty_decay_ms:0,muzzy_decay_ms:0" in out.stdout, (out.stdout, out.stderr)
