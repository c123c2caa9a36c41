"""tenantctl password: send password-setting links, and set a password through one.

Passwords and tokens are never accepted as arguments (they would end up in the shell history and
in the process list): they come from a hidden prompt, stdin or a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from cli import completion, options, output, runtime
from cli.secret_input import StdinLines, read_file
from store.enums import LinkPurpose
from store.errors import UsageError

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
    from store.services import passwords

    if also_mail and not print_link:
        raise UsageError("--also-mail only goes with --print-link", hint="links are mailed by default")
    mail = not print_link or also_mail
    hook = None
    from cli.commands.mail import delivery, progress_bar

    with progress_bar("sending mail") as progress, runtime.command(write=not dry_run) as ctx:
        chosen, skipped, outside = passwords.select_users(ctx, users or [], tenant=tenant,
                                                          without_password=without_password)
        has_link: list[Any] = []
        if unless_open:
            holding = passwords.with_open_link(ctx.session, chosen)
            has_link = [u for u in chosen if u.id in holding]
            chosen = [u for u in chosen if u.id not in holding]
        if dry_run:
            rows = passwords.plan(ctx, chosen, purpose.value if purpose else None)
        else:
            links = passwords.issue_links(ctx, chosen, purpose.value if purpose else None, deliver=not no_send,
                                          mail=mail)
            minted = passwords.mint_now(ctx, links, for_mail=also_mail) if print_link else {}
            by_id = {u.id: u for u in chosen}
            rows = [{**passwords.link_out(link, by_id[link.user_id], minted.get(link.id or 0), ctx.settings),
                     "mailed": mail} for link in links]
            if mail and not no_send:
                hook = delivery(ctx, progress)  # the one hook issue_links queued its mails on
    for u in skipped:
        output.warn(f"skipped {u.login}: the user is disabled")
    for u in has_link:
        output.status(f"skipped {u.login}: holds an open link (--unless-open)")
    if outside:
        output.warn(f"skipped {outside} user(s) who also belong to tenants outside your scope; "
                    "only whoever manages all their tenants (or the operator) can send them links")
    code = 0
    summary = hook.summary if hook is not None else None
    if dry_run:
        output.status(f"dry run: would send {len(rows)} link(s); nothing changed")
    else:
        queued = "" if not mail else (" (mails queued; send them with tenantctl mail send)" if no_send else "")
        output.status(f"created {len(rows)} link(s){queued}")
        if summary is not None:
            from cli.commands.mail import report

            code = report(summary)
    data = {"dry_run": dry_run, "links": rows, "skipped": [u.login for u in skipped], "skipped_outside_scope": outside,
            "skipped_open": [u.login for u in has_link],
            "delivery": summary.as_dict() if summary is not None else None}
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
    from store.services import passwords

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
