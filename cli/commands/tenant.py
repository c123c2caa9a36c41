from __future__ import annotations

from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime
from tenantctl.cli.backend import call, svc
from tenantctl.cli.backend import seg as _seg
from tenantctl.store.enums import Billing, Language, TenantKind, TenantStatus

app = typer.Typer(help="Tenants: resellers and their customer companies.", no_args_is_help=True)

LIST_COLUMNS = [("key", "key"), ("name", "name"), ("kind", "kind"), ("status", "status"),
                ("reseller", "reseller"), ("customer no.", "customer_number"), ("currency", "currency")]
LISTING = output.Listing(tuple(LIST_COLUMNS), key="key",
                         wide=(("billing", "billing"), ("language", "language"), ("external id", "external_id"),
                               ("created", "created_at"), ("created by", "created_by")))


def mail_identity(mail: dict[str, Any]) -> str:
    """A reseller's sender identity as people read it: what it sets; the platform's for the rest."""
    own = [f"{field.replace('_', ' ')}: {value}" for field, value in mail.items() if value]
    unset = [field.replace("_", " ") for field, value in mail.items() if not value]
    if not own:
        return "platform default"
    return ", ".join(own) + (f" (platform default for {', '.join(unset)})" if unset else "")


def _show_one(data: dict[str, Any], json: bool) -> None:
    def render(console: Any, d: dict[str, Any]) -> None:
        shown = {k: v for k, v in d.items() if k not in {"connections", "changed", "action"}}
        if isinstance(shown.get("mail"), dict):
            shown["mail"] = mail_identity(shown["mail"])
        console.print(output.record(shown))
        if d.get("connections"):
            console.print(output.table(d["connections"], [("id", "id"), ("partner", "partner"),
                                                          ("kind", "partner_kind"), ("state", "state"),
                                                          ("customer no.", "customer_number"),
                                                          ("currency", "currency"), ("billing", "billing")],
                                       title="connections"))

    output.show(data, render, json_mode=json)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Company name."),
    kind: TenantKind = typer.Option(..., "--kind", help="reseller or customer."),
    reseller: str | None = typer.Option(None, "--reseller", help="Key of the reseller a customer belongs to.",
                                        autocompletion=completion.tenant_keys),
    key: str | None = typer.Option(None, "--key", help="Choose the key instead of deriving it from the name."),
    customer_number: str | None = typer.Option(None, "--customer-number", help="The reseller's number for it."),
    currency: str | None = typer.Option(None, "--currency", help="ISO 4217 code; fixed once set."),
    billing: Billing | None = typer.Option(None, "--billing", help="Who is billed: customer or reseller."),
    language: Language | None = typer.Option(None, "--language", help="Language of its mails."),
    external_id: str | None = typer.Option(None, "--external-id", help="Id in another system."),
    if_not_exists: bool = typer.Option(False, "--if-not-exists",
                                       help="An equal tenant exists: exit 0 (unchanged); a different one: exit 5."),
    allow_duplicate_name: bool = typer.Option(False, "--allow-duplicate-name",
                                              help="Create it even if the reseller has a tenant of that name."),
    json: bool = options.JSON,
) -> None:
    """Create a reseller, or a customer under a reseller (with an active connection). A second
    tenant of the same name under the same reseller is refused unless --allow-duplicate-name.

    Example: tenantctl tenant create "Müller & Söhne GmbH" --kind customer --reseller acme --if-not-exists
    """
    attrs: dict[str, Any] = dict(reseller=reseller, key=key, customer_number=customer_number, currency=currency,
                                 billing=billing.value if billing else None,
                                 language=language.value if language else None, external_id=external_id,
                                 allow_duplicate_name=allow_duplicate_name)
    data = call("POST", "/tenants",
                lambda ctx: svc.answers.create_tenant(ctx, name, kind.value, if_not_exists=if_not_exists, **attrs),
                body={"name": name, "kind": kind.value, "if_not_exists": if_not_exists, **attrs}).data
    output.status(f"{data['action']} {data['kind']} {data['key']}")
    _show_one(data, json)


