from __future__ import annotations

from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime
from tenantctl.cli.backend import call, svc
from tenantctl.store.enums import ConnectionState

app = typer.Typer(help="Partner connections (reseller ↔ customer) and their accreditation requests.",
                  no_args_is_help=True)

LIST_COLUMNS = [("id", "id"), ("reseller", "reseller"), ("customer", "customer"), ("customer name", "customer_name"),
                ("state", "state"), ("customer no.", "customer_number"), ("currency", "currency"),
                ("billing", "billing"), ("since", "created_at")]
LISTING = output.Listing(tuple(LIST_COLUMNS), key="id",
                         wide=(("reseller name", "reseller_name"), ("customer status", "customer_status"),
                               ("approved by", "approved_by"), ("approved", "approved_at"),
                               ("created by", "created_by"), ("updated", "updated_at")))


def _show_one(data: dict[str, Any], json: bool) -> None:
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("list")
def list_(
    state: ConnectionState | None = typer.Option(None, "--state"),
    tenant: str | None = typer.Option(None, "--tenant", help="Only connections of this tenant.",
                                      autocompletion=completion.tenant_keys),
    search: str | None = options.SEARCH,
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List the connections of your tenants (the operator: all), e.g. open accreditation requests.

    Example: tenantctl connection list --state requested
    """
    query = {"state": state.value if state else None, "tenant": tenant, "search": search}
    res = call("GET", "/connections",
               lambda ctx: svc.connections.list_connections(ctx, **query, limit=options.limit_or_none(limit),
                                                            offset=offset),
               query={**query, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), json: bool = options.JSON) -> None:
    """Show one connection with its request, answer and decision.

    Example: tenantctl connection show 7
    """
    data = call("GET", f"/connections/{conn_id}", lambda ctx: svc.connections.show_connection(ctx, conn_id)).data
    _show_one(data, json)


def _done(data: dict[str, Any], json: bool) -> None:
    output.status(f"connection {data['id']} ({data['reseller']} → {data['customer']}) is {data['state']}")
    _show_one(data, json)


@app.command("approve")
def approve(conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), json: bool = options.JSON) -> None:
    """Approve a requested connection (reseller side): it becomes active; the customer is told.

    Example: tenantctl --as rita.reseller connection approve 7
    """
    data = call("POST", f"/connections/{conn_id}/approve",
                lambda ctx: svc.answers.approve_connection(ctx, conn_id)).data
    _done(data, json)


@app.command("request-info")
def request_info(
    conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT),
    message: str = typer.Option(..., "--message", "-m", help="What the customer should tell you."),
    json: bool = options.JSON,
) -> None:
    """Ask the customer for more information before deciding (reseller side).

    Example: tenantctl --as rita.reseller connection request-info 7 --message "Please send your VAT id."
    """
    data = call("POST", f"/connections/{conn_id}/request-info",
                lambda ctx: svc.answers.request_info(ctx, conn_id, message), body={"message": message}).data
    _done(data, json)


@app.command("answer")
def answer(
    conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT),
    message: str = typer.Option(..., "--message", "-m", help="Your answer to the reseller's question."),
    json: bool = options.JSON,
) -> None:
    """Answer the reseller's question (customer side); the request goes back to the reseller.

    Example: tenantctl --as max.mueller connection answer 7 --message "DE123456789"
    """
    data = call("POST", f"/connections/{conn_id}/answer",
                lambda ctx: svc.answers.answer_connection(ctx, conn_id, message), body={"message": message}).data
    _done(data, json)


@app.command("reject")
def reject(
    conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT),
    reason: str | None = typer.Option(None, "--reason", help="Told to the customer."),
    json: bool = options.JSON,
) -> None:
    """Reject a connection request (reseller side); the customer is told.

    Example: tenantctl --as rita.reseller connection reject 7 --reason "not in our region"
    """
    data = call("POST", f"/connections/{conn_id}/reject",
                lambda ctx: svc.answers.reject_connection(ctx, conn_id, reason), body={"reason": reason}).data
    _done(data, json)


@app.command("delete")
def delete(conn_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), yes: bool = options.YES,
           json: bool = options.JSON) -> None:
    """Delete a connection that is not active (an active one cannot be deleted).

    Example: tenantctl connection delete 7 --yes
    """
    runtime.confirm(f"Delete connection {conn_id}?", yes)
    data = call("DELETE", f"/connections/{conn_id}", lambda ctx: svc.answers.delete_connection(ctx, conn_id)).data
    output.status(f"deleted connection {data['id']} ({data['reseller']} → {data['customer']})")
    _show_one(data, json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="connection")
