"""`tenantctl export`: tenants and users in the import's own format."""

from __future__ import annotations

from pathlib import Path

import typer

from tenantctl.cli import options, output, runtime
from tenantctl.store.errors import InvalidInput


def export(file: Path | None = typer.Argument(None, help="FILE.xlsx, FILE.csv (two files), FILE.json; with -o: "
                                                        "FILE.yaml / FILE.json or - (stdout, the default)."),
           tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (and a reseller's customers)."),
           fmt: str | None = typer.Option(None, "--output", "-o", metavar="yaml|json",
                                          help="The desired-state document that tenantctl apply reads."),
           force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
           json: bool = options.JSON) -> None:
    """Export tenants and users you can see, in the import's format (export → import changes nothing)
    or, with -o yaml|json, as the document tenantctl apply reads (export → edit → apply).
    Cells that a spreadsheet would run as formulas are escaped.

    Example: tenantctl export -o yaml > setup.yaml
    """
    from tenantctl.store.services import exports

    if fmt is not None:
        _export_document(file, tenant, fmt, json, force)
        return
    if file is None:
        raise InvalidInput("name the file to write", hint="e.g. tenantctl export kunden.xlsx, or -o yaml")
    from tenantctl.importers.write import check_folder, export_targets, write_export

    if file.suffix.lower() not in {".xlsx", ".csv", ".json"}:
        raise InvalidInput(f"cannot export to {file.name}", hint="use a .xlsx, .csv or .json file name")
    for target in export_targets(file):
        check_folder(target, force=force)  # before the store is read
    with runtime.command(write=False) as ctx:
        tenants, users = exports.collect(ctx, tenant)
    written = write_export(file, tenants, users, exports.TENANT_COLUMNS, exports.USER_COLUMNS, force=force)
    files = [str(p) for p in written]
    data = {"files": files, "tenants": len(tenants), "users": len(users)}
    output.status(f"exported {len(tenants)} tenants and {len(users)} users to {', '.join(files)}")
    output.show(data, lambda c, d: None, json_mode=json)


def _export_document(file: Path | None, tenant: str | None, fmt: str, json: bool, force: bool) -> None:
    import sys

    from tenantctl.importers import document
    from tenantctl.store.services import exports

    if fmt not in {"yaml", "json"}:
        raise InvalidInput(f"-o {fmt} is not yaml or json", hint="use -o yaml or -o json")
    if file is not None and str(file) != "-":
        from tenantctl.importers.write import check_folder

        check_folder(file, force=force)  # before the store is read
    with runtime.command(write=False) as ctx:
        tenants, users = exports.collect(ctx, tenant, every_membership=True)
    doc = document.document_of(tenants, users)
    if json and (file is None or str(file) == "-"):
        # --json: stdout holds one JSON document, whatever -o says: the desired state as "data"
        output.show(doc, lambda c, d: None, json_mode=True)
        return
    text = document.dump(doc, fmt)
    if file is None or str(file) == "-":
        sys.stdout.write(text)
        output.status(f"exported {len(tenants)} tenants and {len(users)} memberships")
        return
    from tenantctl.importers.write import save

    data = text.encode("utf-8")
    save(file, lambda fh: fh.write(data), force=force)  # personal data: 0600, never half written
    output.status(f"exported {len(tenants)} tenants and {len(users)} memberships to {file}")
    output.show({"files": [str(file)], "tenants": len(tenants), "memberships": len(users)}, lambda c, d: None,
                json_mode=json)


def register(root: typer.Typer) -> None:
    root.command("export")(export)
