"""`tenantctl import`: template, run (with dry-run), list, show, undo."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import backend, completion, options, output, runtime
from tenantctl.store import verbs
from tenantctl.store.errors import InvalidInput, PartialSuccess, UsageError

app = typer.Typer(help="Spreadsheet migration: template, validated all-or-nothing import, runs, undo.",
                  no_args_is_help=True)

# A plan of 100,000 rows is read with --json, not as a table. The dry-run shows more of it; a real
# run lists the first changes only (rendering a 200-row Rich table costs ~0.5 s).
TABLE_MAX = 200
TABLE_MAX_RUN = 25
RUN_COLUMNS = [("run", "id"), ("file", "file"), ("actor", "actor"), ("mode", "mode"), ("state", "state"),
               ("started", "started_at"), ("counts", "summary")]
RUNS = output.Listing(tuple(RUN_COLUMNS), key="id",
                      wide=(("finished", "finished_at"), ("file hash", "file_hash")))


def _summary(counts: dict[str, int]) -> str:
    parts = []
    for kind in ("tenants", "users", "memberships"):
        bits = [f"{counts.get(f'{kind}_{a}', 0)} {w}" for a, w in (("create", "new"), ("update", "changed"),
                                                                     ("unchanged", "unchanged"), ("error", "bad"))
                if counts.get(f"{kind}_{a}")]
        if bits:
            parts.append(f"{kind}: " + ", ".join(bits))
    return "; ".join(parts) or "nothing"


class _Progress:
    """A Rich progress bar with rows per second, on stderr, only on a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None
        if sys.stderr.isatty() and not output.state.JSON_MODE:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            class _Rate(TextColumn):
                def render(self, task: Any) -> Any:
                    from tenantctl.cli.output import Text

                    speed = task.speed or 0
                    return Text(f"{speed:,.0f} rows/s" if speed else "")

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                _Rate(""), TimeElapsedColumn(), console=output.stderr(), transient=True)
            self.bar.start()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if self.task is None or self.bar.tasks[self.task].description != phase:
            self.task = self.bar.add_task(phase, total=total)
        self.bar.update(self.task, completed=done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command("template")
def template(file: Path = typer.Argument(..., help="Where to write the .xlsx template."),
             force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
             json: bool = options.JSON) -> None:
    """Write the workbook resellers fill in: Mandanten and Benutzer sheets, drop-downs, instructions.

    Example: tenantctl import template kunden.xlsx
    """
    from tenantctl.importers.write import write_template

    runtime.operator_only("import template")
    if file.suffix.lower() != ".xlsx":
        raise InvalidInput(f"the template is an .xlsx workbook, not {file.suffix or 'no suffix'}",
                           hint="name it e.g. kunden.xlsx")
    write_template(file, force=force)
    output.status(f"wrote the template to {file}")
    output.show({"file": str(file)}, lambda c, d: None, json_mode=json)


@app.command("run")
def run(
    file: Path = typer.Argument(..., help="The .xlsx or .csv file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and print the plan; write nothing."),
    mode: str = typer.Option("upsert", "--mode", help="upsert (create or update) or create (refuse existing rows)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Write the good rows, skip the bad ones."),
    report: Path | None = typer.Option(None, "--report", help="The marked copy (default: NAME-fehler.xlsx next to "
                                       "the input; a csv input with --report NAME.csv: a csv)."),
    lang: str | None = typer.Option(None, "--lang", help="Language of the marked copy: de or en (default: the "
                                    "language of the file's headers)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing marked copy."),
    send_links: bool = typer.Option(False, "--send-links", help="Queue password links for the users this run creates."),
    reseller: str | None = typer.Option(None, "--reseller", help="Reseller of customer rows without one.",
                                        autocompletion=completion.tenant_keys),
    sheet: str | None = typer.Option(None, "--sheet", help="Only this sheet (csv: tenants or users)."),
    maps: list[str] | None = typer.Option(None, "--map", help='Map a header to a field: "Spalte=field".'),
    encoding: str | None = typer.Option(None, "--encoding",
                                        help="Force the csv encoding (utf-8, cp1252, mac_roman, utf-16)."),
    header_row: int | None = typer.Option(None, "--header-row", help="The header's row number, as Excel shows it."),
    layout: str = typer.Option("auto", "--layout",
                               help="auto, flat (one row per person, the company on each row) or tables."),
    trust_names: bool = typer.Option(False, "--trust-names",
                                     help="Take names as written: no check for broken characters ('?', Mac Roman)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also the time of each phase and rows/s."),
    json: bool = options.JSON,
) -> None:
    """Import tenants and users from a workbook: everything is checked first; nothing is written
    unless every row is good (or --skip-invalid). Re-running the same file changes nothing.

    Example: tenantctl import run kunden.xlsx --dry-run
    """
    if mode not in {"upsert", "create"}:
        raise InvalidInput(f"--mode {mode!r} is not upsert or create", hint="use --mode upsert or --mode create")
    if lang is not None and lang not in {"de", "en"}:
        raise UsageError(f"--lang {lang!r} is not de or en", hint="use --lang de or --lang en")
    started = time.monotonic()
    how = {"sheet": sheet, "maps": maps, "encoding": encoding, "header_row": header_row, "layout": layout,
           "trust_names": trust_names}
    if backend.remote():
        query = {"filename": file.name, "dry_run": dry_run, "mode": mode, "skip_invalid": skip_invalid,
                 "send_links": send_links, "reseller": reseller, "sheet": sheet, "map": maps or [],
                 "encoding": encoding, "header_row": header_row, "layout": layout, "trust_names": trust_names,
                 "rows": "all" if json or dry_run else "changed",
                 "rows_limit": None if json else TABLE_MAX if dry_run else TABLE_MAX_RUN}
        _run_remote(file, started, query, how, report=report, json=json, verbose=verbose,
                    marking=_Marking(force, lang, encoding))
        return
    import threading

    from tenantctl.cli.process import import_process
    from tenantctl.importers import read as reader
    from tenantctl.importers.background import Background

    conf = runtime.settings()
    with import_process():  # one malloc arena, no cyclic GC: see cli/process.py
        scanned = threading.Event()
        reading = Background(_read, reader, file, sheet, maps, encoding, int(conf.import_max_mb), header_row, layout,
                             scanned, trust_names)
        # The sheet scans hold the GIL, python-calamine's parse does not: the store's modules load
        # beside the parse, not beside the scans. Beside them, every read and inflate of the scan
        # handed the GIL over for up to 5 ms (0.22 s alone, 1.27 s beside a busy thread, measured).
        scanned.wait()
        from tenantctl.store.imports import engine

        opts = engine.Options(mode=mode, skip_invalid=skip_invalid, dry_run=dry_run, reseller=reseller,
                              send_links=send_links)
        _run(file, started, reading, opts, report=report, json=json, verbose=verbose,
             marking=_Marking(force, lang, encoding))


def _read(reader: Any, file: Path, sheet: str | None, maps: list[str] | None, encoding: str | None,
          max_mb: int, header_row: int | None, layout: str, scanned: Any, trust_names: bool = False
          ) -> tuple[Any, str]:
    """(the loaded file, its hash): the background thread's part of reading. `scanned` is set once
    only work without the GIL is left, or when reading ends (an error included)."""
    try:
        return (reader.load(file, sheet=sheet, maps=maps, encoding=encoding, max_mb=max_mb, header_row=header_row,
                            layout=layout, trust_names=trust_names, on_scanned=scanned.set),
                reader.file_hash(file))
    finally:
        scanned.set()


def _run(file: Path, started: float, reading: Any, opts: Any, *, report: Path | None, json: bool,
         verbose: bool = False, marking: _Marking | None = None) -> None:
    """Hand the file read to the engine (store/services/ingest.py), write the marked copy and print."""
    from tenantctl.store.services import ingest

    dry_run = opts.dry_run
    loaded, digest = reading.result()  # handed over: `del loaded` below frees the parsed workbook
    source = loaded.source()
    del loaded
    read_s = round(time.monotonic() - started, 2)  # seconds per phase, in the result
    for note in source.notes:
        output.warn(note)
    job = ingest.FileImport(source, digest, file.name, opts, read_s, rows="all" if json or dry_run else "changed",
                            rows_limit=None if json else TABLE_MAX if dry_run else TABLE_MAX_RUN,
                            progress=_Progress(), status=output.status)
    refused: ingest.Refused | None = None
    try:
        ran = ingest.run(runtime.command, job)
    except ingest.Refused as exc:
        refused = exc
    finally:
        job.progress.stop()
    _print_notes([], refused.plan_notes if refused else ran.plan_notes, json)
    if refused is not None:
        d = refused.details or {}
        _refused(file, source, refused.problems, refused.run, d["notes"], report=report, json=json, rows=d["rows"],
                 total=d["total"], dry_run=dry_run, skippable=d["skippable"], marking=marking)
    _finish(file, started, ran.data, source, dry_run=dry_run, skip_invalid=opts.skip_invalid, report=report,
            json=json, verbose=verbose, marking=marking)


def _run_remote(file: Path, started: float, query: dict[str, Any], reading: dict[str, Any], *,
                report: Path | None, json: bool, verbose: bool = False, marking: _Marking | None = None) -> None:
    """Upload the file; the server reads, checks and writes it with the same engine and answers
    with the same result. A marked copy is written here, next to the file, from the problems the
    server lists (the file is read again only then)."""
    from tenantctl.cli import remote
    from tenantctl.importers.safety import check_size

    check_size(file, max_mb=1 << 30)  # missing, empty, not a file: said here; the size limit is the server's
    try:
        fh = file.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", hint="check the path") from None
    try:
        with fh:
            payload = remote.client().send(verbs.IMPORT_RUN, query=query, content=fh,
                                           headers={"Content-Type": "application/octet-stream"})
    except InvalidInput as exc:
        details = exc.details or {}
        if "problems" in details and "run" in details:  # a refused run (a dry run's has no run id)
            _print_notes(details.pop("read_notes", []), details.pop("plan_notes", []), json)
            _refused(file, None, details["problems"], details["run"], details.get("notes", []), report=report,
                     json=json, reading=reading, rows=details.get("rows") or [], total=details.get("total", 0),
                     dry_run=bool(query["dry_run"]), skippable=details.get("skippable", True), marking=marking)
        raise
    result = payload["data"]
    _print_notes(result.pop("read_notes", []), result.pop("plan_notes", []), json)
    _finish(file, started, result, None, dry_run=bool(query["dry_run"]), skip_invalid=bool(query["skip_invalid"]),
            report=report, json=json, reading=reading, verbose=verbose, marking=marking)


def _print_notes(read_notes: list[str], plan_notes: list[str], json: bool) -> None:
    """As the local run prints them: how the file was read (warnings), then the plan's (status)."""
    for note in read_notes:
        output.warn(note)
    if not json:
        for note in plan_notes:
            output.status(note)


def _local_source(file: Path, reading: dict[str, Any] | None) -> Any:
    """The file read here again (remote mode): the marked copy is made from its cells."""
    from tenantctl.importers import read as reader

    return reader.load(file, max_mb=1 << 30, **(reading or {})).source()


def _refused(file: Path, source: Any, problems: list[dict[str, Any]], run_id: Any, notes: list[str], *,
             report: Path | None, json: bool, rows: list[dict[str, Any]], total: int, dry_run: bool,
             skippable: bool, reading: dict[str, Any] | None = None, marking: _Marking | None = None) -> None:
    """Write the marked copy, show the plan and list the problems, and raise the refusal (exit 4).
    Both modes, the real run and the dry run alike (run_id None: the dry run's, rolled back)."""
    source = source or _local_source(file, reading)
    target = report or file.with_name(f"{file.stem}-fehler.xlsx")
    copy = _marked_copy(file, source, problems, target, marking)
    missing = _missing_apps(problems)
    # apps the store lacks are said once, in the refusal; every row that books one (and the rows of
    # its tenant) keep saying so in the marked copy and in --json
    listed = [p for p in problems if not (missing and (_UNKNOWN_APP.match(p["message"])
                                                       or _TENANT_HAS_ERRORS.match(p["message"])))]
    if not json and listed:
        _print_rows(rows, total, dry_run)
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


def _missing_apps(problems: list[dict[str, Any]]) -> list[str]:
    """The apps the file books that the store does not have, each once, in file order."""
    return list(dict.fromkeys(m.group(1) for p in problems if (m := _UNKNOWN_APP.match(p["message"]))))


def _finish(file: Path, started: float, result: dict[str, Any], source: Any, *, dry_run: bool, skip_invalid: bool,
            report: Path | None, json: bool, reading: dict[str, Any] | None = None, verbose: bool = False,
            marking: _Marking | None = None) -> None:
    """Print the result (both modes): the plan or the changes, the summary line, the exit code."""
    timings = result["timings"]
    elapsed = time.monotonic() - started
    counts = result["counts"]
    rows = sum(v for k, v in counts.items() if k != "problems")
    result["seconds"] = round(elapsed, 2)
    if not json:
        _print_rows(result["rows"], rows if dry_run else rows - counts["tenants_unchanged"] - counts["users_unchanged"],
                    dry_run)
        for p in result["problems"]:
            if not p["row"]:  # a problem of the whole file or sheet: no row of the table shows it
                output.warn(f"{p['sheet']}: " + (f"column {p['column']}: " if p["column"] else "") + p["message"])
    else:
        output.emit_json({"data": result})
    verb = "would import" if dry_run else "imported"
    speed = (f" in {elapsed:.1f} s ({rows / max(elapsed, 1e-6):,.0f} rows/s; read {timings['read']} s, "
             f"check {timings['plan']} s, write {timings['write']} s)") if verbose else ""
    output.status(f"{verb} {file.name}: {_summary(result['counts'])} — {output.count(rows, 'row')}{speed}"
                  + (f"; run {result['run']}" if result["run"] else ""))
    if result.get("links_queued"):
        output.status(f"queued {output.count(result['links_queued'], 'password link')}")
    if result["skipped"]:  # --skip-invalid (else the run was refused): the dry run says the same
        target = report or file.with_name(f"{file.stem}-fehler.xlsx")
        copy = _marked_copy(file, source or _local_source(file, reading), result["problems"], target, marking)
        see = f"see tenantctl import show {result['run']}" if result["run"] else "the real run would skip them"
        output.warn(f"{'WOULD SKIP' if dry_run else 'SKIPPED'} {result['skipped']} invalid rows (--skip-invalid); "
                    f"{copy.said}; {see}")
        raise PartialSuccess(f"{result['skipped']} invalid rows {'would be' if dry_run else 'were'} skipped",
                             hint=f"tenantctl import show {result['run']}" if result["run"] else
                             "fix the rows marked error in the marked copy")


def _print_rows(shown: list[dict[str, Any]], total: int, dry_run: bool) -> None:
    """The plan's table (at most TABLE_MAX rows, errors first; cli/plan_table.py fits it to the
    terminal) and how many more there are."""
    if shown:
        from tenantctl.cli.plan_table import render

        render(output.stdout(), shown, title="plan (dry-run: nothing written)" if dry_run else None)
    if total > len(shown):
        output.status(f"… and {total - len(shown):,} more rows (all of them with --json)")


@dataclass
class _Copy:
    path: str | None  # where the marked copy was written, None when it could not be
    said: str         # how the status line and the error describe it

    @property
    def where(self) -> str:
        return self.path or "--json for all of them"


@dataclass
class _Marking:
    """How the marked copy is written: replace an existing one?, its language, the csv's encoding."""

    force: bool = False
    lang: str | None = None
    encoding: str | None = None


def _marked_copy(file: Path, source: Any, problems: list[dict[str, Any]], target: Path,
                 marking: _Marking | None) -> _Copy:
    """Write the marked copy; a folder that is read-only (or gone) must not hide the problems."""
    from tenantctl.importers.marked import write_report

    how = marking or _Marking()
    try:
        write_report(file, source.file_type, source.tables, problems, target, lang=how.lang, encoding=how.encoding,
                     force=how.force)
    except InvalidInput as exc:
        replace = " (--force replaces it)" if "--force" in (exc.hint or "") else ""
        return _Copy(None, f"no marked copy: {exc.message}{replace}")
    return _Copy(str(target), f"marked copy: {target}")


@app.command("list")
def list_(limit: int = options.LIMIT, offset: int = options.OFFSET, fmt: str | None = options.OUTPUT,
          quiet: bool = options.QUIET, json: bool = options.JSON) -> None:
    """List import runs, newest first.

    Example: tenantctl import list --limit 10
    """
    def local(ctx: Any) -> backend.Result:
        from tenantctl.store.imports import runs

        items, total = runs.list_runs(ctx, options.limit_or_none(limit), offset)
        return backend.Result(items, total, options.limit_or_none(limit), offset)

    res = backend.call(verbs.IMPORT_LIST, local, query={"limit": limit, "offset": offset})
    for i in res.data:
        i["summary"] = _summary(i["counts"])
    output.show_list(res, RUNS, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(run_id: int = typer.Argument(..., metavar="RUN", max=options.MAX_INT, help="Run number (see import list)."),
         json: bool = options.JSON) -> None:
    """Show one import run: file and hash, actor, mode, counts, problems, what it created and changed.

    Example: tenantctl import show 3
    """
    def local(ctx: Any) -> Any:
        from tenantctl.store.imports import runs

        return runs.show_run(ctx, run_id)

    data = backend.call(verbs.IMPORT_SHOW, local, {"run_id": run_id}).data

    def render(console: Any, d: dict[str, Any]) -> None:
        console.print(output.record({**{k: v for k, v in d.items() if k not in {"problems", "updated", "counts"}},
                                     "counts": _summary(d["counts"])}))
        if d["problems"]:
            console.print(output.table(d["problems"], [("sheet", "sheet"), ("row", "row"), ("column", "column"),
                                                       ("problem", "message")], title="problems"))
        if d["updated"]:
            console.print(output.table(d["updated"], [("type", "type"), ("id", "id"), ("before", "before"),
                                                      ("after", "after")], title="changed"))

    output.show(data, render, json_mode=json)


# how `import undo` names what it removes (the JSON keeps the keys: users_removed …)
UNDONE = {"access_rights_removed": ("access right", None), "memberships_removed": ("membership", None),
          "tenant_applications_removed": ("app booking", None), "users_removed": ("user", None),
          "connections_removed": ("connection", None), "tenants_removed": ("tenant", None)}


def _undone(counts: dict[str, int], links_sent: int, *, done: bool) -> str:
    """ "remove 2 tenants, 9 users; restore 1 changed object; 3 password link mails already went
    out and those links stop working" (done: "removed …", "no longer work")."""
    removed = [output.count(n, *UNDONE[k]) for k, n in counts.items() if k in UNDONE and n]
    verb = ("removed", "restored", "put back") if done else ("remove", "restore", "put back")
    said = [f"{verb[0]} {', '.join(removed) if removed else 'nothing'}"]
    if counts.get("restored"):
        said.append(f"{verb[1]} {output.count(counts['restored'], 'changed object')}")
    if counts.get("put_back"):
        said.append(f"{verb[2]} {output.count(counts['put_back'], 'pruned object')}")
    if links_sent:
        one = links_sent == 1
        fate = ("no longer work" if done else "stop working") if not one else \
            ("no longer works" if done else "stops working")
        said.append(f"{output.count(links_sent, 'password link mail')} already went out and "
                    f"{'that link' if one else 'those links'} {fate}")
    return "; ".join(said)


@app.command("undo")
def undo(run_id: int = typer.Argument(..., metavar="RUN", max=options.MAX_INT),
         dry_run: bool = typer.Option(False, "--dry-run",
                                      help="Show what would be removed and restored; change nothing."),
         yes: bool = options.YES, json: bool = options.JSON) -> None:
    """Undo an import run: remove what it created, restore what it changed (refused where later
    changes would be lost). Password links already mailed to the users it removes stop working.

    Example: tenantctl import undo 3 --dry-run
    """
    def local(dry: bool) -> Any:
        from tenantctl.store.imports import runs

        return lambda ctx: runs.undo_run(ctx, run_id, dry_run=dry)

    def attempt(dry: bool) -> dict[str, Any]:
        return dict(backend.call(verbs.IMPORT_UNDO, local(dry), {"run_id": run_id}, query={"dry_run": dry},
                                 write=not dry).data)

    if dry_run or not yes:
        preview = attempt(True)  # refused here already where later changes would be lost
        what = _undone(preview["undone"], preview.get("links_sent") or 0, done=False)
        if dry_run:
            output.status(f"dry run: undoing import run {run_id} would {what}; nothing changed")
            output.show(preview, _render_undo, json_mode=json)
            return
        runtime.confirm(f"Undo import run {run_id}: {what}?", yes)
    data = attempt(False)
    output.status(f"undid import run {run_id}: {_undone(data['undone'], data.get('links_sent') or 0, done=True)}")
    output.show(data, _render_undo, json_mode=json)


def _render_undo(console: Any, d: dict[str, Any]) -> None:
    console.print(output.record({k: v for k, v in d.items() if k not in {"counts", "undone", "dry_run"}}))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="import")
