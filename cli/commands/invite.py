from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime
from tenantctl.cli.backend import call, svc
from tenantctl.store.enums import Billing, InvitationKind, InvitationStatus, Role
from tenantctl.store.errors import InvalidInput

app = typer.Typer(help="Invitation links: connect a partner organisation or let a person join a tenant.",
                  no_args_is_help=True)

LIST_COLUMNS = [("id", "id"), ("status", "status"), ("kind", "kind"), ("from", "from"),
                ("invited by", "invited_by"), ("invitee", "email"), ("customer", "customer_name"),
                ("customer no.", "customer_number"), ("created", "created_at"), ("expires", "expires_at"),
                ("uses", "uses_text")]
LISTING = output.Listing(tuple(LIST_COLUMNS), key="id",
                         flat=lambda r: {**r, "uses_text": f"{r['uses']}/{r['max_uses']}"},
                         wide=(("role", "role"), ("currency", "currency"), ("billing", "billing"),
                               ("accepted by", "accepted_by"), ("accepted", "accepted_at"),
                               ("revoked by", "revoked_by"), ("revoked", "revoked_at")))
HIDDEN_IN_RECORD = {"link", "token", "uses_text", "action"}


def _render_one(console: Any, d: dict[str, Any]) -> None:
    console.print(output.record({k: v for k, v in d.items() if k not in HIDDEN_IN_RECORD}))
    if d.get("link"):
        from tenantctl.cli.output import Text

        console.print(Text("link: ") + Text(d["link"], style="bold"), soft_wrap=True)


def _show_one(data: dict[str, Any], json: bool) -> None:
    output.show(data, _render_one, json_mode=json)
    if data.get("link"):
        output.warn("the link is shown only this once and is not stored; copy it now (reissue makes a new one)")


@app.command("create")
def create(
    kind: InvitationKind = typer.Option(..., "--kind", help="partner (connect an organisation) or member (a person)."),
    origin: str | None = typer.Option(None, "--from", help="Partner: key of the inviting reseller or customer.",
                                      autocompletion=completion.tenant_keys),
    tenant: str | None = typer.Option(None, "--tenant", help="Member: key of the tenant the person joins.",
                                      autocompletion=completion.tenant_keys),
    email: str | None = typer.Option(None, "--email", help="Invitee's e-mail (needed for member and --send)."),
    customer_name: str | None = typer.Option(None, "--customer-name", help="Partner: the invited company's name."),
    customer_number: str | None = typer.Option(None, "--customer-number", help="Copied into the connection."),
    currency: str | None = typer.Option(None, "--currency", help="ISO 4217; fixed once the connection exists."),
    billing: Billing | None = typer.Option(None, "--billing", help="Who is billed: customer or reseller."),
    role: Role | None = typer.Option(None, "--role", help="Member: role in the tenant."),
    message: str | None = typer.Option(None, "--message", help="A personal message in the mail."),
    expires_in: str = typer.Option("7d", "--expires-in", help="Lifetime: 7d (default), 48h; at most 30d."),
    max_uses: int = typer.Option(1, "--max-uses", help="How often the link works (a standing link: more than 1)."),
    send: bool = typer.Option(False, "--send", help="Mail the link through the outbox instead of printing it."),
    if_not_exists: bool = typer.Option(False, "--if-not-exists",
                                       help="A pending invitation to the same address/company: exit 0 (unchanged, "
                                            "no new link); with other terms: exit 5."),
    json: bool = options.JSON,
) -> None:
    """Create an invitation; prints its link once, or mails it with --send.

    Example: tenantctl invite create --kind partner --from acme --customer-name "Vogel KG" --email it@vogel.de --send
    """
    if kind == InvitationKind.partner and tenant:
        raise InvalidInput("a partner invitation is sent --from a tenant", hint="use --from KEY instead of --tenant")
    if kind == InvitationKind.member and origin:
        raise InvalidInput("a member invitation names the --tenant the person joins", hint="use --tenant KEY")
    body = {"origin": origin or tenant, "email": email, "customer_name": customer_name,
            "customer_number": customer_number, "currency": currency, "billing": billing.value if billing else None,
            "role": role.value if role else None, "message": message, "expires_in": expires_in,
            "max_uses": max_uses, "send": send}
    data = call("POST", "/invitations",
                lambda ctx: svc.answers.create_invitation(ctx, kind.value, if_not_exists=if_not_exists, **body),
                body={"kind": kind.value, "if_not_exists": if_not_exists, **body}).data
    if data["action"] == "unchanged":
        output.status(f"invitation {data['id']} is pending already (unchanged; tenantctl invite reissue "
                      f"{data['id']} makes a new link)")
    else:
        output.status(f"created {data['kind']} invitation {data['id']}"
                      + (f", mail queued to {data['sent_to']}" if send else ""))
    _show_one(data, json)


