"""tenantctl auth: the login check the platform calls."""

from __future__ import annotations

import typer

from tenantctl.cli import options, output, runtime

app = typer.Typer(help="The login check the platform's login calls; who you are (status).", no_args_is_help=True)


@app.command("login", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def login(
    ctx: typer.Context,
    login_: str = typer.Argument(..., metavar="LOGIN", help="Login or e-mail."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin (one line)."),
    json: bool = options.JSON,
) -> None:
    """Check a login and password. On success the login is recorded and the user's open password
    links die (S3); unknown login, wrong password and disabled user all get the same error (exit 9).

    Example: tenantctl auth login max.mueller --password-stdin --json < password.txt
    """
    from tenantctl.cli.commands.password import StdinLines, read_password, refuse_secret_arguments
    from tenantctl.store.services import passwords

    refuse_secret_arguments(ctx.args, "passwords")
    password = read_password(StdinLines(), password_stdin, confirm=False)
    # argon2 runs in a read transaction; the login's effects are written in a short one after it
    with runtime.command(write=False) as c:
        verified = passwords.verify_login(c, login_, password)
    with runtime.command() as c:
        data = passwords.record_login(c, verified)
    output.status(f"login ok: {data['login']}")
    output.show(data, lambda con, d: con.print(output.record({k: v for k, v in d.items() if k != "memberships"})),
                json_mode=json)


@app.command("status")
def status(json: bool = options.JSON) -> None:
    """The same as tenantctl whoami: server or store, user, token and expiry, rights.

    Example: tenantctl auth status --json
    """
    from tenantctl.cli.commands.whoami import whoami

    whoami(json=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="auth")
