from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import options, output, runtime

app = typer.Typer(help="Store schema: status and upgrades.", no_args_is_help=True)


@app.command("status")
def status(json: bool = options.JSON) -> None:
    """Show the store's schema revision and whether it is current.

    Example: tenantctl db status --json
    """
    from tenantctl.store.db import Store
    from tenantctl.store.services.system import schema_status

    store = Store(runtime.operator_only("db").database_url)
    try:
        result = schema_status(store)
    finally:
        store.dispose()
    output.show(result, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("upgrade")
def upgrade(json: bool = options.JSON) -> None:
    """Upgrade the store schema to this version of tenantctl (no alembic.ini needed).

    Example: tenantctl db upgrade   (PostgreSQL: tenantctl --db postgresql+psycopg://USER@HOST/DB db upgrade)
    """
    from tenantctl.store import migrate
    from tenantctl.store.db import Store

    store = Store(runtime.operator_only("db").database_url)
    try:
        if not store.current_revisions():
            from tenantctl.store.errors import SchemaError

            raise SchemaError(f"the store at {store.safe_url} has no tenantctl schema", hint="run tenantctl init")
        before, after = migrate.upgrade(store)
    finally:
        store.dispose()
    result = {"store": store.safe_url, "before": sorted(before), "after": sorted(after), "changed": before != after}
    output.show(result, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("prune")
def prune(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what is due; change nothing."),
    json: bool = options.JSON,
) -> None:
    """Delete what the retention settings say is due (docs/privacy.md): delivered mails' bodies and
    .eml files, used or expired links and invitations, old rate-limit rows, and (when set) pseudonymise
    old audit entries.

    Example: tenantctl db prune --dry-run
    """
    from tenantctl.store.db import Store
    from tenantctl.store.services.retention import run_prune

    conf = runtime.operator_only("db prune")
    store = Store(conf.database_url)
    try:
        store.require_current_schema()
        result = run_prune(store, conf, dry_run=dry_run)
    finally:
        store.dispose()
    counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result["counts"].items())
    output.status(("would prune " if dry_run else "pruned ") + counts)
    if result["files_left"]:
        output.warn(f"warning: {result['files_left']} .eml file(s) in the outbox could not be deleted; the next "
                    "run tries again")
    output.show(result, lambda c, d: c.print(output.record({**d["counts"], "files deleted": d["files_deleted"]})),
                json_mode=json)


@app.command("copy")
def copy(
    to: str = typer.Option(..., "--to", metavar="URL", help="The empty store to copy into (its schema is created)."),
    json: bool = options.JSON,
) -> None:
    """Copy the whole store (every table, id and audit entry) into an empty one: SQLite to PostgreSQL
    or back. The source is only read; the target is written in one transaction and committed only
    when every table's row count and checksum agree. Stop serve and workers first, so that nothing
    is written to the source after the copy.

    Example: tenantctl db copy --to postgresql+psycopg://tenantctl@db.internal/tenantctl
    """
    from tenantctl.store.db import Store
    from tenantctl.store.transfer import copy_store

    source = Store(runtime.operator_only("db").database_url)
    try:
        result = copy_store(source, to)
    finally:
        source.dispose()
    output.show(result, _copy_table, json_mode=json)
    output.status(f"copied {result['rows']} rows in {len(result['tables'])} tables to {result['target']}; "
                      "counts and checksums verified")


def _copy_table(console: Any, data: dict[str, Any]) -> None:
    rows = [{"table": name, "rows": t["rows"], "checksum": t["checksum"][:16]} for name, t in data["tables"].items()]
    console.print(output.table(rows, [("TABLE", "table"), ("ROWS", "rows"), ("CHECKSUM", "checksum")]))


@app.command("backup")
def backup(
    file: Path = typer.Argument(..., metavar="FILE", help="The backup file to create (never overwritten)."),
    json: bool = options.JSON,
) -> None:
    """Make a consistent copy of the SQLite store while it is in use (the SQLite backup API), checked
    with SQLite's integrity check. PostgreSQL: use pg_dump (docs/operations.md).

    Example: tenantctl db backup /var/backups/tenantctl/$(date +%F).db
    """
    from tenantctl.store.db import Store
    from tenantctl.store.transfer import backup_sqlite

    store = Store(runtime.operator_only("db").database_url)
    try:
        result = backup_sqlite(store, file)
    finally:
        store.dispose()
    output.show(result, lambda c, d: c.print(output.record({k: v for k, v in d.items() if k != "tables"})),
                json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
