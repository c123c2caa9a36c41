"""Apply benchmark (issue 11): `tenantctl apply -f` against `tenantctl import run` of the same data
as a workbook, each step in a fresh process, rounds interleaved, ratios the medians of the rounds'
ratios. Prints one JSON report on stdout.

  small   30 customers × 3 users as YAML: fresh apply vs fresh import (target ≤ 1.5×), then the
          unchanged re-apply vs the unchanged re-import (target ≤ 1.5×)
  large   10,000 tenants + 100,000 users as JSON: fresh apply vs fresh xlsx import (target ≤ 1.2×)

    python -m bench apply [--tenants 10000] [--users 100000] [--repeat N] [--workdir .bench] [--no-large]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from statistics import median
from typing import Any

from bench.import_bench import fresh_sqlite, rows, timed, workbook


def document(tenants: list[list[Any]], users: list[list[Any]]) -> dict[str, Any]:
    """The import benchmark's rows as a desired-state document (users under their tenants)."""
    by_number: dict[str, list[dict[str, Any]]] = {}
    for first, last, email, number, role, language in users:
        by_number.setdefault(number, []).append({"email": email, "first_name": first, "last_name": last,
                                                 "role": role, "language": language})
    out = []
    for key, name, kind, reseller, number, currency, billing, language in tenants:
        if kind == "reseller":
            out.append({"key": key, "name": name, "kind": kind, "language": language})
        else:
            out.append({"name": name, "kind": kind, "reseller": reseller, "customer_number": number,
                        "currency": currency, "billing": billing, "language": language,
                        "users": by_number.get(number, [])})
    return {"version": 1, "tenants": out}


def command(url: str, *args: str) -> list[str]:
    run = f"app(['--db', {url!r}, *{list(args)!r}], standalone_mode=False)"
    return [sys.executable, "-c", f"from tenantctl.cli.main import app, exit_now; exit_now({run})"]


def small_files(workdir: Path) -> tuple[Path, Path]:
    import yaml

    tenants, users = rows(31, 90)  # one reseller and 30 customers with 3 users each
    doc = workdir / "apply-small.yaml"
    doc.write_text(yaml.safe_dump(document(tenants, users), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return doc, workbook(workdir / "apply-small.xlsx", tenants, users)


def large_files(workdir: Path, n_tenants: int, n_users: int) -> tuple[Path, Path]:
    from bench.import_bench import generate

    xlsx = generate(workdir, n_tenants, n_users)["xlsx"]
    doc = workdir / f"apply-{n_tenants}-{n_users}.json"
    if not doc.exists():
        doc.write_text(json.dumps(document(*rows(n_tenants, n_users)), ensure_ascii=False), encoding="utf-8")
    return doc, xlsx


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench apply")
    ap.add_argument("--tenants", type=int, default=10_000)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path(".bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-large", action="store_true", help="only the 30 × 3 case")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[float]] = {}

    def measure(name: str, cmd: list[str]) -> None:
        seconds, mb, _ = timed(cmd)
        samples.setdefault(name, []).append(seconds)
        print(f"{name:28s} {seconds:7.2f} s  {mb:7.1f} MB", file=sys.stderr)

    doc, book = small_files(args.workdir)
    large = None if args.no_large else large_files(args.workdir, args.tenants, args.users)
    for _ in range(args.repeat):
        url = fresh_sqlite(args.workdir, "apply-small")
        measure("small apply", command(url, "apply", "-f", str(doc)))
        measure("small apply unchanged", command(url, "apply", "-f", str(doc)))
        url = fresh_sqlite(args.workdir, "import-small")
        measure("small import", command(url, "import", "run", str(book)))
        measure("small import unchanged", command(url, "import", "run", str(book)))
        if large is not None:
            measure("large apply json", command(fresh_sqlite(args.workdir, "apply-large"), "apply", "-f",
                                                str(large[0])))
            measure("large import xlsx", command(fresh_sqlite(args.workdir, "import-large"), "import", "run",
                                                 str(large[1])))

    def ratio(a: str, b: str) -> float:
        return round(median(x / y for x, y in zip(samples[a], samples[b], strict=True)), 2)

    ratios = {"small apply/import": (ratio("small apply", "small import"), 1.5),
              "small unchanged apply/import": (ratio("small apply unchanged", "small import unchanged"), 1.5)}
    if large is not None:
        ratios["large apply json/import xlsx"] = (ratio("large apply json", "large import xlsx"), 1.2)
    print(file=sys.stderr)
    for name, (value, target) in ratios.items():
        print(f"{name:30s} {value:5.2f}x  target <= {target}x  {'ok' if value <= target else 'MISSED'}",
              file=sys.stderr)
    print(json.dumps({"repeat": args.repeat, "seconds": {k: round(median(v), 2) for k, v in samples.items()},
                      "ratios": {k: v[0] for k, v in ratios.items()},
                      "targets": {k: v[1] for k, v in ratios.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
