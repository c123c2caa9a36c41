from __future__ import annotations

import typer

from tenantctl.cli import completion, options, output, runtime
from tenantctl.cli.backend import call, seg, svc
from tenantctl.store.enums import Role

app = typer.Typer(help="Memberships: which user works in which tenant, with which role.", no_args_is_help=True)

COLUMNS = [("login", "login"), ("name", "name"), ("e-mail", "email"), ("role", "role"), ("status", "status"),
           ("since", "since")]
LISTING = output.Listing(tuple(COLUMNS), key="login", wide=(("tenant", "tenant"),))


@app.command("add")
def add(
    ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL", autocompletion=completion.logins),
    tenant: str = typer.Option(..., "--tenant", autocompletion=completion.tenant_keys),
    role: Role = typer.Option(Role.member, "--role", help="Also changes the role of an existing member."),
    json: bool = options.JSON,
) -> None:
    """Add an existing user to a tenant, or change their role there.

    Example: tenantctl member add anna@agentur.de --tenant baeckerei-weiss-kg --role admin
    """
    data = call("PUT", f"/tenants/{seg(tenant)}/members/{seg(ident)}",
                lambda ctx: svc.answers.add_member(ctx, ident, tenant, role.value), body={"role": role.value}).data
    unchanged = "" if data["changed"] else " (unchanged)"
    output.status(f"{data['login']} is a member of {data['tenant']} with the role {data['role']}{unchanged}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("remove")
def remove(
    ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL", autocompletion=completion.logins),
    tenant: str = typer.Option(..., "--tenant", autocompletion=completion.tenant_keys),
    yes: bool = options.YES,
    json: bool = options.JSON,
) -> None:
    """Remove a user from a tenant (never the tenant's last admin).

    Example: tenantctl member remove max.mueller --tenant mueller-soehne-gmbh --yes
    """
    runtime.confirm(f"Remove {ident} from {tenant}?", yes)
    data = call("DELETE", f"/tenants/{seg(tenant)}/members/{seg(ident)}",
                lambda ctx: svc.answers.remove_member(ctx, ident, tenant)).data
    output.status(f"removed {data['login']} from {data['tenant']}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("list")
def list_(
    tenant: str = typer.Option(..., "--tenant", autocompletion=completion.tenant_keys),
    role: Role | None = typer.Option(None, "--role"),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List a tenant's members.

    Example: tenantctl member list --tenant mueller-soehne-gmbh --role admin
    """
    res = call("GET", f"/tenants/{seg(tenant)}/members",
               lambda ctx: svc.memberships.list_members(ctx, tenant, role=role.value if role else None,
                                                        limit=options.limit_or_none(limit), offset=offset),
               query={"role": role.value if role else None, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="member")
