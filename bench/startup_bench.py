"""Start-up: what scripts and shell completion pay on every call (issue 11).

    python -m bench startup [--repeat N] [--workdir DIR]

Rounds interleave each command with its baseline, so that a slow second on a shared machine lands
on both sides; the ratios are medians of per-round ratios. Prints one JSON report on stdout.

- `tenantctl --help` against `python -c "import typer, rich"` (target ≤ 2×)
- `tenantctl tenant list` against a bare script that imports sqlmodel and runs one SELECT on the
  same store (target ≤ 1.3×)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_SELECT = """
import sys
from sqlmodel import Session, create_engine, text
engine = create_engine(sys.argv[1])
with Session(engine) as s:
    rows = s.exec(text("SELECT key, name, kind FROM tenant ORDER BY key LIMIT 100")).all()
print(len(rows))
"""


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench startup")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--tenants", type=int, default=20, help="resellers in the store that tenant list prints")
    args = ap.parse_args(argv)
    # a store of its own, made afresh each run: a second run in the same --workdir would meet the
    # first run's tenants (tenant create refuses a name twice)
    work = Path(args.workdir) / "startup" if args.workdir else Path(tempfile.mkdtemp(prefix="tenantctl-startup-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'tenantctl.db'}"
    env = {**os.environ, "TENANTCTL_HOME": str(work), "TENANTCTL_DATABASE_URL": url}
    env.pop("TENANTCTL_ACTOR", None)
    tenantctl = [sys.executable, "-c", "from tenantctl.cli.main import main; main()"]
    subprocess.run([*tenantctl, "init", "--admin-email", "ops@bench.example", "--admin-first-name", "Olga",
                    "--admin-last-name", "Peters"], env=env, check=True, capture_output=True)
    for i in range(args.tenants):
        subprocess.run([*tenantctl, "tenant", "create", f"Reseller {i}", "--kind", "reseller"], env=env, check=True,
                       capture_output=True)
    pairs = {
        "help": ([*tenantctl, "--help"], [sys.executable, "-c", "import typer, rich"]),
        "tenant list": ([*tenantctl, "tenant", "list"], [sys.executable, "-c", BARE_SELECT, url]),
    }
    times: dict[str, list[float]] = {f"{k} {side}": [] for k in pairs for side in ("command", "baseline")}
    ratios: dict[str, list[float]] = {k: [] for k in pairs}
    for command, baseline in pairs.values():  # warm the file cache once
        _time(command, env), _time(baseline, env)
    for _ in range(args.repeat):
        for name, (command, baseline) in pairs.items():
            c, b = _time(command, env), _time(baseline, env)
            times[f"{name} command"].append(c)
            times[f"{name} baseline"].append(b)
            ratios[name].append(c / b)
    report = {
        "repeat": args.repeat,
        "seconds": {k: round(statistics.median(v), 3) for k, v in times.items()},
        "ratios": {"help/import typer,rich": round(statistics.median(ratios["help"]), 2),
                   "tenant list/bare sqlmodel select": round(statistics.median(ratios["tenant list"]), 2)},
        "targets": {"help/import typer,rich": 2.0, "tenant list/bare sqlmodel select": 1.3},
    }
    print(f"start-up (median of {args.repeat}): " + ", ".join(f"{k} {v}x" for k, v in report["ratios"].items()),
          file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