@app.command("list")
def list_(
    status: InvitationStatus | None = typer.Option(None, "--status"),
    kind: InvitationKind | None = typer.Option(None, "--kind"),
    sent: bool = typer.Option(False, "--sent", help="Only invitations my tenants sent."),
    received: bool = typer.Option(False, "--received", help="Only invitations addressed to me or my tenants."),
    search: str | None = typer.Option(None, "--search", "-s", help="Customer name, number or e-mail."),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List invitations with their status (pending, accepted, revoked, expired). Never shows a token.

    Example: tenantctl invite list --status pending --kind partner --sent --search müller
    """
    query = {"status": status.value if status else None, "kind": kind.value if kind else None, "sent": sent,
             "received": received, "search": search}
    res = call("GET", "/invitations",
               lambda ctx: svc.invitations.list_invitations(ctx, **query, limit=options.limit_or_none(limit),
                                                            offset=offset),
               query={**query, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(inv_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), json: bool = options.JSON) -> None:
    """Show one invitation (never its token).

    Example: tenantctl invite show 12
    """
    data = call("GET", f"/invitations/{inv_id}", lambda ctx: svc.invitations.show(ctx, inv_id)).data
    _show_one(data, json)


@app.command("revoke")
def revoke(inv_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), json: bool = options.JSON) -> None:
    """Revoke an invitation: its link stops working at once (the record is kept).

    Example: tenantctl invite revoke 12
    """
    data = call("POST", f"/invitations/{inv_id}/revoke", lambda ctx: svc.answers.revoke_invitation(ctx, inv_id)).data
    output.status(f"revoked invitation {data['id']}")
    _show_one(data, json)


@app.command("reissue")
def reissue(
    inv_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT),
    expires_in: str = typer.Option("7d", "--expires-in", help="New lifetime: 7d (default), 48h; at most 30d."),
    send: bool = typer.Option(False, "--send", help="Mail the new link instead of printing it."),
    json: bool = options.JSON,
) -> None:
    """Give a pending or expired invitation a new token and lifetime; the old link dies at once.

    Example: tenantctl invite reissue 12 --expires-in 14d --send
    """
    data = call("POST", f"/invitations/{inv_id}/reissue",
                lambda ctx: svc.answers.reissue_invitation(ctx, inv_id, expires_in=expires_in, send=send),
                body={"expires_in": expires_in, "send": send}).data
    output.status(f"reissued invitation {data['id']}" + (f", mail queued to {data['sent_to']}" if send else ""))
    _show_one(data, json)


def _read_token(token_file: Path | None) -> str:
    """From --token-file (- is stdin), from stdin when it is not a terminal, or a hidden prompt.
    Never from an argument: it would end up in the shell history and the process list."""
    from tenantctl.cli.secret_input import read_file, read_stdin

    if token_file is not None:
        return read_file(token_file, "token file")
    if not sys.stdin.isatty():
        return read_stdin("link or token on stdin")
    return str(typer.prompt("Invitation link or token", hide_input=True, err=True))


@app.command("accept")
def accept(
    token_file: Path | None = typer.Option(None, "--token-file", help="File holding the link or token (- = stdin)."),
    organisation: str | None = typer.Option(None, "--organisation", help="Register a new organisation by this name."),
    first_name: str | None = typer.Option(None, "--first-name", help="First user of a new organisation / new user."),
    last_name: str | None = typer.Option(None, "--last-name"),
    email: str | None = typer.Option(None, "--email", help="E-mail of the new first user (default: the invited one)."),
    tenant: str | None = typer.Option(None, "--tenant", help="Which of your organisations to connect, if several.",
                                      autocompletion=completion.tenant_keys),
    json: bool = options.JSON,
) -> None:
    """Accept an invitation (link or token from the prompt, stdin or --token-file).

    An existing organisation accepts through its admin (tenantctl --as LOGIN invite accept); a new
    one gives its name and first user, who then gets a password link.

    Example: tenantctl invite accept --token-file link.txt --organisation "Müller GmbH" --first-name Max --last-name Mü
    """
    from tenantctl.store.services import invitations

    raw = _read_token(token_file)
    with runtime.command() as ctx:
        data = invitations.accept(ctx, raw, organisation=organisation, first_name=first_name, last_name=last_name,
                                  email=email, tenant=tenant)
    what = f"{data['user']} joined {data['tenant']}" if data["invitation"]["kind"] == "member" else (
        f"{data['tenant']} ({data['tenant_status']}) connected, connection {data['connection']} "
        f"is {data['connection_state']}")
    output.status(f"accepted invitation {data['invitation']['id']}: {what}")
    if data.get("note"):
        output.warn(data["note"])

    def render(console: Any, d: dict[str, Any]) -> None:
        console.print(output.record({k: v for k, v in d.items() if k != "invitation"}))

    output.show(data, render, json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="invite")