@app.command("list")
def list_(
    kind: TenantKind | None = typer.Option(None, "--kind"),
    status: TenantStatus | None = typer.Option(None, "--status"),
    reseller: str | None = typer.Option(None, "--reseller", help="Only customers of this reseller.",
                                        autocompletion=completion.tenant_keys),
    search: str | None = options.SEARCH,
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List the tenants you can see; search looks in name, key, external id and customer number.

    Example: tenantctl tenant list --kind customer --search müller --limit 20
    """
    res = call("GET", "/tenants",
               lambda ctx: svc.tenants.list_tenants(ctx, kind=kind.value if kind else None,
                                                    status=status.value if status else None, reseller=reseller,
                                                    search=search, limit=options.limit_or_none(limit), offset=offset),
               query={"kind": kind.value if kind else None, "status": status.value if status else None,
                      "reseller": reseller, "search": search, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(
    key: str | None = typer.Argument(None, help="Tenant key.", autocompletion=completion.tenant_keys),
    customer_number: str | None = typer.Option(None, "--customer-number", metavar="N",
                                               help="Instead of the key: the customer with this number."),
    external_id: str | None = typer.Option(None, "--external-id", metavar="ID",
                                           help="Instead of the key: the tenant with this external id."),
    reseller: str | None = typer.Option(None, "--reseller", help="With --customer-number: at this reseller.",
                                        autocompletion=completion.tenant_keys),
    json: bool = options.JSON,
) -> None:
    """Show one tenant with its connections: by key, or exactly by customer number or external id.

    Example: tenantctl tenant show --customer-number 10001 --reseller acme
    """
    from tenantctl.store.errors import UsageError

    if sum(x is not None for x in (key, customer_number, external_id)) != 1:
        raise UsageError("name the tenant by exactly one of KEY, --customer-number or --external-id",
                         hint="e.g. tenantctl tenant show mueller-soehne-gmbh")
    if reseller and customer_number is None:
        raise UsageError("--reseller goes with --customer-number", hint="drop --reseller")
    if key is not None:
        data = call("GET", f"/tenants/{_seg(key)}", lambda ctx: svc.tenants.show_tenant(ctx, key)).data
    else:
        def local(ctx: Any) -> dict[str, Any]:
            found = svc.tenants.find_exact(ctx, customer_number=customer_number, external_id=external_id,
                                           reseller=reseller)
            return svc.tenants.show_tenant(ctx, found.key)

        data = call("GET", "/lookup/tenant", local, query={"customer_number": customer_number,
                                                             "external_id": external_id, "reseller": reseller}).data
    _show_one(data, json)


@app.command("update")
def update(
    key: str = typer.Argument(..., help="Tenant key.", autocompletion=completion.tenant_keys),
    name: str | None = typer.Option(None, "--name"),
    language: Language | None = typer.Option(None, "--language"),
    external_id: str | None = typer.Option(None, "--external-id"),
    customer_number: str | None = typer.Option(None, "--customer-number"),
    currency: str | None = typer.Option(None, "--currency", help="Only if not set yet: it is fixed once set."),
    billing: Billing | None = typer.Option(None, "--billing"),
    reseller: str | None = typer.Option(None, "--reseller", help="Which connection, if the customer has several.",
                                        autocompletion=completion.tenant_keys),
    mail_sender_name: str | None = typer.Option(None, "--mail-sender-name", metavar="NAME",
                                                help="Reseller: sender name of the mails to its customers "
                                                     "('' for the platform's)."),
    mail_reply_to: str | None = typer.Option(None, "--mail-reply-to", metavar="ADDRESS",
                                             help="Reseller: where customers' replies go ('' for the platform's)."),
    mail_signature: str | None = typer.Option(None, "--mail-signature", metavar="TEXT",
                                              help="Reseller: contact line under its mails ('' for the platform's)."),
    time_zone: str | None = typer.Option(None, "--time-zone", metavar="ZONE",
                                         help="Time zone of the times in its people's mails and pages, e.g. "
                                              "Europe/London ('' for the platform's time_zone)."),
    json: bool = options.JSON,
) -> None:
    """Change a tenant's name, language, time zone, external id, its connection's number, currency, billing,
    or a reseller's sender identity in mails to its customers.

    Example: tenantctl tenant update acme --mail-reply-to service@acme.example --mail-signature "ACME, +49 30 123"
    """
    body = {"name": name, "language": language.value if language else None, "external_id": external_id,
            "customer_number": customer_number, "currency": currency, "billing": billing.value if billing else None,
            "reseller": reseller, "mail_sender_name": mail_sender_name, "mail_reply_to": mail_reply_to,
            "mail_signature": mail_signature, "time_zone": time_zone}
    data = call("PATCH", f"/tenants/{_seg(key)}", lambda ctx: svc.answers.update_tenant(ctx, key, **body),
                body=body).data
    output.status(f"updated {data['key']}: {', '.join(data['changed'])}" if data["changed"] else "nothing changed")
    _show_one(data, json)


def _set_status(key: str, status: str, yes: bool, json: bool) -> None:
    if status == TenantStatus.suspended:
        runtime.confirm(f"Suspend tenant {key}? Its users can no longer work in it", yes)
    verb = "suspend" if status == TenantStatus.suspended else "activate"
    data = call("POST", f"/tenants/{_seg(key)}/{verb}",
                lambda ctx: svc.answers.set_tenant_status(ctx, key, status)).data
    output.status(f"{data['key']} is {data['status']}" + ("" if data["changed"] else " (unchanged)"))
    _show_one(data, json)


@app.command("suspend")
def suspend(key: str = typer.Argument(..., autocompletion=completion.tenant_keys), yes: bool = options.YES,
            json: bool = options.JSON) -> None:
    """Suspend a tenant (reversible with activate).

    Example: tenantctl tenant suspend mueller-soehne-gmbh --yes
    """
    _set_status(key, TenantStatus.suspended, yes, json)


@app.command("activate")
def activate(key: str = typer.Argument(..., autocompletion=completion.tenant_keys), json: bool = options.JSON) -> None:
    """Activate a suspended tenant.

    Example: tenantctl tenant activate mueller-soehne-gmbh
    """
    _set_status(key, TenantStatus.active, True, json)


@app.command("approve")
def approve(
    key: str = typer.Argument(..., help="Tenant key.", autocompletion=completion.tenant_keys),
    reason: str | None = typer.Option(None, "--reason", help="Kept with the decision."),
    json: bool = options.JSON,
) -> None:
    """Approve a registration (operator): pending_approval → active; its admins are told and its
    accreditation requests go to the resellers.

    Example: tenantctl tenant approve stadt-musterhausen
    """
    data = call("POST", f"/tenants/{_seg(key)}/approve",
                lambda ctx: svc.answers.decide_registration(ctx, key, True, reason), body={"reason": reason}).data
    output.status(f"{data['key']} is {data['status']}")
    _show_one(data, json)


@app.command("reject")
def reject(
    key: str = typer.Argument(..., help="Tenant key.", autocompletion=completion.tenant_keys),
    reason: str | None = typer.Option(None, "--reason", help="Told to the organisation."),
    json: bool = options.JSON,
) -> None:
    """Reject a registration (operator): pending_approval → rejected, with its connection requests.

    Example: tenantctl tenant reject stadt-musterhausen --reason "duplicate registration"
    """
    data = call("POST", f"/tenants/{_seg(key)}/reject",
                lambda ctx: svc.answers.decide_registration(ctx, key, False, reason), body={"reason": reason}).data
    output.status(f"{data['key']} is {data['status']}")
    _show_one(data, json)


@app.command("erase")
def erase(
    key: str = typer.Argument(..., autocompletion=completion.tenant_keys),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be deleted and rewritten; change nothing."),
    yes: bool = options.YES,
    json: bool = options.JSON,
) -> None:
    """Erase a departing customer company: its people who belong to no other tenant are erased
    (as by user erase), the others only lose this membership; the tenant stays as the pseudonym
    erased-tenant-<id> (suspended) with its connection history. Prints a receipt.

    Example: tenantctl tenant erase mueller-soehne-gmbh --dry-run
    """
    from tenantctl.cli.commands.user import show_receipt

    if not dry_run:
        runtime.confirm(f"Erase tenant {key} and its people for good? This cannot be undone", yes)
    data = call("POST", f"/tenants/{_seg(key)}/erase",
                lambda ctx: svc.erasure.erase_tenant(ctx, key, dry_run=dry_run), body={"dry_run": dry_run}).data
    output.status(f"would erase {data['tenant']}" if dry_run else f"erased {data['tenant']} as {data['pseudonym']}")
    show_receipt(data, json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tenant")
