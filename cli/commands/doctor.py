from __future__ import annotations

from typing import Any

import typer

from cli import options, output, runtime


def doctor(json: bool = options.JSON) -> None:
    """Check the store, the schema, the paths and the versions; exit 1 if a check fails.

    Example: tenantctl doctor
    """
    from store.services.system import doctor as run_checks

    result = run_checks(runtime.operator_only("doctor"))

    def render(console: Any, data: dict[str, Any]) -> None:
        from cli.output import Text  # Rich loads here, not for --help

        for check in data["checks"]:
            mark = (Text("FAIL", style="bold red") if not check["ok"] else
                    Text("warn", style="bold yellow") if check.get("warning") else Text("ok  ", style="green"))
            console.print(mark + Text(f" {check['check']}: {check['detail']}"))
        console.print(Text("versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items())))

    output.show(result, render, json_mode=json)
    if not result["ok"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
