"""What `tenantctl import run` prints (both modes): the notes, the plan's table, the summary line,
the refusal with its problems, and the exit code."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tenantctl.cli import output
from tenantctl.cli.commands.import_marked import Marking, local_source, marked_copy
from tenantctl.store.errors import InvalidInput, PartialSuccess

# A plan of 100,000 rows is read with --json, not as a table. The dry-run shows more of it; a real
# run lists the first changes only (rendering a 200-row Rich table costs ~0.5 s).
TABLE_MAX = 200
TABLE_MAX_RUN = 25


def summary(counts: dict[str, int]) -> str:
    parts = []
    for kind in ("tenants", "users", "memberships"):
        bits = [f"{counts.get(f'{kind}_{a}', 0)} {w}" for a, w in (("create", "new"), ("update", "changed"),
                                                                     ("unchanged", "unchanged"), ("error", "bad"))
                if counts.get(f"{kind}_{a}")]
        if bits:
            parts.append(f"{kind}: " + ", ".join(bits))
    return "; ".join(parts) or "nothing"


def print_notes(read_notes: list[str], plan_notes: list[str], json: bool) -> None:
    """As the local run prints them: how the file was read (warnings), then the plan's (status)."""
    for note in read_notes:
        output.warn(note)
    if not json:
        for note in plan_notes:
            output.status(note)



def refuse(file: Path, source: Any, problems: list[dict[str, Any]], run_id: Any, notes: list[str], *,
             report: Path | None, json: bool, rows: list[dict[str, Any]], total: int, dry_run: bool,
             skippable: bool, reading: dict[str, Any] | None = None, marking: Marking | None = None) -> None:
    """Write the marked copy, show the plan and list the problems, and raise the refusal (exit 4).
    Both modes, the real run and the dry run alike (run_id None: the dry run's, rolled back)."""
    source = source or local_source(file, reading)
    copy = marked_copy(file, source, problems, report, marking)
    missing = missing_apps(problems)
    # apps the store lacks are said once, in the refusal; every row that books one (and the rows of
    # its tenant) keep saying so in the marked copy and in --json
    listed = [p for p in problems if not (missing and (_UNKNOWN_APP.match(p["message"])
                                                       or _TENANT_HAS_ERRORS.match(p["message"])))]
    if not json and listed:
        print_rows(rows, total, dry_run)
        out = output.stderr()
        for p in listed[:200]:
            out.print(output.Text(f"{source.where(p)}: {p['message']}"))
        if len(listed) > 200:
            out.print(output.Text(f"… and {len(listed) - 200} more (see {copy.where})"))
    run = f"run {run_id}" if run_id else "dry run"
    if missing:
        raise InvalidInput(f"these apps do not exist: {', '.join(missing)}; nothing was written from {file.name} "
                           f"({output.count(len(problems), 'problem')}; {run}; {copy.said})",
                           hint=f'create them first: tenantctl app create "{missing[0]}" (one per app), then import '
                                "again", details={"run": run_id, "report": copy.path, "problems": problems,
                                                  "notes": notes, "rows": rows, "missing_apps": missing})
    raise InvalidInput(f"{len(problems)} problem(s) in {file.name}; nothing was written ({run}; {copy.said})",
                       hint="fix the rows and import again" + (", or --skip-invalid to write the good rows"
                                                               if skippable else " (--skip-invalid cannot skip these)"),
                       details={"run": run_id, "report": copy.path, "problems": problems, "notes": notes,
                                "rows": rows})


_UNKNOWN_APP = re.compile(r"^unknown application '(.+)' \(see tenantctl app list\)$")
_TENANT_HAS_ERRORS = re.compile(r"^its tenant \(row \d+\) has errors$")


def missing_apps(problems: list[dict[str, Any]]) -> list[str]:
    """The apps the file books that the store does not have, each once, in file order."""
    return list(dict.fromkeys(m.group(1) for p in problems if (m := _UNKNOWN_APP.match(p["message"]))))


def finish(file: Path, started: float, result: dict[str, Any], source: Any, *, dry_run: bool, skip_invalid: bool,
            report: Path | None, json: bool, reading: dict[str, Any] | None = None, verbose: bool = False,
            marking: Marking | None = None) -> None:
    """Print the result (both modes): the plan or the changes, the summary line, the exit code."""
    timings = result["timings"]
    elapsed = time.monotonic() - started
    counts = result["counts"]
    rows = sum(v for k, v in counts.items() if k != "problems")
    result["seconds"] = round(elapsed, 2)
    if not json:
        print_rows(result["rows"], rows if dry_run else rows - counts["tenants_unchanged"] - counts["users_unchanged"],
                    dry_run)
        for p in result["problems"]:
            if not p["row"]:  # a problem of the whole file or sheet: no row of the table shows it
                output.warn(f"{p['sheet']}: " + (f"column {p['column']}: " if p["column"] else "") + p["message"])
    else:
        output.emit_json({"data": result})
    verb = "would import" if dry_run else "imported"
    speed = (f" in {elapsed:.1f} s ({rows / max(elapsed, 1e-6):,.0f} rows/s; read {timings['read']} s, "
             f"check {timings['plan']} s, write {timings['write']} s)") if verbose else ""
    output.status(f"{verb} {file.name}: {summary(result['counts'])} — {output.count(rows, 'row')}{speed}"
                  + (f"; run {result['run']}" if result["run"] else ""))
    if result.get("links_queued"):
        output.status(f"queued {output.count(result['links_queued'], 'password link')}")
    if result["skipped"]:  # --skip-invalid (else the run was refused): the dry run says the same
        copy = marked_copy(file, source or local_source(file, reading), result["problems"], report, marking)
        see = f"see tenantctl import show {result['run']}" if result["run"] else "the real run would skip them"
        output.warn(f"{'WOULD SKIP' if dry_run else 'SKIPPED'} {result['skipped']} invalid rows (--skip-invalid); "
                    f"{copy.said}; {see}")
        raise PartialSuccess(f"{result['skipped']} invalid rows {'would be' if dry_run else 'were'} skipped",
                             hint=f"tenantctl import show {result['run']}" if result["run"] else
                             "fix the rows marked error in the marked copy")


def print_rows(shown: list[dict[str, Any]], total: int, dry_run: bool) -> None:
    """The plan's table (at most TABLE_MAX rows, errors first; cli/plan_table.py fits it to the
    terminal) and how many more there are."""
    if shown:
        from tenantctl.cli.plan_table import render

        render(output.stdout(), shown, title="plan (dry-run: nothing written)" if dry_run else None)
    if total > len(shown):
        output.status(f"… and {total - len(shown):,} more rows (all of them with --json)")
