"""run(), the one entry of an import: plan a Source, refuse or write it, queue password links. Whoever
reads the rows (a workbook, a YAML/JSON document, an HTTP upload) calls this and shows the outcome;
the policy lives here, not in the faces. The engine sits below the services: the password links of
the users a run created are queued by the sender its caller passes (`links`,
store/services/import_links.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tenantctl.store.context import Ctx
from tenantctl.store.imports.plan import Options, Plan, Progress
from tenantctl.store.imports.planning import build_plan
from tenantctl.store.imports.rows import Source
from tenantctl.store.imports.runs import record_rejected
from tenantctl.store.imports.write import execute, rows_out
from tenantctl.store.rehearsal import rehearsed

# Queues the initial password links of the users a run created (their ids); returns how many.
LinkSender = Callable[[Ctx, list[int]], int]


@dataclass
class Outcome:
    plan: Plan
    refused: bool = False             # a row or the file has a problem: nothing was written
    rejected_run: int | None = None   # the recorded refusal (None in a dry run: rolled back too)
    result: dict[str, Any] = field(default_factory=dict)  # the written (or dry-run) result
    timings: dict[str, float] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # a refused run's plan, its error rows first

    @property
    def rejected(self) -> bool:
        return self.refused

    @property
    def skippable(self) -> bool:
        """Would --skip-invalid write the good rows? Not with a problem of the file or of a row that
        is no record (a totals row): the hint must not send the user into a second refusal."""
        return not self.plan.file_problems

    def rolled_back(self) -> None:
        """What a dry run reports of the run it rolled back: no run, nothing recorded."""
        self.rejected_run = None
        if self.result:
            self.result.update(run=None, dry_run=True, state="dry-run")


def run(ctx: Ctx, source: Source, opts: Options, *, digest: str, progress: Progress | None = None,
        status: Callable[[str], None] | None = None, rows: str = "all", rows_limit: int | None = None,
        links: LinkSender | None = None) -> Outcome:
    """Plan every row; refuse the whole source when a row has a problem (unless --skip-invalid;
    never for file-level problems), else write it in the caller's transaction. A refusal is
    recorded as a run (the caller commits it) and written nothing else. A dry run is this very
    run, rolled back (store/rehearsal.py). With opts.send_links, `links` queues the new users'
    password links."""
    if opts.send_links and links is None:  # a caller's bug: said before anything is planned
        raise TypeError("engine.run: opts.send_links needs links= (store/services/import_links.py)")
    with rehearsed(ctx, opts.dry_run):
        outcome = _run(ctx, source, replace(opts, dry_run=False), digest=digest, progress=progress,
                       status=status, rows=rows, rows_limit=rows_limit, checking=opts.dry_run, links=links)
    if opts.dry_run:
        outcome.rolled_back()
    return outcome


def _run(ctx: Ctx, source: Source, opts: Options, *, digest: str, progress: Progress | None,
         status: Callable[[str], None] | None, rows: str, rows_limit: int | None, checking: bool,
         links: LinkSender | None) -> Outcome:
    mark = time.monotonic()
    plan = build_plan(ctx, source, opts, progress)
    timings = {"plan": round(time.monotonic() - mark, 2)}
    mark = time.monotonic()
    for table in source.tables.values():
        table.free()  # the plan holds what is needed: the rows' memory is freed before writing
    if plan.has_errors and (not opts.skip_invalid or plan.file_problems):
        run_id = record_rejected(ctx, plan, source=source, digest=digest, opts=opts)
        ctx.committed = ""  # the refusal's record only
        return Outcome(plan, refused=True, rejected_run=run_id, timings=timings,
                       rows=rows_out(plan, rows, rows_limit))
    changing = sum(1 for r in plan.rows if r.action in {"create", "update"})
    if status is not None and changing:  # all unchanged: the summary says so, nothing is checked or written
        which = f"{changing} new or changed row{'s' if changing != 1 else ''} of {len(plan.rows)}"
        status(f"checking {which} against the store…" if checking else f"writing {which}…")
    result = execute(ctx, plan, source=source, digest=digest, opts=opts, progress=progress, rows=rows,
                     rows_limit=rows_limit)
    created = result.pop("created_user_ids")
    if opts.send_links and created and links is not None:  # run() refused send_links without links
        result["links_queued"] = links(ctx, list(created))
    timings["write"] = round(time.monotonic() - mark, 2)
    if result["state"] == "done":
        ctx.committed = f"run {result['run']} (undo: tenantctl import undo {result['run']})"
    elif result["state"] == "unchanged":
        ctx.committed = ""
    return Outcome(plan, result=result, timings=timings)
