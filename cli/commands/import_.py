"""`tenantctl import`: template, run (with dry-run), list, show, undo.

The commands and their options are here; a run's two ways (local, remote) are in import_run.py,
what it prints in import_output.py, the marked copy in import_marked.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import backend, completion, options, output, runtime
from tenantctl.cli.commands import import_run
from tenantctl.cli.commands.import_marked import Marking
from tenantctl.cli.commands.import_output import TABLE_MAX, TABLE_MAX_RUN, summary
from tenantctl.store import verbs
from tenantctl.store.errors import InvalidInput, UsageError

app = typer.Typer(help="Spreadsheet migration: template, validated all-or-nothing import, runs, undo.",
                  no_args_is_help=True)

RUN_COLUMNS = [("run", "id"), ("file", "file"), ("actor", "actor"), ("mode", "mode"), ("state", "state"),
               ("started", "started_at"), ("counts", "summary")]
RUNS = output.Listing(tuple(RUN_COLUMNS), key="id",
                      wide=(("finished", "finished_at"), ("file hash", "file_hash")))


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
                                       "the input, NAME-problems.xlsx for an English file; a csv input with "
                                       "--report NAME.csv: a csv)."),
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
        import_run.run_remote(file, started, query, how, report=report, json=json, verbose=verbose,
                              marking=Marking(force, lang, encoding))
        return
    opts = {"mode": mode, "skip_invalid": skip_invalid, "dry_run": dry_run, "reseller": reseller,
            "send_links": send_links}
    import_run.run_local(file, started, how, opts, report=report, json=json, verbose=verbose,
                         marking=Marking(force, lang, encoding))


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
        i["summary"] = summary(i["counts"])
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
                                     "counts": summary(d["counts"])}))
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
