from __future__ import annotations

import typer

from tenantctl.cli import completion, options, output
from tenantctl.cli.backend import call, svc

app = typer.Typer(help="The audit log: who changed what, when.", no_args_is_help=True)

COLUMNS = [("id", "id"), ("at", "at"), ("actor", "actor"), ("action", "action"), ("object", "object"),
           ("tenant", "tenant"), ("details", "details")]
LISTING = output.Listing(tuple(COLUMNS), key="id", wide=(("object type", "object_type"),))


@app.command("list")
def list_(
    actor: str | None = typer.Option(None, "--actor", help="Login, or operator:OSUSER."),
    tenant: str | None = typer.Option(None, "--tenant", autocompletion=completion.tenant_keys),
    action: str | None = typer.Option(None, "--action", help="tenant.create, or a prefix such as tenant."),
    since: str | None = typer.Option(None, "--since", help="2026-11-01, 01.11.2026 or 7d / 12h."),
    user: str | None = typer.Option(None, "--user", metavar="LOGIN", help="Only events about this person.",
                                    autocompletion=completion.logins),
    obj: str | None = typer.Option(None, "--object", metavar="[TYPE:]KEY",
                                   help="Only events about this record: a key, or tenant:acme, invitation:12."),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List audit events, newest first.

    Example: tenantctl audit list --action tenant. --user max.mueller --since 7d
    """
    query = {"actor": actor, "tenant": tenant, "action": action, "since": since, "user": user, "obj": obj}
    res = call("GET", "/audit",
               lambda ctx: svc.audit.list_events(ctx, **query, limit=options.limit_or_none(limit), offset=offset),
               query={**query, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
