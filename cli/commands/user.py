from __future__ import annotations

from typing import Any

import typer

from cli import options, output, runtime
from cli.backend import call, seg, svc
from store.enums import Language, Role, UserStatus

app = typer.Typer(help="Users: people with a login, members of one or more tenants.", no_args_is_help=True)

LIST_COLUMNS = [("login", "login"), ("name", "name"), ("e-mail", "email"), ("status", "status"),
                ("tenants", "tenants")]


def _flat(u: dict[str, Any]) -> dict[str, Any]:
    return {**u, "name": f"{u['first_name']} {u['last_name']}",
            "tenants": [f"{m['tenant']} ({m['role']})" for m in u.get("memberships", [])]}


def _show_one(data: dict[str, Any], json: bool) -> None:
    def render(console: Any, d: dict[str, Any]) -> None:
        console.print(output.record({k: v for k, v in d.items() if k not in {"memberships", "changed"}}))
        if d.get("memberships"):
            console.print(output.table(d["memberships"], [("tenant", "tenant"), ("name", "tenant_name"),
                                                          ("kind", "kind"), ("role", "role")], title="memberships"))

    output.show(data, render, json_mode=json)


@app.command("create")
def create(
    tenant: str = typer.Option(..., "--tenant", help="Key of the tenant the user belongs to."),
    first_name: str = typer.Option(..., "--first-name"),
    last_name: str = typer.Option(..., "--last-name"),
    email: str = typer.Option(..., "--email"),
    role: Role = typer.Option(Role.member, "--role"),
    language: Language | None = typer.Option(None, "--language", help="Default: the tenant's language."),
    json: bool = options.JSON,
) -> None:
    """Create a user in a tenant; the login is derived from the name (max.mueller, max.mueller2…).

    Example: tenantctl user create --tenant mueller-gmbh --first-name Max --last-name Müller --email max@mueller.de
    """
    def local(ctx: Any) -> dict[str, Any]:
        u = svc.users.create_user(ctx, tenant, first_name, last_name, email, role=role.value,
                                  language=language.value if language else None)
        return svc.users.describe(ctx, u)

    data = call("POST", "/users", local, body={
        "tenant": tenant, "first_name": first_name, "last_name": last_name, "email": email, "role": role.value,
        "language": language.value if language else None}).data
    output.status(f"created user {data['login']}")
    _show_one(data, json)


@app.command("list")
def list_(
    tenant: str | None = typer.Option(None, "--tenant", help="Only members of this tenant."),
    status: UserStatus | None = typer.Option(None, "--status"),
    search: str | None = options.SEARCH,
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    json: bool = options.JSON,
) -> None:
    """List the users you can see; search looks in login, e-mail and names.

    Example: tenantctl user list --tenant mueller-soehne-gmbh --search max
    """
    res = call("GET", "/users",
               lambda ctx: svc.users.list_users(ctx, tenant=tenant, status=status.value if status else None,
                                                search=search, limit=options.limit_or_none(limit), offset=offset),
               query={"tenant": tenant, "status": status.value if status else None, "search": search,
                      "limit": limit, "offset": offset})
    res.show(lambda c, d: c.print(output.table([_flat(u) for u in d], LIST_COLUMNS)), json)


@app.command("show")
def show(ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL"), json: bool = options.JSON) -> None:
    """Show one user and their memberships.

    Example: tenantctl user show max.mueller
    """
    data = call("GET", f"/users/{seg(ident)}", lambda ctx: svc.users.describe(ctx, svc.users.get_user(ctx, ident))).data
    _show_one(data, json)


@app.command("update")
def update(
    ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL"),
    first_name: str | None = typer.Option(None, "--first-name"),
    last_name: str | None = typer.Option(None, "--last-name"),
    email: str | None = typer.Option(None, "--email", help="Changing it voids the user's open links."),
    language: Language | None = typer.Option(None, "--language"),
    json: bool = options.JSON,
) -> None:
    """Change a user's name, e-mail or language (the login stays).

    Example: tenantctl user update max.mueller --email max.mueller@mueller.de
    """
    body = {"first_name": first_name, "last_name": last_name, "email": email,
            "language": language.value if language else None}
    data = call("PATCH", f"/users/{seg(ident)}", lambda ctx: svc.users.update_user(ctx, ident, **body), body=body).data
    output.status(f"updated {data['login']}: {', '.join(data['changed'])}" if data["changed"] else "nothing changed")
    _show_one(data, json)


@app.command("disable")
def disable(ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL"), yes: bool = options.YES,
            json: bool = options.JSON) -> None:
    """Disable a user: no login, open links die.

    Example: tenantctl user disable max.mueller --yes
    """
    runtime.confirm(f"Disable user {ident}? They can no longer log in", yes)
    data = call("POST", f"/users/{seg(ident)}/disable", lambda ctx: svc.users.set_enabled(ctx, ident, False)).data
    output.status(f"{data['login']} is {data['status']}" + ("" if data["changed"] else " (unchanged)"))
    _show_one(data, json)


@app.command("enable")
def enable(ident: str = typer.Argument(..., metavar="LOGIN_OR_EMAIL"), json: bool = options.JSON) -> None:
    """Enable a disabled user again.

    Example: tenantctl user enable max.mueller
    """
    data = call("POST", f"/users/{seg(ident)}/enable", lambda ctx: svc.users.set_enabled(ctx, ident, True)).data
    output.status(f"{data['login']} is {data['status']}" + ("" if data["changed"] else " (unchanged)"))
    _show_one(data, json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
