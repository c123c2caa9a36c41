"""One import of a read file, for both faces (the CLI's `import run` and POST /api/v1/imports):
plan, then either record the refusal or write (or, dry-run, only check), then queue the links."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from store.context import Ctx
from store.errors import InvalidInput


def run_file(ctx: Ctx, source: Any, *, path: Path, digest: str, opts: Any, progress: Any = None,
             rows: str = "all", rows_limit: int | None = None,
             on_write: Any = None) -> dict[str, Any]:
    """The result of the run, or {"rejected": run id, "problems": […]} when the file is refused
    (the refusal is recorded; the caller commits, then raises `rejected_error`)."""
    from store.services import imports

    mark = time.monotonic()
    plan = imports.build_plan(ctx, source, opts, progress)
    timings = {"plan": round(time.monotonic() - mark, 2)}
    mark = time.monotonic()
    for table in source.tables.values():
        table.rows.clear()  # the plan holds what is needed; free the memory before writing
    if plan.has_errors and (not opts.skip_invalid or plan.file_problems) and not opts.dry_run:
        run_id = imports.record_rejected(ctx, plan, path=path, digest=digest, opts=opts)
        return {"rejected": run_id, "problems": plan.problems()}
    if on_write is not None:
        on_write(sum(1 for r in plan.rows if r.action in {"create", "update"}))
    result = imports.execute(ctx, plan, path=path, digest=digest, opts=opts, progress=progress, rows=rows,
                             rows_limit=rows_limit)
    created = result.pop("created_user_ids", None)
    if opts.send_links and not opts.dry_run and created:
        result["links_queued"] = _send_links(ctx, created)
    timings["write"] = round(time.monotonic() - mark, 2)
    result["timings"] = timings
    return result


def rejected_error(name: str, rejected: dict[str, Any]) -> InvalidInput:
    problems = rejected["problems"]
    return InvalidInput(f"{len(problems)} problem(s) in {name}; nothing was written (run {rejected['rejected']})",
                        hint="fix the rows and import again, or --skip-invalid to write the good rows",
                        details={"run": rejected["rejected"], "problems": problems})


def _send_links(ctx: Ctx, user_ids: list[int]) -> int:
    from sqlmodel import col, select

    from store.models import User
    from store.services import passwords

    users = list(ctx.session.exec(select(User).where(col(User.id).in_(user_ids))).all())
    return len(passwords.issue_links(ctx, users, purpose="initial", deliver=True))
