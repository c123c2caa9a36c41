"""The seam between a command and where its work happens. A command states its call as the service
call in a local transaction and as the verb of the same operation (store/verbs.py: method, path
and parameters, which the route is registered from); `call` runs whichever the mode asks for and
hands back the same data (the API answers with the envelope `--json` prints), so the output layer
and the exit codes are shared by both modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenantctl.cli import output, state

if TYPE_CHECKING:
    from tenantctl.store.context import Ctx
    from tenantctl.store.verbs import Verb


@dataclass
class Result:
    data: Any
    total: int | None = None  # lists: the page's place in the whole
    limit: int | None = None
    offset: int = 0

    def show(self, render: Callable[[Any, Any], None], json: bool) -> None:
        output.show(self.data, render, json_mode=json, total=self.total, limit=self.limit, offset=self.offset)


def remote() -> bool:
    return state.REMOTE is not None


def call(verb: Verb, local: Callable[[Ctx], Any], at: dict[str, Any] | None = None, *,
         query: dict[str, Any] | None = None, body: dict[str, Any] | None = None, content: Any = None,
         headers: dict[str, str] | None = None, write: bool | None = None) -> Result:
    """Run one operation: `local(ctx)` in one transaction, or the verb (store/verbs.py) on the
    server with the path parameters `at`. Either way the verb must take `at`, `query` and `body`:
    a command that sends what its route does not take fails in its local tests too."""
    verb.check(at or {}, query, body)
    if state.REMOTE is not None:
        from tenantctl.cli import remote as remote_mode

        payload = remote_mode.client().send(verb, at, query=query, body=body, content=content, headers=headers)
        meta = payload.get("meta") or {}
        if meta:
            return Result(payload["data"], meta.get("total"), meta.get("limit"), meta.get("offset") or 0)
        return Result(payload["data"])
    from tenantctl.cli import runtime

    with runtime.command(write=verb.writes if write is None else write) as ctx:
        value = local(ctx)
    return as_result(value)


def as_result(value: Any) -> Result:
    from tenantctl.store.services import Page

    if isinstance(value, Result):
        return value
    if isinstance(value, Page):
        return Result(value.items, value.total, value.limit, value.offset)
    return Result(value)
