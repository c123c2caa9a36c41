"""`tenantctl app`: the catalogue of applications customers book and users get access to."""

from __future__ import annotations

import typer

from cli import options, output, runtime

app = typer.Typer(help="Applications: the catalogue for bookings and access rights.", no_args_is_help=True)
COLUMNS = [("key", "key"), ("name", "name"), ("bookings", "bookings"), ("access rights", "access_rights")]


@app.command("create")
def create(name: str = typer.Argument(..., help="Application name."),
           key: str | None = typer.Option(None, "--key", help="Choose the key instead of deriving it."),
           if_not_exists: bool = typer.Option(False, "--if-not-exists",
                                              help="It exists with this name: exit 0 (unchanged); otherwise 5."),
           json: bool = options.JSON) -> None:
    """Add an application to the catalogue (operator only).

    Example: tenantctl app create "Lohnbuchhaltung"
    """
    from store.services import apps, ensure

    with runtime.command() as ctx:
        if if_not_exists:
            data, action = ensure.app(ctx, name, key)
        else:
            data, action = apps.create_app(ctx, name, key), "created"
    data = {**data, "action": action}
    output.status(f"{action} application {data['key']}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("list")
def list_(json: bool = options.JSON) -> None:
    """List the applications with their number of bookings and access rights.

    Example: tenantctl app list --json
    """
    from store.services import apps

    with runtime.command(write=False) as ctx:
        items = apps.list_apps(ctx)
    output.show(items, lambda c, d: c.print(output.table(d, COLUMNS)), json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="app")
