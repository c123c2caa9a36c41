"""Run a file or a document through the import engine: the one use case behind `import run`,
`apply` and their routes (POST /api/v1/imports, POST /api/v1/apply), whichever face calls it.

The face reads (the store never imports a reader: the CLI reads beside loading the store, the
server reads the spooled upload) and hands over what it read as a `FileImport` or a
`DocumentApply`, with how to open its transaction. `run()` plans and writes (or refuses) in that
transaction and, once it has ended, answers with the result or raises `Refused` with every
problem: a refused run is recorded, so the refusal must not roll its transaction back."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantctl.store.context import Ctx
from tenantctl.store.errors import InvalidInput

if TYPE_CHECKING:  # the engine loads on the first run, not when a face imports this module
    from tenantctl.store.desired import Desired
    from tenantctl.store.imports.plan import Options
    from tenantctl.store.imports.rows import Source
    from tenantctl.store.services.apply import ApplyOptions


class Refused(InvalidInput):
    """Nothing was written: the message, hint and details as the API answers them (`details`
    holds "problems" and "run", the recorded refusal or None for a dry run); `plan_notes` are the
    plan's notes, which a face prints before the problems."""

    def __init__(self, message: str, *, hint: str, details: dict[str, Any], plan_notes: list[str]) -> None:
        super().__init__(message, hint=hint, details=details)
        self.plan_notes = plan_notes

    @property
    def problems(self) -> list[dict[str, Any]]:
        return list((self.details or {})["problems"])

    @property
    def run(self) -> int | None:
        return (self.details or {}).get("run")


@dataclass
class Ran:
    data: dict[str, Any]  # the result, as `--json` prints it
    plan_notes: list[str] = field(default_factory=list)


@dataclass
class FileImport:
    """A spreadsheet read into the row contract (store/imports/rows.py), for `import run`."""

    source: Source
    digest: str
    name: str  # the file's name, as messages say it
    opts: Options
    read_seconds: float = 0.0
    rows: str = "all"  # which plan rows the result lists: all, or the changed ones
    rows_limit: int | None = None
    progress: Any = None
    status: Any = None

    def execute(self, ctx: Ctx) -> Ran | Refused:
        from tenantctl.store.imports import engine
        from tenantctl.store.services.import_links import send_initial_links

        outcome = engine.run(ctx, self.source, self.opts, digest=self.digest, progress=self.progress,
                             status=self.status, rows=self.rows, rows_limit=self.rows_limit, links=send_initial_links)
        read_notes, plan_notes = list(self.source.notes), list(outcome.plan.notes)
        if outcome.rejected:
            problems = outcome.plan.problems()
            said = f"run {outcome.rejected_run}" if outcome.rejected_run else "dry run"
            return Refused(f"{len(problems)} problem(s) in {self.name}; nothing was written ({said})",
                           hint="fix the rows and import again" + (", or skip_invalid to write the good rows"
                                                                   if outcome.skippable else
                                                                   " (skip_invalid cannot skip these)"),
                           details={"run": outcome.rejected_run, "problems": problems,
                                    "notes": [*read_notes, *plan_notes], "rows": outcome.rows,
                                    "total": len(outcome.plan.rows), "skippable": outcome.skippable,
                                    "read_notes": read_notes, "plan_notes": plan_notes},
                           plan_notes=plan_notes)
        result = outcome.result
        # how the file was read (skipped title rows, unread sheets, hidden rows …), then the plan's notes
        result["notes"] = [*read_notes, *result.get("notes", [])]
        result["timings"] = {"read": self.read_seconds, **outcome.timings}
        return Ran(result, plan_notes)


@dataclass
class DocumentApply:
    """A YAML/JSON document read into rows and desired state (importers/document.py), for `apply`."""

    source: Source
    desired: Desired
    digest: str
    name: str  # the document's name, as messages say it ("stdin" for -)
    opts: ApplyOptions
    rows_limit: int | None = None  # changes listed at most

    def execute(self, ctx: Ctx) -> Ran | Refused:
        from tenantctl.store.services import apply as service

        applied = service.apply(ctx, self.source, self.desired, digest=self.digest, opts=self.opts)
        if not applied.rejected:
            return Ran(service.result(applied, self.source, self.opts, self.rows_limit))
        problems = [{"path": self.source.where(p), "message": p["message"]} for p in applied.outcome.plan.problems()]
        run = applied.outcome.rejected_run
        said = f"run {run}" if run else "dry run"
        return Refused(f"{len(problems)} problem(s) in {self.name}; nothing was written ({said})",
                       hint="fix the document and apply again", details={"run": run, "problems": problems},
                       plan_notes=[])


def run(begin: Callable[[], AbstractContextManager[Ctx]], job: FileImport | DocumentApply) -> Ran:
    """Plan and write (or refuse) `job` in the transaction `begin()` opens; after it has ended
    (committed, with a refused run recorded), the result, or `Refused` raised."""
    with begin() as ctx:
        ran = job.execute(ctx)
    if isinstance(ran, Refused):
        raise ran
    return ran
