"""`tenantctl serve` never changes its process: an xlsx upload (which reads its sheets in
background threads and runs the import engine) leaves the cyclic GC on and glibc's malloc arenas
alone. Pausing the GC in a long-running multi-threaded server lets its heap grow without bound
(cli/process.py keeps both for the CLI's import process)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from tests.api.conftest import bearer
from tests.imports.conftest import basic_workbook


def test_an_xlsx_upload_leaves_the_gc_and_the_malloc_arenas_alone(world, http, token, tmp_path, monkeypatch):
    import ctypes

    from tenantctl.store.imports import planning, write

    seen: dict[str, list[Any]] = {"libc": [], "gc.disable": [], "planning": [], "writing": []}

    class Libc:
        def __getattr__(self, name: str) -> Any:
            seen["libc"].append(name)
            return lambda *a: 1

    real_cdll, real_disable = ctypes.CDLL, gc.disable
    monkeypatch.setattr(ctypes, "CDLL", lambda name, *a, **k: Libc() if name is None else real_cdll(name, *a, **k))
    monkeypatch.setattr(gc, "disable", lambda: seen["gc.disable"].append(threading.current_thread().name)
                        or real_disable())
    build, write_rows = planning._build_plan, write._Writer.write
    monkeypatch.setattr(planning, "_build_plan",
                        lambda *a, **k: seen["planning"].append(gc.isenabled()) or build(*a, **k))
    monkeypatch.setattr(write._Writer, "write",
                        lambda *a, **k: seen["writing"].append(gc.isenabled()) or write_rows(*a, **k))
    body = basic_workbook(tmp_path / "kunden.xlsx").read_bytes()
    r = http.post("/imports", params={"filename": "kunden.xlsx"}, content=body, headers=bearer(token()))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["counts"]["users_create"] == 3
    assert seen == {"libc": [], "gc.disable": [], "planning": [True], "writing": [True]}
    assert gc.isenabled()
