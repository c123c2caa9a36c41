"""`tenantctl login` / `tenantctl logout`: get a token from a server with login and password, keep
it (0600, in the user config folder) for remote mode; revoke and forget it."""

from __future__ import annotations

import socket
import sys
from typing import Any

import typer

from cli import options, output, state
from store.errors import InvalidInput, PermissionDenied, Unauthenticated, Unreachable, UsageError


def _refuse_as(what: str) -> None:
    """A login is made with one's own password; nobody logs in (or out) as someone else."""
    import os

    if state.FLAGS.get("actor") is not None or os.environ.get("TENANTCTL_ACTOR") is not None:
        raise PermissionDenied(f"{what} does not act as anyone: --as is for commands on the store",
                               hint=f"drop --as; {what} uses your own login and password")


def _lines() -> list[str]:
    return sys.stdin.read().splitlines()


def _ask(prompt: str, hide: bool, stdin: list[str] | None, what: str) -> str:
    if stdin is not None:
        if not stdin or not stdin[0].strip():
            raise InvalidInput(f"no {what} on stdin", hint="pipe the login and the password as two lines")
        return stdin.pop(0) if hide else stdin.pop(0).strip()
    return str(typer.prompt(prompt, hide_input=hide, err=True))


def login(
    ctx: typer.Context,
    server: str | None = typer.Option(None, "--server", metavar="URL", help="The tenantctl server (tenantctl serve)."),
    name: str | None = typer.Option(None, "--name", help="Name of the token (default: cli@<this host>)."),
    expires_in: str = typer.Option("90d", "--expires-in", help="Lifetime of the token (at most 366d)."),
    insecure_http: bool = typer.Option(False, "--insecure-http",
                                       help="Allow a plain http:// server that is not this machine (the password and "
                                            "the token then travel unencrypted; kept for this server)."),
    json: bool = options.JSON,
) -> None:
    """Log in to a server with login and password (asked, or two lines on stdin; never arguments);
    the token it creates is kept for remote mode until tenantctl logout.

    Example: tenantctl login --server https://admin.platform.example
    """
    from cli import remote

    _refuse_as("login")
    if ctx.args:
        raise UsageError("login and password are never accepted as arguments (they would stay in the shell "
                         "history)", hint="answer the prompts, or pipe them as two lines on stdin")
    url = server or state.FLAGS.get("server") or (state.REMOTE.server if state.REMOTE else None)
    if not url:
        raise UsageError("which server?", hint="tenantctl login --server URL")
    target = remote.Remote(remote.normalise_server(url), None,
                           insecure_http or bool(state.FLAGS.get("insecure_http")))
    remote.check_transport(target, "the login and password")  # before they are asked for
    stdin = None if sys.stdin.isatty() else _lines()
    ident = _ask("Login or e-mail", False, stdin, "login")
    password = _ask("Password", True, stdin, "password")
    body = {"login": ident, "password": password, "name": name or f"cli@{socket.gethostname()}"[:40],
            "expires_in": expires_in}
    payload = remote.Client(target, anonymous=True).request("POST", "/auth/token", body=body)
    data: dict[str, Any] = payload["data"]
    path = remote.save(remote.Remote(target.server, data.pop("token"), target.insecure_http))
    output.status(f"logged in to {target.server} as {data['user']}; token {data['name']!r} saved to {path}")
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


def logout(json: bool = options.JSON) -> None:
    """Revoke the saved token on its server and forget it; commands work locally again.

    Example: tenantctl logout
    """
    from cli import remote

    _refuse_as("logout")
    saved = remote.load_saved()
    if saved is None:
        raise UsageError("not logged in", hint="tenantctl login --server URL")
    revoked: dict[str, Any] | None = None
    try:
        revoked = remote.Client(saved).request("DELETE", "/tokens/current")["data"]
    except Unauthenticated:
        pass  # revoked or expired already: nothing left to revoke
    except Unreachable as exc:
        raise Unreachable(f"{exc.message}; the token was not revoked and stays saved",
                          hint="run tenantctl logout again once the server is reachable") from None
    remote.forget()
    output.status(f"logged out of {saved.server}" + (f"; token {revoked['name']!r} revoked" if revoked else ""))
    output.show({"server": saved.server, "revoked": revoked}, lambda c, d: None, json_mode=json)


def register(root: typer.Typer) -> None:
    root.command("login", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(login)
    root.command("logout")(logout)
