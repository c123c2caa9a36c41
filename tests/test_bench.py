"""The import benchmark runs end to end (tiny sizes; the figures themselves are in docs/import.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_import_benchmark_runs_and_reports_every_ratio(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TENANTCTL_TEST_DATABASE_URL"}
    out = subprocess.run([sys.executable, "-m", "bench", "import", "--tenants", "20", "--users", "60", "--repeat",
                          "2", "--workdir", str(tmp_path)], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["ratios"]) == {f"{step}/baseline {kind}" for step in ("import", "re-run")
                                     for kind in ("xlsx", "csv", "flat xlsx", "flat csv")}
    assert all(v > 0 for v in report["ratios"].values())
    assert report["tenants"] == 20 and report["users"] == 60
    assert "(median of 2)" in out.stderr
    assert report["peak_target_mb"] == 300 and "target <= 300 MB" in out.stderr


def test_the_memory_target_is_1_gb_for_the_million_row_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))  # bench/ is run from the checkout
    from bench.import_bench import memory_target

    assert [memory_target(n) for n in (60, 100_000, 1_000_000)] == [300, 300, 1_000]



def test_import_benchmark_measures_another_checkout_in_the_same_rounds(tmp_path: Path) -> None:
    """--against DIR: a second checkout (here this one again, through its own folder and .venv/bin/python)
    runs its import and re-run in every round on its own store; its ratios and ours against it are reported."""
    repo = Path(__file__).parents[1]
    other = tmp_path / "other"
    (other / ".venv" / "bin").mkdir(parents=True)
    python = other / ".venv" / "bin" / "python"  # this interpreter with its site-packages
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    for name in ("cli", "store", "importers", "mail_templates", "web", "bench"):
        (other / name).symlink_to(repo / name)
    env = {k: v for k, v in os.environ.items() if k != "TENANTCTL_TEST_DATABASE_URL"}
    out = subprocess.run([sys.executable, "-m", "bench", "import", "--tenants", "20", "--users", "60", "--repeat",
                          "1", "--kinds", "flat csv", "--workdir", str(tmp_path / "work"), "--against", str(other)],
                         capture_output=True, text=True, env=env, cwd=repo, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["ratios"]) == {f"{step}/baseline {kind}" for step in ("import", "re-run")
                                     for kind in ("flat csv",)}
    assert report["against"]["folder"] == str(other.resolve())
    assert set(report["against"]["ratios"]) == {
        name for kind in ("flat csv",) for step in ("import", "re-run")
        for name in (f"{step}/baseline {kind} (against)", f"{step} {kind}: this/against")}
    assert all(v > 0 for v in report["against"]["ratios"].values())
    assert (tmp_path / "work" / "against" / "import-flat-csv.db").stat().st_size > 0  # its own store


def test_import_benchmark_against_a_folder_without_a_venv_says_so(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "bench", "import", "--tenants", "20", "--users", "60", "--workdir",
                          str(tmp_path), "--against", str(tmp_path)], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], timeout=300)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (f"--against {tmp_path}: no .venv/bin/python there; "
                                                   "run `make install` in that checkout")

def test_remote_benchmark_runs_and_reports_its_ratio(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    out = subprocess.run([sys.executable, "-m", "bench", "remote", "--repeat", "1", "--tenants", "3", "--workdir",
                          str(tmp_path)], capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1],
                         timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    [(name, ratio)] = report["ratios"].items()
    assert name.startswith("remote tenant list") and ratio > 0
    assert report["remote_tenant_list_s"] > 0 and report["baseline_s"] > 0


def test_startup_benchmark_runs_and_reports_both_ratios(tmp_path: Path) -> None:
    """Twice in the same --workdir, as `make bench` is run again: each run builds its store afresh."""
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "bench", "startup", "--repeat", "1", "--tenants", "1",
                              "--workdir", str(tmp_path)], capture_output=True, text=True,
                             cwd=Path(__file__).parents[1], timeout=300)
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        assert set(report["ratios"]) == {"help/import typer,rich", "tenant list/bare sqlmodel select"}
        assert all(v > 0 for v in report["ratios"].values())


def test_web_benchmark_runs_and_reports_both_ratios() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    out = subprocess.run([sys.executable, "-m", "bench", "web", "--seconds", "1", "--clients", "2", "--requests",
                          "20"], capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["login"]["requests"] > 0 and report["login"]["ratio_per_worker"] > 0
    assert report["page_get"]["ratio_p50"] > 0 and report["page_get"]["ratio_p99"] > 0
    assert "set-password page: p50" in out.stderr


def test_apply_benchmark_runs_and_reports_its_ratios(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "bench", "apply", "--repeat", "1", "--tenants", "20", "--users", "40",
                          "--workdir", str(tmp_path)], capture_output=True, text=True, cwd=Path(__file__).parents[1],
                         timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout[out.stdout.index("{"):])
    assert {"small apply/import", "large apply json/import xlsx"} <= set(report["ratios"])
    assert all(v > 0 for v in report["ratios"].values())
