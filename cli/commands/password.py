"""tenantctl password: send password-setting links, and set a password through one.

Passwords and tokens are never accepted as arguments (they would end up in the shell history and
in the process list): they come from a hidden prompt, stdin or a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime
from tenantctl.cli.secret_input import StdinLines, read_file
from tenantctl.store.enums import LinkPurpose
from tenantctl.store.errors import UsageError

app = typer.Typer(help="Password-setting links (initial and reset) and setting a password.", no_args_is_help=True)

NO_ARGS_HINT = "use the hidden prompt, or pipe it on stdin with --password-stdin"
EXTRA = {"ignore_unknown_options": True, "allow_extra_args": True}


def refuse_secret_arguments(extra: list[str], what: str = "passwords and tokens") -> None:
    if extra:
        raise UsageError(f"{what} are never accepted as arguments (they would stay in the shell history); "
                         f"unexpected: {len(extra)} extra argument(s)", hint=NO_ARGS_HINT)


def on_terminal() -> bool:
    return sys.stdin.isatty()


def read_password(stdin: StdinLines, password_stdin: bool, *, confirm: bool) -> str:
    if password_stdin:
        return stdin.next("password")
    if not on_terminal():
        raise UsageError("no terminal to ask for the password", hint="pipe it on stdin with --password-stdin")
    value = typer.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password" if confirm else False,
                         err=True)
    return str(value)


@app.command("send-link")
def send_link(
    users: list[str] | None = typer.Argument(None, metavar="[LOGIN_OR_EMAIL]...", help="Users to send a link to.",
                                             autocompletion=completion.logins),
    tenant: str | None = typer.Option(None, "--tenant", metavar="KEY", help="Every user of this tenant.",
                                      autocompletion=completion.tenant_keys),
    without_password: bool = typer.Option(False, "--without-password", help="Every user who has no password yet."),
    purpose: LinkPurpose | None = typer.Option(None, "--purpose",
                                               help="initial or reset (default: initial without a password)."),
    unless_open: bool = typer.Option(False, "--unless-open",
                                     help="Leave users alone who hold an open link (safe to re-run)."),
    print_link: bool = typer.Option(False, "--print-link", help="Print the link once instead of mailing it."),
    also_mail: bool = typer.Option(False, "--also-mail", help="With --print-link: mail the same link as well."),
    no_send: bool = typer.Option(False, "--no-send", help="Only queue the mails; send later with tenantctl mail send."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show whom it would reach; change nothing."),
    json: bool = options.JSON,
) -> int:
    """Send password-setting links. A new link supersedes the user's older open links; the user's
    current password keeps working until the link is used. Disabled users are skipped.

    Example: tenantctl password send-link --tenant mueller-soehne-gmbh --without-password
    """
    from tenantctl.cli.backend import call, svc
    from tenantctl.cli.commands.mail import progress_bar

    with progress_bar("sending mail") as progress:
        res = call("POST", "/password-links",
                   lambda ctx: svc.passwords.send_links(ctx, users or [], tenant=tenant,
                                                        without_password=without_password,
                                                        purpose=purpose.value if purpose else None,
                                                        print_link=print_link, also_mail=also_mail, dry_run=dry_run,
                                                        send_now=not no_send, unless_open=unless_open,
                                                        progress=progress),
                   body={"users": users or [], "tenant": tenant, "without_password": without_password,
                         "purpose": purpose.value if purpose else None, "print_link": print_link,
                         "also_mail": also_mail, "dry_run": dry_run, "send_now": not no_send,
                         "unless_open": unless_open},
                   write=not dry_run)
    data = res.data
    mail = not print_link or also_mail
    for login in data["skipped"]:
        output.warn(f"skipped {login}: the user is disabled")
    for login in data["skipped_open"]:
        output.status(f"skipped {login}: holds an open link (--unless-open)")
    if data.get("skipped_outside_scope"):
        output.warn(f"skipped {data['skipped_outside_scope']} user(s) who also belong to tenants outside your scope; "
                    "only whoever manages all their tenants (or the operator) can send them links")
    code = 0
    if dry_run:
        output.status(f"dry run: would send {len(data['links'])} link(s); nothing changed")
    else:
        queued = "" if not mail else (" (mails queued; send them with tenantctl mail send)" if no_send else "")
        output.status(f"created {len(data['links'])} link(s){queued}")
        if data["delivery"] is not None:
            from tenantctl.cli.commands.mail import report

            code = report(data["delivery"])
    columns = [("login", "login"), ("e-mail", "email"), ("purpose", "purpose"), ("expires", "expires_at")]
    if dry_run:
        columns += [("language", "language"), ("tenant", "tenant")]

    def render(console: Any, d: dict[str, Any]) -> None:
        console.print(output.table(d["links"], columns))
        # links go one per line, outside the table: the only copy of a token is never cut off
        for row in d["links"]:
            if row.get("link"):
                output.line(console, f"{row['login']} {row['link']}")

    output.show(data, render, json_mode=json)
    return code


@app.command("set", context_settings=EXTRA)
def set_(
    ctx: typer.Context,
    token_file: Path | None = typer.Option(None, "--token-file", metavar="FILE",
                                           help="Read the token (or the whole link) from this file."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (after the token if that comes from stdin)."),
    json: bool = options.JSON,
) -> None:
    """Set a password with a password link. The token comes from a hidden prompt, stdin (first line)
    or --token-file; the password from a hidden prompt (asked twice) or --password-stdin.

    Example: tenantctl password set --token-file link.txt --password-stdin < password.txt
    """
    from tenantctl.store.services import passwords

    refuse_secret_arguments(ctx.args)
    stdin = StdinLines()
    if token_file is not None:
        token = read_file(token_file, "token file").strip()
    elif on_terminal():
        token = str(typer.prompt("Token or link", hide_input=True, err=True)).strip()
    else:
        token = stdin.next("token").strip()
    if not password_stdin and on_terminal():
        with runtime.command(write=False) as check:  # say "invalid link" before asking for a password
            passwords.check_token(check.session, token)
    password = read_password(stdin, password_stdin, confirm=True)
    with runtime.command() as c:
        data = passwords.redeem(c, token, password)
    output.status(f"password set for {data['login']}; other open links of this user are void")
    output.show(data, lambda con, d: con.print(output.record(d)), json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="password")
