from __future__ import annotations

from typing import Any

import typer

from tenantctl.cli import options, output, runtime


def init(
    operator_name: str = typer.Option("Platform Operator", "--operator-name", help="Name of the operator tenant."),
    admin_email: str | None = typer.Option(None, "--admin-email", help="E-mail of the first operator admin."),
    admin_first_name: str | None = typer.Option(None, "--admin-first-name"),
    admin_last_name: str | None = typer.Option(None, "--admin-last-name"),
    json: bool = options.JSON,
) -> None:
    """Create or upgrade the store and the operator tenant (safe to run again).

    Example: tenantctl init --admin-email ops@example.com --admin-first-name Olga --admin-last-name Peters
    """
    from tenantctl.store.db import Store
    from tenantctl.store.services.system import initialise

    conf = runtime.operator_only("init")  # before anything is created
    store = Store(conf.database_url, create=True)
    try:
        result = initialise(store, conf, operator_name=operator_name, admin_email=admin_email,
                            admin_first_name=admin_first_name, admin_last_name=admin_last_name,
                            login=conf.actor)
    finally:
        store.dispose()

    def render(console: Any, data: dict[str, Any]) -> None:
        console.print(output.record(data, [("store", "store"), ("schema", "schema"),
                                           ("operator tenant", "operator_tenant"), ("admin", "admin")]))

    output.show(result, render, json_mode=json)
    created = result["created"]
    output.status("created: " + ", ".join(created) if created else "already initialised; nothing to do")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
