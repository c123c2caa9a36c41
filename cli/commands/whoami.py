"""`tenantctl whoami` (= `tenantctl auth status`): which server or store, which user, which token
and until when, and what the actor may do. Works in both modes, like `gh auth status`."""

from __future__ import annotations

from typing import Any

from tenantctl.cli import backend, options, output, state
from tenantctl.cli.backend import svc

FIELDS = [("mode", "mode"), ("context", "context"), ("server", "server"), ("store", "store"), ("acting as", "actor"),
          ("user", "user"), ("e-mail", "email"), ("token", "token_name"), ("token expires", "token_expires"),
          ("read-only", "read_only")]


def whoami(json: bool = options.JSON) -> None:
    """Show who commands act as: the server and token (remote mode) or the store and actor (local),
    the user's memberships and what they may do.

    Example: tenantctl whoami
    """
    data: dict[str, Any] = dict(backend.call("GET", "/auth/status", lambda ctx: svc.whoami.describe(ctx),
                                             write=False).data)
    if state.REMOTE is not None:
        from tenantctl.cli import remote

        data = {"mode": "remote", "server": state.REMOTE.server, "context": remote.current_context_name(), **data}
    else:
        from tenantctl.cli import runtime
        from tenantctl.store.settings import mask_secret

        data = {"mode": "local", "store": mask_secret(str(runtime.settings().database_url)), **data}
    output.show(data, _render, json_mode=json)


def _render(console: Any, d: dict[str, Any]) -> None:
    token = d.get("token") or {}
    flat = {**d, "token_name": f"{token['name']} ({token['id']})" if token else None,
            "token_expires": token.get("expires_at"), "read_only": token.get("read_only")}
    console.print(output.record(flat, [(label, key) for label, key in FIELDS if flat.get(key) is not None]))
    memberships = d.get("memberships") or []
    if memberships:
        console.print(output.table(memberships, [("tenant", "tenant"), ("kind", "kind"), ("role", "role")]))
    for right in d.get("rights") or ["no rights: no active membership"]:
        output.line(console, f"- {right}")


def register(root: Any) -> None:
    root.command("whoami")(whoami)
