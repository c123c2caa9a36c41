"""Import benchmark (issue 5, point 11). Generates 10,000 tenants and 100,000 users as .xlsx and as
.csv (cached in --workdir), then measures in one run, each step in a fresh process, --repeat rounds
of the steps in turn (each ratio is the median of the rounds' ratios):

  baseline  parse with the fastest reader (python-calamine / csv.reader) and insert the same tenants,
            connections, users and memberships with plain sqlite3 executemany in one transaction
  import    tenantctl import run into a fresh SQLite store
  re-run    the same import again (every row unchanged)
  postgres  tenantctl import run into a fresh PostgreSQL database (if --pg URL or
            TENANTCTL_TEST_DATABASE_URL is set)

and the same three steps for a flat contact list of --users rows (one row per person, the company
repeated on each: --tenants companies), as .xlsx and .csv, imported under the reseller `partner`
(`--reseller partner`); its baseline groups the rows by customer number and inserts the same rows.

and prints the ratios against the targets: import <= 1.5x baseline, re-run <= 1.0x baseline,
peak memory <= 300 MB (<= 1 GB above 100,000 users: the 1,000,000-row case), PostgreSQL <= 2x SQLite.

--against DIR measures a second checkout (its own .venv, e.g. a `git worktree` of an older commit) in
the same rounds: its import and re-run run right after ours on the same files, each in its own fresh
store built by its own migrations, and the report adds its ratios to the same baseline and ours
against its (a before/after comparison that the machine's load cannot tilt).

    python -m bench import [--tenants 10000] [--users 100000] [--workdir .bench] [--pg URL] [--repeat N]
                           [--kinds xlsx,csv,...] [--against DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
FIRST = ["Max", "Mia", "Jürgen", "Zoë", "Ömer", "Anna", "Lukas", "Sofie", "Jörg", "Lea", "Paul", "Grete", "Özlem",
         "Łukasz", "José", "Hannah", "Felix", "Marie", "Bärbel", "Ulf"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann"]
TENANT_HEADERS = ["Schlüssel", "Name", "Art", "Reseller", "Kundennummer", "Währung", "Abrechnung", "Sprache"]
USER_HEADERS = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle", "Sprache"]
FLAT_HEADERS = ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon"]


def rows(n_tenants: int, n_users: int) -> tuple[list[list[str | None]], list[list[str | None]]]:
    rnd = random.Random(5)
    resellers = max(1, n_tenants // 1000)
    tenants: list[list[str | None]] = []
    for r in range(resellers):
        tenants.append([f"reseller-{r + 1}", f"Reseller {r + 1} AG", "reseller", None, None, None, None, "de"])
    for i in range(n_tenants - resellers):
        tenants.append([None, f"{rnd.choice(LAST)} & {rnd.choice(LAST)} Kunde {i + 1} GmbH", "customer",
                        f"reseller-{i % resellers + 1}", f"{i + 1:06d}", "EUR", "customer", "de"])
    users: list[list[str | None]] = []
    customers = n_tenants - resellers
    for j in range(n_users):
        f, la = rnd.choice(FIRST), rnd.choice(LAST)
        users.append([f, la, f"user{j + 1}@kunde{j % customers + 1}.example", f"{j % customers + 1:06d}",
                      "admin" if j < customers else "member", "de"])
    return tenants, users


def generate(workdir: Path, n_tenants: int, n_users: int, with_xlsx: bool = True) -> dict[str, Path]:
    """with_xlsx=False: the csv files only (writing a 1,000,000-row workbook takes minutes)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{n_tenants}-{n_users}"
    xlsx, tcsv, ucsv = workdir / f"{stem}.xlsx", workdir / f"{stem}-mandanten.csv", workdir / f"{stem}-benutzer.csv"
    if (xlsx.exists() or not with_xlsx) and tcsv.exists() and ucsv.exists():
        return {"xlsx": xlsx, "tenants_csv": tcsv, "users_csv": ucsv}
    t0 = time.monotonic()
    tenants, users = rows(n_tenants, n_users)
    for path, headers, data in ((tcsv, TENANT_HEADERS, tenants), (ucsv, USER_HEADERS, users)):
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter=";")
            w.writerow(headers)
            w.writerows(["" if v is None else v for v in r] for r in data)
    if with_xlsx:
        workbook(xlsx, tenants, users)
    print(f"generated {n_tenants:,} tenants and {n_users:,} users in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return {"xlsx": xlsx, "tenants_csv": tcsv, "users_csv": ucsv}


def workbook(path: Path, tenants: list[list[Any]], users: list[list[Any]]) -> Path:
    """The template's two sheets (Mandanten, Benutzer), written streaming."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, headers, data in (("Mandanten", TENANT_HEADERS, tenants), ("Benutzer", USER_HEADERS, users)):
        ws = wb.create_sheet(name)
        ws.append(headers)
        for r in data:
            ws.append(r)
    wb.save(path)
    return path


def generate_flat(workdir: Path, n_companies: int, n_people: int) -> dict[str, Path]:
    """A CRM export: one row per person, the company's name and zero-padded number on each row."""
    stem = f"bench-flat-{n_companies}-{n_people}"
    xlsx, fcsv = workdir / f"{stem}.xlsx", workdir / f"{stem}.csv"
    if xlsx.exists() and fcsv.exists():
        return {"flat_xlsx": xlsx, "flat_csv": fcsv}
    rnd = random.Random(10)
    data: list[list[str]] = []
    for j in range(n_people):
        c = j % n_companies + 1
        data.append([f"{LAST[c % len(LAST)]} & {LAST[c // len(LAST) % len(LAST)]} Firma {c} GmbH", f"{c:06d}",
                     rnd.choice(FIRST), rnd.choice(LAST), f"kontakt{j + 1}@firma{c}.example",
                     f"+49 30 {rnd.randint(1000000, 9999999)}"])
    with fcsv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(FLAT_HEADERS)
        w.writerows(data)
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kontakte")
    ws.append(FLAT_HEADERS)
    for r in data:
        ws.append(r)
    wb.save(xlsx)
    return {"flat_xlsx": xlsx, "flat_csv": fcsv}


def fresh_sqlite(workdir: Path, name: str, reseller: bool = False) -> str:
    """A copy of a migrated store (reseller: with the reseller `partner` a flat list is imported under)."""
    from tenantctl.store.db import Store
    from tenantctl.store.migrate import upgrade

    template = workdir / ("template-partner.db" if reseller else "template.db")
    if not template.exists():
        store = Store(f"sqlite:///{template}", create=True)
        upgrade(store)
        store.dispose()
        if reseller:
            import sqlite3

            db = sqlite3.connect(template)
            db.execute("INSERT INTO tenant (key, name, kind, status, language, created_at, created_by) "
                       "VALUES ('partner', 'Partner AG', 'reseller', 'active', 'de', '2026-01-01 00:00:00', 'bench')")
            db.commit()
            db.close()
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def fresh_pg(url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    from tenantctl.store.db import Store
    from tenantctl.store.migrate import upgrade

    base = make_url(url).set(drivername="postgresql+psycopg")
    admin = base.set(database="postgres").render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "tenantctl_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "tenantctl_bench"')
    target = base.set(database="tenantctl_bench").render_as_string(hide_password=False)
    store = Store(target)
    upgrade(store)
    store.dispose()
    return target


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stderr) of a child process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, err


PHASES = re.compile(r"read ([0-9.]+) s, check ([0-9.]+) s, write ([0-9.]+) s")


def phases(stderr: str) -> tuple[float, float, float] | None:
    """(read, check, write) seconds an `import run --verbose` reported, summed over its files."""
    found = [tuple(map(float, m.groups())) for m in PHASES.finditer(stderr)]
    if not found:
        return None
    return sum(f[0] for f in found), sum(f[1] for f in found), sum(f[2] for f in found)


def tenantctl(url: str, *files: Path, extra: tuple[str, ...] = (), python: str = sys.executable,
              pkg: str = "tenantctl.") -> list[str]:
    """One process, as the console script runs: one `import run` per file (csv: tenants, then users)."""
    runs = ", ".join(f"app(['--db', {url!r}, 'import', 'run', {str(f)!r}, '--verbose', *{list(extra)!r}], "
                     "standalone_mode=False)"
                     for f in files)
    return [python, "-c", f"from {pkg}cli.main import app, exit_now; exit_now(max([{runs}]))"]


class Against:
    """Another checkout of tenantctl, run with its own interpreter and migrations."""

    def __init__(self, folder: Path, workdir: Path) -> None:
        self.folder = folder.resolve()
        self.python = str(self.folder / ".venv" / "bin" / "python")
        if not Path(self.python).exists():
            raise SystemExit(f"--against {folder}: no .venv/bin/python there; run `make install` in that checkout")
        from bench.compiled import precompile

        precompile(self.python, self.folder)  # measured as we are: compiled
        # a checkout from before the packages moved under the tenantctl namespace imports them bare
        probe = subprocess.run([self.python, "-c", "import tenantctl.cli"], cwd=self.folder, capture_output=True)
        self.pkg = "tenantctl." if probe.returncode == 0 else ""
        self.workdir = (workdir / "against").resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.templates: dict[bool, Path] = {}

    def fresh_sqlite(self, name: str, reseller: bool) -> str:
        """A store migrated by that checkout's own code, copied like ours (with `partner` for flat lists)."""
        if reseller not in self.templates:
            url = f"sqlite:///{self.workdir / ('template-partner.db' if reseller else 'template.db')}"
            seed = ("import sqlite3; db = sqlite3.connect(p); db.execute(\"INSERT INTO tenant (key, name, kind, "
                    "status, language, created_at, created_by) VALUES ('partner', 'Partner AG', 'reseller', "
                    "'active', 'de', '2026-01-01 00:00:00', 'bench')\"); db.commit()") if reseller else "pass"
            code = (f"from {self.pkg}store.db import Store; from {self.pkg}store.migrate import upgrade; "
                    f"p = {url[10:]!r}\n"
                    "import os; os.path.exists(p) and os.remove(p)\n"
                    f"s = Store({url!r}, create=True); upgrade(s); s.dispose()\n{seed}")
            done = subprocess.run([self.python, "-c", code], cwd=self.folder, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"--against {self.folder}: cannot build its store:\n{done.stderr[-2000:]}")
            self.templates[reseller] = Path(url[10:])
        path = self.workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.templates[reseller], path)
        return f"sqlite:///{path}"


