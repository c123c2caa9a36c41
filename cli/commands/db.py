from __future__ import annotations

import typer

from cli import options, output, runtime

app = typer.Typer(help="Store schema: status and upgrades.", no_args_is_help=True)


@app.command("status")
def status(json: bool = options.JSON) -> None:
    """Show the store's schema revision and whether it is current.

    Example: tenantctl db status --json
    """
    from store.db import Store
    from store.services.system import schema_status

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
    from store import migrate
    from store.db import Store

    store = Store(runtime.operator_only("db").database_url)
    try:
        if not store.current_revisions():
            from store.errors import SchemaError

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
    from store.db import Store
    from store.services.retention import run_prune

    conf = runtime.operator_only("db prune")
    store = Store(conf.database_url)
    try:
        store.require_current_schema()
        result = run_prune(store, conf, dry_run=dry_run)
    finally:
        store.dispose()
    counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result["counts"].items())
    output.status(("would prune " if dry_run else "pruned ") + counts)
    output.show(result, lambda c, d: c.print(output.record({**d["counts"], "files deleted": d["files_deleted"]})),
                json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
