"""Does ending the process with `os._exit` (skipping the interpreter's teardown) pay, and for which
commands? Each command runs in a fresh process, once ending as Python normally ends (`sys.exit`:
every object left is freed, every module torn down) and once with `os._exit` right after the
output is flushed; rounds interleave the two, the ratio is the median of the rounds' ratios.
Both wall-clock and CPU seconds (user + system of the child) are reported: on a loaded machine
the CPU seconds are the steadier measure of what the teardown costs.

  small   `tenantctl --help`, `tenantctl tenant list` (20 tenants)
  large   `import run` of 10,000 tenants + 100,000 users (xlsx) into a fresh SQLite store,
          `apply -f` of the same data as JSON into a fresh store, `export -o json` of that store

    python -m bench exit [--tenants 10000] [--users 100000] [--repeat N] [--workdir .bench] [--no-large]

Prints one JSON report on stdout (seconds are medians); docs/architecture.md ("Process-wide settings
of the CLI") records the result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from statistics import median

from bench.import_bench import fresh_sqlite, timed


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a child process."""
    import subprocess
    import time

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime

ENDINGS = {
    # as Python ends by itself: atexit handlers, then the teardown of every module and object
    "teardown": "import sys\nfrom tenantctl.cli.main import app\nsys.exit(app({args}, standalone_mode=False))\n",
    # the output flushed, then the process ends at once (no teardown)
    "os._exit": ("import os, sys\nfrom tenantctl.cli.main import app\ncode = app({args}, standalone_mode=False)\n"
                 "sys.stdout.flush(); sys.stderr.flush()\nos._exit(code)\n"),
}


def command(ending: str, args: list[str]) -> list[str]:
    return [sys.executable, "-c", ENDINGS[ending].format(args=repr(args))]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench exit")
    ap.add_argument("--tenants", type=int, default=10_000)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path(".bench"))
    ap.add_argument("--no-large", action="store_true", help="only the small commands")
    args = ap.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    small = fresh_sqlite(work, "exit-small")
    env = {"TENANTCTL_HOME": str(work), "TENANTCTL_DATABASE_URL": small}
    os.environ.pop("TENANTCTL_ACTOR", None)
    for i in range(20):
        run(command("os._exit", ["tenant", "create", f"Reseller {i}", "--kind", "reseller"]), env)
    cases: dict[str, tuple[list[str], str | None]] = {  # name → (arguments, the fresh store it needs)
        "help": (["--help"], None),
        "tenant list": (["tenant", "list"], None),
    }
    if not args.no_large:
        from bench.apply_bench import large_files

        doc, xlsx = large_files(work, args.tenants, args.users)
        cases["import run (100,000 users)"] = (["import", "run", str(xlsx)], "exit-import")
        cases["apply -f (100,000 users)"] = (["apply", "-f", str(doc)], "exit-apply")
        exported = fresh_sqlite(work, "exit-export")
        timed(command("os._exit", ["--db", exported, "import", "run", str(xlsx)]))
        cases["export -o json (100,000 users)"] = (["--db", exported, "export", "-o", "json"], None)
    report: dict[str, object] = {"repeat": args.repeat}
    for measure in ("wall", "cpu"):
        report[measure] = {}
    samples = {(name, e, m): [] for name in cases for e in ENDINGS for m in ("wall", "cpu")}
    ratios: dict[tuple[str, str], list[float]] = {(name, m): [] for name in cases for m in ("wall", "cpu")}
    for _ in range(args.repeat):
        for name, (cmd_args, fresh) in cases.items():
            took = {}
            for ending in ENDINGS:
                run_args = ["--db", fresh_sqlite(work, fresh), *cmd_args] if fresh else cmd_args
                took[ending] = dict(zip(("wall", "cpu"), run(command(ending, run_args), env), strict=True))
                for m in ("wall", "cpu"):
                    samples[name, ending, m].append(took[ending][m])
            for m in ("wall", "cpu"):
                ratios[name, m].append(took["os._exit"][m] / took["teardown"][m])
    for m in ("wall", "cpu"):
        report[m] = {name: {**{e: round(median(samples[name, e, m]), 3) for e in ENDINGS},
                            "saved": round(median(samples[name, "teardown", m]) - median(samples[name, "os._exit", m]),
                                           3),
                            "ratio os._exit/teardown": round(median(ratios[name, m]), 3)} for name in cases}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
