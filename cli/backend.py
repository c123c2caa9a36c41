"""The seam between a command and where its work happens. A command states its call twice, once
as the service call in a local transaction and once as the HTTP request of the same operation;
`call` runs whichever the mode asks for and hands back the same data (the API answers with the
envelope `--json` prints), so the output layer and the exit codes are shared by both modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenantctl.cli import output, state

if TYPE_CHECKING:
    from tenantctl.store.context import Ctx


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


def call(method: str, path: str, local: Callable[[Ctx], Any], *, query: dict[str, Any] | None = None,
         body: dict[str, Any] | None = None, content: Any = None, headers: dict[str, str] | None = None,
         write: bool | None = None) -> Result:
    """Run one operation: `local(ctx)` in one transaction, or `method path` on the server."""
    if state.REMOTE is not None:
        from tenantctl.cli import remote as remote_mode

        payload = remote_mode.client().request(method, path, query=query, body=body, content=content,
                                               headers=headers)
        meta = payload.get("meta") or {}
        if meta:
            return Result(payload["data"], meta.get("total"), meta.get("limit"), meta.get("offset") or 0)
        return Result(payload["data"])
    from tenantctl.cli import runtime

    with runtime.command(write=method != "GET" if write is None else write) as ctx:
        value = local(ctx)
    return as_result(value)


def as_result(value: Any) -> Result:
    from tenantctl.store.services import Page

    if isinstance(value, Result):
        return value
    if isinstance(value, Page):
        return Result(value.items, value.total, value.limit, value.offset)
    return Result(value)


class _Services:
    """`svc.tenants` is `tenantctl.store.services.tenants`, imported on first use (local mode only), so that a
    command's local call reads as one line and remote mode never loads the store."""

    def __getattr__(self, name: str) -> Any:
        import importlib

        return importlib.import_module(f"tenantctl.store.services.{name}")


svc: Any = _Services()


def seg(value: str) -> str:
    """A key, login or e-mail as one URL path segment."""
    from urllib.parse import quote

    return quote(value, safe="@") if value.strip() else "%20"
