from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime, svc
from tenantctl.cli.backend import call
from tenantctl.store import verbs
from tenantctl.store.enums import Language, Role, UserStatus

app = typer.Typer(help="Users: people with a login, members of one or more tenants.", no_args_is_help=True)

LIST_COLUMNS = [("login", "login"), ("name", "name"), ("e-mail", "email"), ("status", "status"),
                ("tenants", "tenants")]


def _flat(u: dict[str, Any]) -> dict[str, Any]:
    return {**u, "name": f"{u['first_name']} {u['last_name']}",
            "tenants": [f"{m['tenant']} ({m['role']})" for m in u.get("memberships", [])]}


LISTING = output.Listing(tuple(LIST_COLUMNS), key="login", flat=_flat,
                         wide=(("language", "language"), ("last login", "last_login_at"),
                               ("created", "created_at"), ("created by", "created_by")))
IDENT = typer.Argument(..., metavar="LOGIN_OR_EMAIL", autocompletion=completion.logins)
TIME_ZONE_HELP = ("Time zone of the times in the person's mails and pages, e.g. Europe/London "
                  "('' for their tenant's, else the platform's time_zone).")
TENANT = typer.Option(None, "--tenant", help="Only members of this tenant.", autocompletion=completion.tenant_keys)


def _show_one(data: dict[str, Any], json: bool) -> None:
    def render(console: Any, d: dict[str, Any]) -> None:
        skip = {"memberships", "changed", "action", "open_links", "last_mails"}
        console.print(output.record({k: v for k, v in d.items() if k not in skip}))
        if d.get("memberships"):
            console.print(output.table(d["memberships"], [("tenant", "tenant"), ("name", "tenant_name"),
                                                          ("kind", "kind"), ("role", "role")], title="memberships"))
        if d.get("open_links"):
            console.print(output.table(d["open_links"], [("link", "id"), ("purpose", "purpose"),
                                                         ("created", "created_at"), ("expires", "expires_at")],
                                       title="open password links"))
        if d.get("last_mails"):
            console.print(output.table(d["last_mails"], [("mail", "id"), ("template", "template"), ("state", "state"),
                                                         ("attempts", "attempts"), ("created", "created_at"),
                                                         ("last error", "last_error")], title="last mails"))

    output.show(data, render, json_mode=json)


@app.command("create")
def create(
    tenant: str = typer.Option(..., "--tenant", help="Key of the tenant the user belongs to.",
                               autocompletion=completion.tenant_keys),
    first_name: str = typer.Option(..., "--first-name"),
    last_name: str = typer.Option(..., "--last-name"),
    email: str = typer.Option(..., "--email"),
    role: Role | None = typer.Option(None, "--role", help="Role in the tenant (default: member)."),
    language: Language | None = typer.Option(None, "--language", help="Default: the tenant's language."),
    login: str | None = typer.Option(None, "--login", help="Choose the login instead of deriving it from the name."),
    time_zone: str | None = typer.Option(None, "--time-zone", metavar="ZONE", help=TIME_ZONE_HELP),
    if_not_exists: bool = typer.Option(False, "--if-not-exists",
                                       help="The same user exists: exit 0 (unchanged); with other details: exit 5."),
    json: bool = options.JSON,
) -> None:
    """Create a user in a tenant; the login is derived from the name (max.mueller, max.mueller2…).

    Example: tenantctl user create --tenant acme --first-name Anna --last-name Berger --email anna@agentur.de
    """
    lang = language.value if language else None
    body: dict[str, Any] = {"tenant": tenant, "first_name": first_name, "last_name": last_name, "email": email,
                            "role": role.value if role else None, "language": lang, "login": login,
                            "time_zone": time_zone, "if_not_exists": if_not_exists}
    data = call(verbs.USER_CREATE,
                lambda ctx: svc.answers.create_user(ctx, tenant, first_name, last_name, email,
                                                    role=role.value if role else None, language=lang, login=login,
                                                    time_zone=time_zone, if_not_exists=if_not_exists),
                body=body).data
    output.status(f"{data['action']} user {data['login']}")
    _show_one(data, json)


