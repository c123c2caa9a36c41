"""`tenantctl app`: the catalogue of applications customers book and users get access to."""

from __future__ import annotations

import typer

from tenantctl.cli import options, output
from tenantctl.cli.backend import call, svc

app = typer.Typer(help="Applications: the catalogue for bookings and access rights.", no_args_is_help=True)
COLUMNS = [("key", "key"), ("name", "name"), ("bookings", "bookings"), ("access rights", "access_rights")]
LISTING = output.Listing(tuple(COLUMNS), key="key", wide=(("created", "created_at"), ("created by", "created_by")))


@app.command("create")
def create(name: str = typer.Argument(..., help="Application name."),
           key: str | None = typer.Option(None, "--key", help="Choose the key instead of deriving it."),
           if_not_exists: bool = typer.Option(False, "--if-not-exists",
                                              help="It exists with this name: exit 0 (unchanged); otherwise 5."),
           json: bool = options.JSON) -> None:
    """Add an application to the catalogue (operator only).

    Example: tenantctl app create "Lohnbuchhaltung"
    """
    data = call("POST", "/apps", lambda ctx: svc.answers.create_app(ctx, name, key, if_not_exists=if_not_exists),
                body={"name": name, "key": key, "if_not_exists": if_not_exists}).data
    output.status(f"{data['action']} application {data['key']}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("list")
def list_(fmt: str | None = options.OUTPUT, quiet: bool = options.QUIET, json: bool = options.JSON) -> None:
    """List the applications with their number of bookings and access rights.

    Example: tenantctl app list --json
    """
    res = call("GET", "/apps", lambda ctx: svc.apps.list_apps(ctx))
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="app")
