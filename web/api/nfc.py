"""Unicode NFC for what enters the HTTP API (store/nfc.py says why): the query string (searches,
look-ups) and JSON request bodies. Uploaded files and apply documents are normalised by their
readers (importers/), which also see the cells and values inside them."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tenantctl.store.services import nfc, nfc_deep

_OWN_READERS = ("/imports", "/apply")  # bodies their readers normalise (and must see unchanged)


class ApiNfc:
    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(self.prefix + "/"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"%" in query:  # percent-encoded: anything non-ASCII is in here
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            normal = [(nfc(k), nfc(v)) for k, v in pairs]
            if normal != pairs:
                scope = {**scope, "query_string": urlencode(normal).encode("ascii")}
        headers = dict(scope.get("headers") or [])
        json_body = headers.get(b"content-type", b"").split(b";")[0].strip() == b"application/json"
        if not json_body or path.rstrip("/").endswith(_OWN_READERS):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:  # the body is already bounded by ApiBodyLimit around this
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if not body.isascii() or b"\\u" in body:
            with suppress(ValueError):  # not JSON after all: the endpoint answers that as it would
                body = json.dumps(nfc_deep(json.loads(body)), ensure_ascii=False).encode("utf-8")
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"]
                     + [(b"content-length", str(len(body)).encode("ascii"))]}
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}), send)


def _replay(first: dict[str, Any]) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return {"type": "http.disconnect"}

    return receive
