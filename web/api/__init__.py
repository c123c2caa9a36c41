"""The JSON API, `/api/v1`: the CLI's commands over HTTP for everyone who must not hold the
database (resellers, their scripts and CI). The services do the work; the routes only map HTTP
to them. `create_api()` builds a sub-application that `tenantctl serve` mounts at /api/v1, so
its OpenAPI document is /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.errors import InvalidInput, NotFound, TenantctlError, UsageError, from_store_exception
from web.api.common import JSONEnvelope, RateLimiter, TooLarge, error_response

PREFIX = "/api/v1"
JSON_MAX_BYTES = 1 << 20  # every request but an upload is a small JSON document
DESCRIPTION = """The commands of `tenantctl` over HTTP, with the same rules, the same JSON
(`{"data": …}`, lists add `"meta": {"total", "limit", "offset"}`; errors
`{"error": {"code", "message", "hint", "details"}}`) and the caller's own scope.

Authenticate with a personal API token in the `Authorization: Bearer tctl_…` header (never in a
URL): `tenantctl token create` or `POST /api/v1/auth/token`. Error codes map to HTTP statuses:
invalid_input 422, not_found 404 (also outside your scope), permission_denied 403,
conflict 409, unauthenticated 401, unreachable 503 (store busy), 413 for a body over the limit,
429 (with Retry-After) over the rate limit."""


class ApiState:
    """The API's store (opened on first use) and settings; `use()` points it elsewhere (tests)."""

    def __init__(self, settings: Any, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._store: Any = None
        self.use(settings)

    def use(self, settings: Any) -> None:
        self.close()
        self.settings = settings
        self.upload_max_bytes = int(settings.import_max_mb) * 1_000_000  # MB as the importer counts them

    @property
    def store(self) -> Any:
        if self._store is None:
            from store.db import Store

            self._store = Store(self.settings.database_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


class BodyLimit:
    """Refuse a body over the limit before it is read whole: by its Content-Length at once, and
    while it streams in otherwise (chunked uploads)."""

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"].rstrip("/").endswith("/imports")
        limit = self.state.upload_max_bytes if upload else JSON_MAX_BYTES
        length = dict(scope["headers"]).get(b"content-length")
        size = int(length) if length is not None and length.isdigit() else None
        if upload:  # the importer's own words (importers/safety.py), with the server's limit
            from urllib.parse import parse_qs

            name = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("filename", ["the file"])[0]
            max_mb = limit // 1_000_000
            what = (f"{name} is {size / 1e6:.0f} MB; the import reads at most {max_mb} MB" if size
                    else f"{name} is larger than {max_mb} MB; the import reads at most {max_mb} MB")
            hint = "split the file, or raise import_max_mb (TENANTCTL_IMPORT_MAX_MB) on the server"
        else:
            what, hint = f"the request body is larger than {limit // 1024} KB", "send less at once"
        if size is not None and size > limit:
            await error_response(TooLarge(what, hint=hint))(scope, receive, send)
            return
        if size is not None:
            what = what.replace(f"is {size / 1e6:.0f} MB", f"is larger than {limit // 1_000_000} MB")
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(what, hint=hint)
            return message

        try:
            await self.app(scope, limited, send)
        except TooLarge as exc:
            await error_response(exc)(scope, receive, send)


def create_api(settings: Any = None, *, rate: float = 20.0, burst: int = 60) -> FastAPI:
    """The /api/v1 application over the store named by `settings` (default: loaded as the CLI does)."""
    from store.settings import load_settings

    state = ApiState(settings or load_settings(), RateLimiter(rate, burst))
    api = FastAPI(title="tenantctl API", version="1", description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url="/docs", redoc_url=None, default_response_class=JSONEnvelope)
    api.state.api = state

    @api.exception_handler(TenantctlError)
    async def _store_error(request: Request, exc: TenantctlError) -> JSONEnvelope:
        return error_response(exc)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONEnvelope:
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg")}
                    for e in exc.errors()]
        first = problems[0] if problems else {"where": "", "message": "invalid request"}
        return error_response(InvalidInput(f"{first['where']}: {first['message']}" if first["where"]
                                           else str(first["message"]),
                                           hint="see /api/v1/openapi.json", details={"problems": problems}))

    @api.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONEnvelope:
        err: TenantctlError
        if exc.status_code == 404:
            err = NotFound(f"no such API path: {request.method} {request.url.path}", hint="see /api/v1/openapi.json")
        else:
            err = UsageError(f"{request.method} {request.url.path}: {exc.detail}", hint="see /api/v1/openapi.json")
        response = error_response(err)
        response.status_code = exc.status_code
        return response

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONEnvelope:
        mapped = from_store_exception(exc)
        if mapped is None:
            import logging

            logging.getLogger("tenantctl.api").exception("internal error in %s %s", request.method, request.url.path)
            mapped = TenantctlError(f"internal error: {type(exc).__name__}",
                                    hint="this is a bug; the server's log has the details")
        return error_response(mapped)

    from web.api import apps, connections, imports, invitations, members, passwords, tenants, tokens, users

    for module in (tokens, tenants, users, members, invitations, connections, passwords, imports, apps):
        api.include_router(module.router)
    api.add_middleware(BodyLimit, state=state)
    _document_bearer(api)
    return api


def _document_bearer(api: FastAPI) -> None:
    """Every route but the login needs `Authorization: Bearer`; say so in the OpenAPI document."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            doc = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes,
                              servers=[{"url": PREFIX}])
            doc.setdefault("components", {})["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer", "bearerFormat": "tctl_<id>_<secret>"}}
            doc["security"] = [{"token": []}]
            doc["paths"]["/auth/token"]["post"]["security"] = []
            api.openapi_schema = doc
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def mount(app: Any, settings: Any = None, **limits: Any) -> FastAPI:
    """Mount the API on `tenantctl serve`'s application at /api/v1 (the parent closes its store
    at shutdown: `api.state.api.close()`)."""
    api = create_api(settings, **limits)
    app.mount(PREFIX, api)
    return api
