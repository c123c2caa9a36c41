from __future__ import annotations

import typer

from cli import options, output
from cli.backend import call, svc

app = typer.Typer(help="The audit log: who changed what, when.", no_args_is_help=True)

COLUMNS = [("id", "id"), ("at", "at"), ("actor", "actor"), ("action", "action"), ("object", "object"),
           ("tenant", "tenant"), ("details", "details")]


@app.command("list")
def list_(
    actor: str | None = typer.Option(None, "--actor", help="Login, or operator:OSUSER."),
    tenant: str | None = typer.Option(None, "--tenant"),
    action: str | None = typer.Option(None, "--action", help="tenant.create, or a prefix such as tenant."),
    since: str | None = typer.Option(None, "--since", help="2026-11-01, 01.11.2026 or 7d / 12h."),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    json: bool = options.JSON,
) -> None:
    """List audit events, newest first.

    Example: tenantctl audit list --tenant mueller-soehne-gmbh --since 7d
    """
    query = {"actor": actor, "tenant": tenant, "action": action, "since": since}
    res = call("GET", "/audit",
               lambda ctx: svc.audit.list_events(ctx, **query, limit=options.limit_or_none(limit), offset=offset),
               query={**query, "limit": limit, "offset": offset})
    res.show(lambda c, d: c.print(output.table(d, COLUMNS)), json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