def memory_target(users: int) -> int:
    """The peak memory the import aims for, in MB: 300 up to 100,000 users, 1,000 for the
    1,000,000-row case."""
    return 300 if users <= 100_000 else 1_000


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench import")
    ap.add_argument("--tenants", type=int, default=10_000)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path(".bench"))
    ap.add_argument("--pg", default=os.environ.get("TENANTCTL_TEST_DATABASE_URL"))
    ap.add_argument("--repeat", type=int, default=1, help="take the median of N runs")
    ap.add_argument("--kinds", default="xlsx,csv,flat xlsx,flat csv", help="which inputs (comma-separated)")
    ap.add_argument("--against", type=Path, help="another checkout (with .venv) measured in the same rounds")
    args = ap.parse_args(argv)
    against = Against(args.against, args.workdir) if args.against else None
    kinds = args.kinds.split(",")
    files = generate(args.workdir, args.tenants, args.users, with_xlsx="xlsx" in kinds)
    if any(k.startswith("flat") for k in kinds):
        files.update(generate_flat(args.workdir, args.tenants, args.users))
    samples: dict[str, list[tuple[float, float]]] = {}
    split: dict[str, list[tuple[float, float, float]]] = {}  # the import's own phases: read, check, write
    baseline = [sys.executable, str(HERE / "baseline.py")]
    names = {"xlsx": ["xlsx"], "csv": ["tenants_csv", "users_csv"], "flat xlsx": ["flat_xlsx"],
             "flat csv": ["flat_csv"]}
    inputs = {k: [files[f] for f in names[k]] for k in names if k in kinds}

    def measure(name: str, cmd: list[str], cwd: Path | None = None) -> None:
        seconds, mb, err = timed(cmd, cwd=cwd)
        samples.setdefault(name, []).append((seconds, mb))
        split_of = phases(err)
        if split_of:
            split.setdefault(name, []).append(split_of)
        shown = "  read {:.2f} / check {:.2f} / write {:.2f} s".format(*split_of) if split_of else ""
        print(f"{name:24s} {seconds:7.2f} s  {mb:7.1f} MB{shown}", file=sys.stderr)

    # Rounds interleave the steps, so that each ratio compares runs minutes apart at most: on a
    # shared machine a slow minute otherwise lands on the baseline or on the import alone.
    for round_no in range(args.repeat):
        for kind, paths in inputs.items():
            flat = kind.startswith("flat")
            extra = ("--reseller", "partner") if flat else ()
            base = fresh_sqlite(args.workdir, "baseline", reseller=flat)
            measure(f"baseline {kind}", [*baseline, *(["--flat"] if flat else []), base, *map(str, paths)])
            sides: list[tuple[str, str, Path | None, str]] = [("", sys.executable, None, "tenantctl.")]
            if against:
                sides.append((" (against)", against.python, against.folder, against.pkg))
                sides = sides[round_no % 2:] + sides[:round_no % 2]  # each side first in every other round
            for suffix, python, cwd, pkg in sides:
                name = f"import-{kind.replace(' ', '-')}"
                url = (against.fresh_sqlite(name, flat) if against and cwd
                       else fresh_sqlite(args.workdir, name, reseller=flat))
                measure(f"import {kind}{suffix}", tenantctl(url, *paths, extra=extra, python=python, pkg=pkg), cwd=cwd)
                # the re-run: against the store just filled
                measure(f"re-run {kind}{suffix}", tenantctl(url, *paths, extra=extra, python=python, pkg=pkg), cwd=cwd)
            if args.pg and not flat:
                measure(f"postgres {kind}", tenantctl(fresh_pg(args.pg), *paths))
    results: dict[str, dict[str, Any]] = {
        name: {"seconds": round(median(t for t, _ in runs), 2), "peak_mb": round(max(m for _, m in runs), 1)}
        for name, runs in samples.items()}

    def ratio(a: str, b: str) -> float:  # the median of the rounds' ratios
        return median(x[0] / y[0] for x, y in zip(samples[a], samples[b], strict=True))

    ratios = {}
    for kind in inputs:
        ratios[f"import/baseline {kind}"] = (ratio(f"import {kind}", f"baseline {kind}"), 1.5)
        ratios[f"re-run/baseline {kind}"] = (ratio(f"re-run {kind}", f"baseline {kind}"), 1.0)
        if f"postgres {kind}" in samples:
            ratios[f"postgres/sqlite {kind}"] = (ratio(f"postgres {kind}", f"import {kind}"), 2.0)
    compared = {}  # --against: its ratios to the same baseline, and ours to its (no target: < 1 is faster)
    for kind in inputs if against else ():
        for step in ("import", "re-run"):
            compared[f"{step}/baseline {kind} (against)"] = ratio(f"{step} {kind} (against)", f"baseline {kind}")
            compared[f"{step} {kind}: this/against"] = ratio(f"{step} {kind}", f"{step} {kind} (against)")
    print(file=sys.stderr)
    for name, runs in split.items():
        results[name]["phases"] = dict(zip(("read", "check", "write"),
                                           (round(median(r[i] for r in runs), 2) for i in range(3)), strict=True))
    for name, r in results.items():
        parts = r.get("phases")
        shown = ("  read {read:.2f} / check {check:.2f} / write {write:.2f} s".format(**parts)) if parts else ""
        print(f"{name:24s} {r['seconds']:7.2f} s  {r['peak_mb']:7.1f} MB  (median of {args.repeat}){shown}",
              file=sys.stderr)
    peak = max(v["peak_mb"] for k, v in results.items() if not k.startswith("baseline") and not k.endswith("(against)"))
    print(file=sys.stderr)
    for name, (value, target) in ratios.items():
        print(f"{name:24s} {value:5.2f}x  target <= {target}x  {'ok' if value <= target else 'MISSED'}",
              file=sys.stderr)
    bound = memory_target(args.users)
    print(f"{'peak memory':24s} {peak:5.0f} MB target <= {bound} MB  {'ok' if peak <= bound else 'MISSED'}",
          file=sys.stderr)
    for name, value in compared.items():
        print(f"{name:34s} {value:5.2f}x", file=sys.stderr)
    report: dict[str, object] = {"results": results, "ratios": {k: round(v[0], 2) for k, v in ratios.items()},
                                 "peak_mb": peak, "peak_target_mb": bound, "tenants": args.tenants,
                                 "users": args.users}
    if against:
        report["against"] = {"folder": str(against.folder), "ratios": {k: round(v, 2) for k, v in compared.items()}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
