"""`tenantctl apply -f FILE|-`: desired state from YAML or JSON, with a plan (`--dry-run`)."""

from __future__ import annotations

import json as jsonlib
import sys
from typing import Any

import typer

from tenantctl.cli import options, output, runtime
from tenantctl.store import verbs
from tenantctl.store.errors import InvalidInput, UsageError

SIGN = {"created": "+", "updated": "~", "deleted": "-"}
PLAN_MAX = 200  # plan lines printed; --json has all of them


def _plan_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for c in data["changes"]:
        what = f"{SIGN[c['action']]} {c['type']} {c['key'] or '(new)'}  {c['path']}"
        if c["action"] == "updated" and c["changes"]:
            what += ": " + ", ".join(f"{k} {_v(v[0])} → {_v(v[1])}" for k, v in c["changes"].items())
        lines.append(what)
    return lines


def _v(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def _summary(counts: dict[str, dict[str, int]]) -> str:
    parts = []
    for kind, c in counts.items():
        bits = [f"{c[a]} {w}" for a, w in (("created", "created"), ("updated", "changed"), ("deleted", "removed"),
                                          ("unchanged", "unchanged")) if c[a]]
        if bits:
            parts.append(f"{kind}: " + ", ".join(bits))
    return "; ".join(parts) or "nothing"


def apply(
    file: str | None = typer.Option(None, "--file", "-f", metavar="FILE|-", help="YAML or JSON document; - is stdin."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (created, changed old → new, unchanged)."),
    prune: bool = typer.Option(False, "--prune", help="Remove memberships and bookings the document no longer lists "
                                                      "(its tenants, your scope; never users or tenants)."),
    send_links: bool = typer.Option(False, "--send-links",
                                    help="Password links for the users this apply creates; --send-links=missing: "
                                         "for every user of the document with neither password nor open link."),
    send_missing: bool = typer.Option(False, "--send-links-missing", hidden=True),
    var: list[str] = typer.Option([], "--var", metavar="NAME=VALUE",
                                  help="A value for ${NAME} in the document (repeatable)."),
    var_file: list[str] = typer.Option([], "--var-file", metavar="FILE",
                                       help="Values for ${NAME}: a YAML or JSON mapping NAME: value (repeatable)."),
    env_allow: list[str] = typer.Option([], "--env-allow", metavar="NAME",
                                        help="Take ${NAME} from the environment (repeatable; never TENANTCTL_*)."),
    schema: bool = typer.Option(False, "--schema", help="Print the document's JSON Schema and exit."),
    yes: bool = options.YES,
    json: bool = options.JSON,
) -> None:
    """Make the store look like a YAML/JSON document: tenants (by key, customer number or external
    id), users (by e-mail) with their memberships, bookings and access rights. All or nothing;
    a second apply of the same document changes nothing. ${VAR} and ${VAR:-default} take only
    the values you name: --var, --var-file, --env-allow. Undo a run with tenantctl import undo RUN.

    Example: tenantctl apply -f setup.yaml --var RESELLER=acme --dry-run
    """
    from tenantctl.importers import document, variables

    if schema:
        sys.stdout.write(jsonlib.dumps(document.schema(), indent=2, ensure_ascii=False) + "\n")
        return
    if not file:
        raise UsageError("name the document with -f FILE (or -f - for stdin)",
                         hint="e.g. tenantctl apply -f setup.yaml")
    env = variables.given(var, var_file, env_allow)
    text, name = document.read_text(file)
    links = "missing" if send_missing else "new" if send_links else None
    from tenantctl.cli import backend

    if backend.remote():
        _apply_remote(text, name, env, dry_run=dry_run, prune=prune, send_links=links, yes=yes, json=json)
        return
    from tenantctl.cli.process import import_process
    from tenantctl.store.services import apply as service
    from tenantctl.store.services import ingest

    opts = service.ApplyOptions(dry_run=dry_run, prune=prune,
                                send_links="missing" if send_missing else "new" if send_links else None)
    if prune and not dry_run and not yes:
        _confirm_prune(text, name, env)
    with import_process():  # a million parsed objects, no cycles worth collecting: see cli/process.py
        doc = document.load(text, name, env)
        del text
        job = ingest.DocumentApply(doc.source, doc.desired, doc.digest, document.shown(name), opts,
                                   None if json else PLAN_MAX)
        try:
            ran = ingest.run(runtime.command, job)
        except ingest.Refused as exc:  # every problem at its document path, then the refusal
            _print_problems(exc.problems, json)
            raise
    _print(ran.data, name, dry_run=dry_run, json=json)


def _print(data: dict[str, Any], name: str, *, dry_run: bool, json: bool) -> None:
    """The plan or what was done, as a local and a remote apply print it."""
    from tenantctl.importers import document

    if json:
        output.show(data, lambda c, d: None, json_mode=True)  # with the warnings (a person left without a tenant)
    else:
        out = output.stdout()
        for line in _plan_lines(data):
            output.line(out, line)
        listed = sum(c["created"] + c["updated"] + c["deleted"] for c in data["counts"].values())
        if listed > len(data["changes"]):
            output.status(f"… and {listed - len(data['changes']):,} more changes (all of them with --json)")
    verb = "would apply" if dry_run else "applied"
    run = f"; run {data['run']} (undo: tenantctl import undo {data['run']})" if data["run"] and \
        data["action"] != "unchanged" else ""
    output.status(f"{verb} {document.shown(name)}: {_summary(data['counts'])}{run}")
    if data["links_queued"]:
        output.status(f"{'would queue' if dry_run else 'queued'} {output.count(data['links_queued'], 'password link')}")


def _apply_remote(text: str, name: str, env: dict[str, str], *, dry_run: bool, prune: bool,
                  send_links: str | None, yes: bool, json: bool) -> None:
    """The document (its variables substituted here) to the server's POST /api/v1/apply: the same
    service plans and applies it in the token's scope and answers with the same result."""
    from tenantctl.cli import remote
    from tenantctl.importers import document

    try:
        body = document.resolved(text, name, env).encode("utf-8")
    except InvalidInput as exc:  # an unset variable: named at its path, as a local apply names it
        _print_problems((exc.details or {}).get("problems") or [], json)
        raise
    client = remote.client()

    def call(dry: bool) -> dict[str, Any]:
        query = {"name": name, "dry_run": dry, "prune": prune, "send_links": send_links,
                 "rows_limit": None if json else PLAN_MAX}
        try:
            return client.send(verbs.APPLY, query=query, content=body,
                               headers={"Content-Type": "application/yaml"})["data"]
        except InvalidInput as exc:
            _print_problems((exc.details or {}).get("problems") or [], json)
            raise

    if prune and not dry_run and not yes:  # show what --prune removes, and ask (or require --yes)
        doomed = [c for c in call(True)["changes"] if c["action"] == "deleted"]
        if doomed:
            for c in doomed:
                output.status(f"- {c['type']} {c['key']}  {c['path']}")
            runtime.confirm(f"Remove {len(doomed)} membership(s)/booking(s) the document no longer lists?", False)
    _print(call(dry_run), name, dry_run=dry_run, json=json)


def _print_problems(problems: list[dict[str, Any]], json: bool) -> None:
    """Every problem at its document path on stderr (200 of them; --json has all in the error)."""
    if json:
        return
    err = output.stderr()
    for p in problems[:200]:
        output.line(err, f"{p['path']}: {p['message']}")
    if len(problems) > 200:
        output.line(err, f"… and {len(problems) - 200} more (all of them with --json)")


def _confirm_prune(text: str, name: str, env: dict[str, str]) -> None:
    """--prune removes things: show what, and ask (a terminal) or require --yes."""
    from tenantctl.importers import document
    from tenantctl.store.services import apply as service

    doc = document.load(text, name, env)
    rehearsal = service.ApplyOptions(dry_run=True, prune=True)
    with runtime.command() as ctx:
        applied = service.apply(ctx, doc.source, doc.desired, digest=doc.digest, opts=rehearsal)
    if applied.rejected or not applied.removals:
        return
    for r in applied.removals:
        output.status(f"- {r['type']} {r['key']}  {r['path']}")
    runtime.confirm(f"Remove {len(applied.removals)} membership(s)/booking(s) the document no longer lists?", False)


def rewrite_argv(argv: list[str]) -> list[str]:
    """`--send-links=missing` as the issue spells it: click has no option with an optional value,
    so the spelling is mapped to a hidden flag before parsing (any other value is refused there)."""
    out = []
    for a in argv:
        if a.startswith("--send-links="):
            if a != "--send-links=missing":
                raise UsageError(f"{a} is not known", hint="use --send-links or --send-links=missing")
            a = "--send-links-missing"
        out.append(a)
    return out


def register(root: typer.Typer) -> None:
    root.command("apply")(apply)