@app.command("list")
def list_(
    tenant: str | None = TENANT,
    status: UserStatus | None = typer.Option(None, "--status"),
    search: str | None = options.SEARCH,
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List the users you can see; search looks in login, e-mail and names.

    Example: tenantctl user list --tenant mueller-soehne-gmbh --search max
    """
    res = call(verbs.USER_LIST,
               lambda ctx: svc.users.list_users(ctx, tenant=tenant, status=status.value if status else None,
                                                search=search, limit=options.limit_or_none(limit), offset=offset),
               query={"tenant": tenant, "status": status.value if status else None, "search": search,
                      "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(
    ident: str | None = typer.Argument(None, metavar="[LOGIN_OR_EMAIL]", autocompletion=completion.logins),
    email: str | None = typer.Option(None, "--email", metavar="E", help="Exactly the user with this e-mail."),
    json: bool = options.JSON,
) -> None:
    """Show one user: memberships, the time zone their mails use (and why), open password links and last mails.

    Example: tenantctl user show --email max@mueller.example
    """
    from tenantctl.store.errors import UsageError

    if (ident is None) == (email is None):
        raise UsageError("name the user by LOGIN_OR_EMAIL or --email, not both",
                         hint="e.g. tenantctl user show max.mueller")
    if email is not None:
        data = call(verbs.USER_LOOKUP,
                    lambda ctx: svc.user_view.show_user(ctx, svc.users.get_user_by_email(ctx, email)),
                    query={"email": email}).data
    else:
        data = call(verbs.USER_SHOW, lambda ctx: svc.user_view.show_user(ctx, svc.users.get_user(ctx, ident or "")),
                    {"ident": ident or ""}).data
    _show_one(data, json)


@app.command("update")
def update(
    ident: str = IDENT,
    first_name: str | None = typer.Option(None, "--first-name"),
    last_name: str | None = typer.Option(None, "--last-name"),
    email: str | None = typer.Option(None, "--email", help="Changing it voids the user's open links."),
    language: Language | None = typer.Option(None, "--language"),
    time_zone: str | None = typer.Option(None, "--time-zone", metavar="ZONE", help=TIME_ZONE_HELP),
    json: bool = options.JSON,
) -> None:
    """Change a user's name, e-mail, language or time zone (the login stays).

    Example: tenantctl user update max.mueller --email max.mueller@mueller.de
    """
    body = {"first_name": first_name, "last_name": last_name, "email": email,
            "language": language.value if language else None, "time_zone": time_zone}
    data = call(verbs.USER_UPDATE, lambda ctx: svc.answers.update_user(ctx, ident, **body), {"ident": ident},
                body=body).data
    output.status(f"updated {data['login']}: {', '.join(data['changed'])}" if data["changed"] else "nothing changed")
    _show_one(data, json)


def _set_enabled(ident: str, enabled: bool, json: bool) -> None:
    data = call(verbs.USER_ENABLE if enabled else verbs.USER_DISABLE,
                lambda ctx: svc.answers.set_user_enabled(ctx, ident, enabled), {"ident": ident}).data
    output.status(f"{data['login']} is {data['status']}" + ("" if data["changed"] else " (unchanged)"))
    _show_one(data, json)


@app.command("disable")
def disable(ident: str = IDENT, yes: bool = options.YES, json: bool = options.JSON) -> None:
    """Disable a user: no login, open links die.

    Example: tenantctl user disable max.mueller --yes
    """
    runtime.confirm(f"Disable user {ident}? They can no longer log in", yes)
    _set_enabled(ident, False, json)


@app.command("enable")
def enable(ident: str = IDENT, json: bool = options.JSON) -> None:
    """Enable a disabled user again.

    Example: tenantctl user enable max.mueller
    """
    _set_enabled(ident, True, json)


def show_receipt(data: dict[str, Any], json: bool) -> None:
    """An erasure's receipt (user erase, tenant erase): what went, per table, for the records."""
    def render(console: Any, d: dict[str, Any]) -> None:
        console.print(output.record({k: v for k, v in d.items() if k not in {"deleted", "rewritten"}}))
        tables = sorted(set(d["deleted"]) | set(d["rewritten"]))
        rows = [{"table": t, "deleted": d["deleted"].get(t, 0), "rewritten": d["rewritten"].get(t, 0)}
                for t in tables]
        console.print(output.table(rows, [("table", "table"), ("rows deleted", "deleted"),
                                          ("rows rewritten", "rewritten")], title="receipt"))

    if data.get("files_left"):
        output.warn(f"warning: {data['files_left']} .eml file(s) in the outbox could not be deleted; the next "
                    "tenantctl db prune (or erase) deletes them")
    output.show(data, render, json_mode=json)


@app.command("export")
def export(
    ident: str = IDENT,
    out: Path | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                    help="Write the document to FILE (readable by you only) instead of stdout."),
    json: bool = options.JSON,
) -> None:
    """Everything stored about a person (GDPR access request) as one JSON document: account,
    memberships, invitations, links and tokens (never secrets), mails, audit entries, logins, and
    every other row that names them.

    Example: tenantctl user export max.mueller -o max-mueller.json
    """
    import json as json_lib

    from tenantctl.importers.write import check_folder, save

    if out is not None:
        check_folder(out)  # before the store is read
    data = call(verbs.USER_EXPORT, lambda ctx: svc.personal_export.export_user(ctx, ident), {"ident": ident}).data
    summary = {"login": data["account"]["login"], **{k: len(v) for k, v in data.items() if isinstance(v, list)},
               "other rows naming them": sum(len(v) for v in data["mentions"].values())}
    if out is None:
        if json:
            output.show(data, lambda c, d: None, json_mode=True)
        else:
            typer.echo(json_lib.dumps(data, ensure_ascii=False, indent=2))
            output.status("; ".join(f"{k}: {v}" for k, v in summary.items()))
        return
    text = json_lib.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    save(out, lambda fh: fh.write(text))  # personal data: 0600, never half written
    output.status(f"wrote everything stored about {data['account']['login']} to {out}")
    output.show({"file": str(out), **summary}, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("erase")
def erase(
    ident: str = IDENT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be deleted and rewritten; change nothing."),
    yes: bool = options.YES,
    json: bool = options.JSON,
) -> None:
    """Erase a person (GDPR erasure request): the account becomes the pseudonym erased-<n>; names,
    address, login, links, invitations to them, tokens, mails and memberships go; every audit
    entry and text naming them names the pseudonym. Refused for the last admin of a tenant.
    Prints a receipt (rows per table). Cannot be undone; backups still hold the person.

    Example: tenantctl user erase max.mueller --dry-run
    """
    if not dry_run:
        runtime.confirm(f"Erase user {ident} for good? This cannot be undone", yes)
    data = call(verbs.USER_ERASE, lambda ctx: svc.erasure.erase_user(ctx, ident, dry_run=dry_run), {"ident": ident},
                body={"dry_run": dry_run}).data
    output.status(f"would erase {data['user']}" if dry_run else f"erased {data['user']} as {data['pseudonym']}")
    show_receipt(data, json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
