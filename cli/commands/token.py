"""`tenantctl token`: personal API tokens for working through `tenantctl serve` (remote mode,
scripts, CI). A token acts as its user with the user's current rights."""

from __future__ import annotations

from typing import Any

import typer

from tenantctl.cli import options, output
from tenantctl.cli.backend import call, svc

app = typer.Typer(help="Personal API tokens: create, list, revoke.", no_args_is_help=True)

COLUMNS = [("id", "id"), ("name", "name"), ("user", "user"), ("state", "state"), ("read-only", "read_only"),
           ("created", "created_at"), ("last used", "last_used_at"), ("expires", "expires_at")]
LISTING = output.Listing(tuple(COLUMNS), key="id",
                         wide=(("created by", "created_by"), ("revoked", "revoked_at"), ("revoked by", "revoked_by")))


def _record(console: Any, d: dict[str, Any]) -> None:
    console.print(output.record({k: v for k, v in d.items() if k not in {"token", "changed"}}))
    if d.get("token"):
        from rich.text import Text

        console.print(Text("token: ") + Text(d["token"], style="bold"))


@app.command("create")
def create(
    name: str | None = typer.Option(None, "--name", help="What it is for (ci, laptop…); shown in the audit log."),
    expires_in: str = typer.Option("90d", "--expires-in", help="Lifetime: 90d (default), 12h; at most 366d."),
    read_only: bool = typer.Option(False, "--read-only", help="Only reads: every change is refused."),
    json: bool = options.JSON,
) -> None:
    """Create a token for the acting user and print it once (only its hash is kept).

    The operator hands a user their first token: tenantctl --as LOGIN token create --name ci

    Example: tenantctl --as rita.schroeder token create --name laptop --expires-in 30d
    """
    res = call("POST", "/tokens",
               lambda ctx: svc.api_tokens.create(ctx, name=name, expires_in=expires_in, read_only=read_only),
               body={"name": name, "expires_in": expires_in, "read_only": read_only})
    output.status(f"created token {res.data['name']!r} ({res.data['id']}) for {res.data['user']}, "
                  f"expires {res.data['expires_at']}")
    res.show(_record, json)
    output.warn("the token is shown only this once and is not stored; copy it now")


@app.command("list")
def list_(
    all_users: bool = typer.Option(False, "--all", help="Operator: every user's tokens."),
    user: str | None = typer.Option(None, "--user", metavar="LOGIN_OR_EMAIL", help="Operator: this user's tokens."),
    inactive: bool = typer.Option(False, "--inactive", help="Also revoked and expired tokens."),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List tokens: name, created, last used, expiry. Never a secret.

    Example: tenantctl token list --all --inactive
    """
    res = call("GET", "/tokens",
               lambda ctx: svc.api_tokens.list_tokens(ctx, user=user, all_users=all_users, include_inactive=inactive,
                                                      limit=options.limit_or_none(limit), offset=offset),
               query={"all": all_users, "user": user, "inactive": inactive, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("revoke")
def revoke(
    token: str = typer.Argument(..., metavar="ID|NAME", help="The token's id, or its name (see token list)."),
    user: str | None = typer.Option(None, "--user", metavar="LOGIN", help="Operator: the user whose token NAME is."),
    yes: bool = options.YES,
    json: bool = options.JSON,
) -> None:
    """Revoke a token (yours; the operator: anyone's). It stops working with the next request.

    Example: tenantctl token revoke laptop --yes
    """
    from tenantctl.cli import runtime
    from tenantctl.cli.backend import seg

    runtime.confirm(f"Revoke token {token}? Whatever uses it stops working", yes)
    res = call("DELETE", f"/tokens/{seg(token)}", lambda ctx: svc.api_tokens.revoke(ctx, token, user),
               query={"user": user} if user else None)
    output.status(f"revoked token {res.data['name']!r} ({res.data['id']}) of {res.data['user']}"
                  + ("" if res.data["changed"] else " (it was revoked already)"))
    res.show(_record, json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="token")
