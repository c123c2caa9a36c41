"""`tenantctl context list | use | add | remove`: the saved logins, one per server and user, like
kubectl's contexts and `gh auth switch`. `--context NAME` / TENANTCTL_CONTEXT picks one for a
single command; `use` makes one current; none current means the local store."""

from __future__ import annotations

import sys
from typing import Any

import typer

from tenantctl.cli import options, output
from tenantctl.store.errors import NotFound

app = typer.Typer(help="Saved logins (server, user, token): list, use, add, remove.", no_args_is_help=True)

COLUMNS = [("current", "current"), ("name", "name"), ("server", "server"), ("user", "user")]
LISTING = output.Listing(tuple(COLUMNS), key="name", flat=lambda r: {**r, "current": "*" if r["current"] else ""})


def _unknown(name: str, contexts: dict[str, Any]) -> NotFound:
    known = ", ".join(sorted(contexts)) or "none saved"
    return NotFound(f"no context named {name!r} ({known})", hint="see tenantctl context list")


@app.command("list")
def list_(fmt: str | None = options.OUTPUT, quiet: bool = options.QUIET, json: bool = options.JSON) -> None:
    """List the saved contexts; the current one is marked (tokens are never shown).

    Example: tenantctl context list
    """
    from tenantctl.cli import remote
    from tenantctl.cli.backend import Result

    data = remote.load_contexts()
    rows = [{"name": name, "server": c["server"], "user": c.get("user"), "current": name == data["current"]}
            for name, c in sorted(data["contexts"].items())]
    output.show_list(Result(rows), LISTING, fmt=fmt, quiet=quiet, json=json)
    if not rows:
        output.status("no saved contexts: commands use the local store (tenantctl login --server URL saves one)")


@app.command("add")
def add(name: str = typer.Argument(..., metavar="NAME", help="Letters, digits, '.', '_', '-'."),
        server: str = typer.Option(..., "--server", metavar="URL", help="The tenantctl server."),
        json: bool = options.JSON) -> None:
    """Save a context from an API token on stdin (checked with the server first) without making it
    current; `tenantctl login --with-token` does the same and switches to it.

    Example: tenantctl context add staging --server https://staging.platform.example < token.txt
    """
    from tenantctl.cli import remote
    from tenantctl.cli.commands.login import _ask, _check_context_name, _lines

    _check_context_name(name)
    target = remote.normalise_server(server)
    raw = _ask("API token", True, None if sys.stdin.isatty() else _lines(), "token").strip()
    who = remote.Client(remote.Remote(target, raw)).request("GET", "/auth/status")["data"]
    data = remote.load_contexts()
    data["contexts"][name] = {"server": target, "token": raw, "user": who["user"]}
    path = remote.write_contexts(data)
    output.status(f"saved context {name!r}: {who['user']} at {target} (token {who['token']['name']!r}) in {path}")
    output.show({"name": name, "server": target, "user": who["user"], "current": data["current"] == name},
                lambda c, d: None, json_mode=json)


@app.command("use")
def use(name: str = typer.Argument(..., metavar="NAME", help="A saved context, or - for none (the local store)."),
        json: bool = options.JSON) -> None:
    """Make a saved context the current one: later commands go to its server with its token.
    `-` makes none current: commands use the local store again.

    Example: tenantctl context use staging
    """
    from tenantctl.cli import remote

    data = remote.load_contexts()
    if name != "-" and name not in data["contexts"]:
        raise _unknown(name, data["contexts"])
    data["current"] = None if name == "-" else name
    remote.write_contexts(data)
    server = data["contexts"][name]["server"] if name != "-" else None
    output.status(f"now using context {name!r} ({server})" if server else "no context current: the local store")
    output.show({"current": data["current"], "server": server}, lambda c, d: None, json_mode=json)


@app.command("remove")
def remove(name: str = typer.Argument(..., metavar="NAME"), yes: bool = options.YES,
           json: bool = options.JSON) -> None:
    """Forget a saved context here. Its token stays valid on the server: tenantctl logout (with
    --context NAME) revokes it, tenantctl token revoke NAME too.

    Example: tenantctl context remove staging --yes
    """
    from tenantctl.cli import remote, runtime

    data = remote.load_contexts()
    if name not in data["contexts"]:
        raise _unknown(name, data["contexts"])
    runtime.confirm(f"Forget context {name}? Its token stays valid until revoked", yes)
    remote.forget(name)
    output.status(f"forgot context {name!r}; its token was not revoked")
    output.show({"name": name, "removed": True}, lambda c, d: None, json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="context")
