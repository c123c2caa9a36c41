from __future__ import annotations

import typer

from tenantctl.cli import options, output, runtime

app = typer.Typer(help="Settings and where they come from.", no_args_is_help=True)


@app.command("show")
def show(json: bool = options.JSON) -> None:
    """Show every setting, its value and where it came from (secrets masked).

    Example: tenantctl config show
    """
    rows = runtime.operator_only("config show").masked()
    output.show(rows, lambda c, d: c.print(output.table(d, [("setting", "name"), ("value", "value"),
                                                            ("source", "source")])), json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
