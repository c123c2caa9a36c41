"""`tenantctl export`: tenants and users in the import's own format."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import options, output, runtime
from store.errors import InvalidInput


def export(file: Path = typer.Argument(..., help="FILE.xlsx, FILE.csv (two files) or FILE.json."),
           tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (and a reseller's customers)."),
           json: bool = options.JSON) -> None:
    """Export tenants and users you can see, in the import's format (export → import changes nothing).
    Cells that a spreadsheet would run as formulas are escaped.

    Example: tenantctl export kunden.xlsx --tenant acme
    """
    from importers.write import write_export
    from store.services import exports

    if file.suffix.lower() not in {".xlsx", ".csv", ".json"}:
        raise InvalidInput(f"cannot export to {file.name}", hint="use a .xlsx, .csv or .json file name")
    with runtime.command(write=False) as ctx:
        tenants, users = exports.collect(ctx, tenant)
    written = write_export(file, tenants, users, exports.TENANT_COLUMNS, exports.USER_COLUMNS)
    files = [str(p) for p in written]
    data = {"files": files, "tenants": len(tenants), "users": len(users)}
    output.status(f"exported {len(tenants)} tenants and {len(users)} users to {', '.join(files)}")
    output.show(data, lambda c, d: None, json_mode=json)


def register(root: typer.Typer) -> None:
    root.command("export")(export)
