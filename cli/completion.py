"""Shell completion (bash, zsh, fish): nouns, verbs and options come from the command tree; tenant
keys and logins from the store, within the acting user's scope (`--as` on the command line being
completed, else TENANTCTL_ACTOR). Nothing here is imported or run unless the shell asks, so
`--help` and every other command start as fast as before."""

from __future__ import annotations

import os
from typing import Any

COMPLETE_VAR = "_TENANTCTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
MAX_ITEMS = 200


def requested() -> bool:
    """Is this process a completion request from the shell?"""
    return bool(os.environ.get(COMPLETE_VAR))


def prepare() -> None:
    """Register Typer's completion classes (only when completing or printing a script)."""
    from typer.completion import completion_init

    completion_init()


def script(shell: str) -> str:
    from typer.completion import get_completion_script

    prepare()
    return get_completion_script(prog_name="tenantctl", complete_var=COMPLETE_VAR, shell=shell)


def _root_flags(ctx: Any) -> dict[str, Any]:
    root = ctx.find_root() if ctx is not None else None
    params = root.params if root is not None else {}
    return {"database_url": params.get("db"), "actor": params.get("as_")}


def _from_store(ctx: Any, incomplete: str, what: str) -> list[str]:
    """Keys or logins the actor may see that start with `incomplete`; nothing on any error (a
    completion must never print a traceback into the shell)."""
    from tenantctl.cli import state

    state.FLAGS = _root_flags(ctx)
    try:
        from tenantctl.cli import runtime
        from tenantctl.store.services import lookups

        with runtime.command(write=False) as c:
            found = (lookups.tenant_keys if what == "tenants" else lookups.logins)(c, incomplete, MAX_ITEMS)
    except Exception:
        return []
    return found


def tenant_keys(ctx: Any, incomplete: str) -> list[str]:
    return _from_store(ctx, incomplete, "tenants")


def logins(ctx: Any, incomplete: str) -> list[str]:
    return _from_store(ctx, incomplete, "users")
