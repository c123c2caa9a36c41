"""`tenantctl import run`'s two ways: read the file here (in the background, beside the store's
start) and hand it to the engine (store/services/ingest.py), or upload it to the server (remote mode)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from tenantctl.cli import output, runtime
from tenantctl.cli.commands.import_marked import Marking
from tenantctl.cli.commands.import_output import TABLE_MAX, TABLE_MAX_RUN, finish, print_notes, refuse
from tenantctl.store import verbs
from tenantctl.store.errors import InvalidInput


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


def run_local(file: Path, started: float, how: dict[str, Any], opts: dict[str, Any], *, report: Path | None,
              json: bool, verbose: bool, marking: Marking) -> None:
    """Read the file in a background thread while the store loads, then run it through the engine.
    how: the reading options (sheet, maps, encoding, header_row, layout, trust_names); opts: the
    engine's Options."""
    import threading

    from tenantctl.cli.process import import_process
    from tenantctl.importers import read as reader
    from tenantctl.importers.background import Background

    conf = runtime.settings()
    with import_process():  # one malloc arena, no cyclic GC: see cli/process.py
        scanned = threading.Event()
        reading = Background(_read, reader, file, how["sheet"], how["maps"], how["encoding"], int(conf.import_max_mb),
                             how["header_row"], how["layout"], scanned, how["trust_names"])
        # The sheet scans hold the GIL, python-calamine's parse does not: the store's modules load
        # beside the parse, not beside the scans. Beside them, every read and inflate of the scan
        # handed the GIL over for up to 5 ms (0.22 s alone, 1.27 s beside a busy thread, measured).
        scanned.wait()
        from tenantctl.store.imports import engine

        _run(file, started, reading, engine.Options(**opts), report=report, json=json, verbose=verbose,
             marking=marking)


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
         verbose: bool = False, marking: Marking | None = None) -> None:
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
    print_notes([], refused.plan_notes if refused else ran.plan_notes, json)
    if refused is not None:
        d = refused.details or {}
        refuse(file, source, refused.problems, refused.run, d["notes"], report=report, json=json, rows=d["rows"],
                 total=d["total"], dry_run=dry_run, skippable=d["skippable"], marking=marking)
    finish(file, started, ran.data, source, dry_run=dry_run, skip_invalid=opts.skip_invalid, report=report,
            json=json, verbose=verbose, marking=marking)


def run_remote(file: Path, started: float, query: dict[str, Any], reading: dict[str, Any], *,
                report: Path | None, json: bool, verbose: bool = False, marking: Marking | None = None) -> None:
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
            print_notes(details.pop("read_notes", []), details.pop("plan_notes", []), json)
            refuse(file, None, details["problems"], details["run"], details.get("notes", []), report=report,
                     json=json, reading=reading, rows=details.get("rows") or [], total=details.get("total", 0),
                     dry_run=bool(query["dry_run"]), skippable=details.get("skippable", True), marking=marking)
        raise
    result = payload["data"]
    print_notes(result.pop("read_notes", []), result.pop("plan_notes", []), json)
    finish(file, started, result, None, dry_run=bool(query["dry_run"]), skip_invalid=bool(query["skip_invalid"]),
            report=report, json=json, reading=reading, verbose=verbose, marking=marking)

