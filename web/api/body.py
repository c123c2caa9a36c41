"""Request size limits of the API: small JSON documents, and uploads (POST /api/v1/imports) up to
the importer's own limit (import_max_mb), refused with the importer's words before the body is
read whole: at once by its Content-Length, otherwise while it streams in."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from tenantctl.web.api.common import TooLarge
from tenantctl.web.security import MAX_BODY as JSON_MAX_BYTES  # JSON documents: as bounded as the pages' forms
from tenantctl.web.security import bounded, content_length


class ApiBodyLimit:
    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(self.prefix + "/"):
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope, path)
        size = content_length(scope)
        if size is not None and size > limit:
            await self._refuse(scope, receive, send, refusal(size))
            return
        over: list[TooLarge] = []

        def too_large() -> TooLarge:
            over.append(TooLarge(*refusal(None)))
            return over[-1]

        replaced = {"done": False}

        async def send_or_refuse(message: Any) -> None:
            # FastAPI turns any error while it reads a JSON body into 400 "error parsing the body": a
            # body that went over the limit (chunked, or longer than its Content-Length) is a 413
            if message["type"] == "http.response.start" and over:
                replaced["done"] = True
                await self._refuse(scope, receive, send, (over[0].message, over[0].hint))
            if not replaced["done"]:
                await send(message)

        try:
            await self.app(scope, bounded(receive, limit, too_large), send_or_refuse)
        except TooLarge as exc:
            if not replaced["done"]:
                await self._refuse(scope, receive, send, (exc.message, exc.hint))

    def _limit(self, scope: Any, path: str) -> tuple[int, Any]:
        if path.rstrip("/") == self.prefix + "/imports" and scope.get("method") == "POST":
            app = scope["app"]
            max_mb = int(app.state.runtime.settings.import_max_mb)
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            name = query.get("filename", ["the file"])[0]
            hint = "split the file, or raise import_max_mb (TENANTCTL_IMPORT_MAX_MB) on the server"

            def upload(size: int | None) -> tuple[str, str]:
                if size is None:
                    return f"{name} is larger than {max_mb} MB; the import reads at most {max_mb} MB", hint
                return f"{name} is {size / 1e6:.0f} MB; the import reads at most {max_mb} MB", hint

            return max_mb * 1_000_000, upload  # MB as the importer counts them (importers/safety.py)

        if path.rstrip("/") == self.prefix + "/apply" and scope.get("method") == "POST":
            from tenantctl.web.api.apply import MAX_BYTES

            def document(size: int | None) -> tuple[str, str]:
                return f"the document is larger than {MAX_BYTES // (1024 * 1024)} MB", "split the document"

            return MAX_BYTES, document  # as `apply -f` reads at most

        def json_body(size: int | None) -> tuple[str, str]:
            return f"the request body is larger than {JSON_MAX_BYTES // 1024} KB", "send less at once"

        return JSON_MAX_BYTES, json_body

    @staticmethod
    async def _refuse(scope: Any, receive: Any, send: Any, what: tuple[str, str | None]) -> None:
        from tenantctl.web.api.common import JSONEnvelope
        from tenantctl.web.errors import error_body, status_of

        err = TooLarge(what[0], hint=what[1])
        await JSONEnvelope(error_body(err), status_code=status_of(err))(scope, receive, send)
