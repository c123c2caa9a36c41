"""Opening the store for a command: settings, schema check, one transaction, the acting user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tenantctl.cli import state
from tenantctl.store.errors import ConfirmationNeeded

if TYPE_CHECKING:
    from tenantctl.store.context import Ctx
    from tenantctl.store.settings import Settings


def settings() -> Settings:
    """The settings of this command; an empty `--as ""` or `TENANTCTL_ACTOR=` fails closed here,
    for every command (it is a script's empty variable, never a wish to be the operator)."""
    import os

    from tenantctl.store.actor_login import check_login_given
    from tenantctl.store.settings import load_settings

    check_login_given(state.FLAGS.get("actor"))
    if state.FLAGS.get("actor") is None:
        check_login_given(os.environ.get("TENANTCTL_ACTOR"))
    return load_settings(flags=state.FLAGS)


def refuse_remote() -> None:
    """Commands without an API counterpart work on the store itself: say so in remote mode."""
    if state.REMOTE is None:
        return
    from typer._click.globals import get_current_context

    from tenantctl.store.errors import UsageError

    current = get_current_context(silent=True)
    name = current.command_path if current else "this command"
    raise UsageError(f"`{name}` is local-only: it works on the store directly, not through a server",
                     hint="run it on the store's machine without --server (tenantctl logout ends a saved login)")


def operator_only(what: str) -> Settings:
    """For set-up and health commands (init, db, config, doctor, mail test/preview, import
    template): the settings, once the acting user is known to be the operator."""
    from tenantctl.store.db import Store
    from tenantctl.store.errors import PermissionDenied, SchemaError
    from tenantctl.store.services.system import check_operator_login

    conf = settings()
    if conf.actor is not None:
        try:
            store = Store(conf.database_url)
        except SchemaError:
            raise PermissionDenied(f"cannot act as {conf.actor!r}: no such user (there is no store yet)",
                                   hint="run it without --as") from None
        try:
            check_operator_login(store, conf.actor, what)
        finally:
            store.dispose()
    return conf


@contextmanager
def command(write: bool = True) -> Iterator[Ctx]:
    """One transaction for the whole command; after-commit hooks (mail delivery) run once it
    committed. Nothing is written if the block raises."""
    refuse_remote()
    from tenantctl.store.actor import resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.db import Store

    conf = settings()
    store = Store(conf.database_url)
    try:
        store.require_current_schema()
        with store.transaction(write=write) as session:
            ctx = Ctx(session, resolve_actor(session, conf.actor), conf)
            yield ctx
        if write:  # said if Ctrl-C comes now (during mail delivery, while printing)
            state.COMMITTED = "the change is written" if ctx.committed is None else ctx.committed
        _warn(ctx.warnings)
        after_commit(ctx.after_commit)
    finally:
        store.dispose()


def after_commit(hooks: list[Any]) -> None:
    """Run the hooks (mail delivery) of a committed command. A delivery that cannot reach its server
    does not replace the command's result: its warning goes next to it, and the exit code is 6."""
    from tenantctl.store.errors import DeliveryPending

    pending: DeliveryPending | None = None
    for hook in hooks:
        try:
            hook()
        except DeliveryPending as exc:
            pending = exc
    if pending is not None:
        _warn([pending.message])
        delivery_pending(pending.message)


def delivery_pending(message: str) -> None:
    """Exit 6 once the result is printed; the warning is in it (--json) or on stderr already. A
    non-zero exit says why on stderr, --json or not (docs/json.md)."""
    state.DELIVERY_PENDING = True
    if state.JSON_MODE:
        from tenantctl.cli import output

        output.stderr().print(output.Text(f"warning: {message}"), soft_wrap=True)


def _warn(warnings: list[str]) -> None:
    from tenantctl.cli import output

    for warning in warnings:
        if warning not in state.WARNINGS:
            state.WARNINGS.append(warning)
            output.warn(f"warning: {warning}")  # silent with --json: show() puts them into the document


def confirm(question: str, yes: bool) -> None:
    """Destructive commands ask on a terminal and need --yes otherwise."""
    if yes:
        return
    if not sys.stdin.isatty() or state.JSON_MODE:
        raise ConfirmationNeeded(f"{question.rstrip('?')}: confirmation needed", hint="add --yes")
    import typer

    if not typer.confirm(question, default=False, err=True):
        raise ConfirmationNeeded("not confirmed; nothing changed")
