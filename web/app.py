"""The ASGI application: `create_app(settings)` builds it; `tenantctl serve` runs it with uvicorn."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from tenantctl.store.errors import InvalidInput, NotFound, TenantctlError, UsageError, from_store_exception
from tenantctl.web.api import PREFIX, api_router
from tenantctl.web.errors import error_body, headers_of, status_of
from tenantctl.web.limits import Limits
from tenantctl.web.runtime import Runtime
from tenantctl.web.security import Guard

if TYPE_CHECKING:
    from tenantctl.store.settings import Settings

# `tenantctl serve` hands its flags to the (possibly several) worker processes through this variable.
FLAGS_ENV = "TENANTCTL_SERVE_FLAGS"


class ApiSlash:
    """An API path ending in a slash is no resource: `members/a%2F` arrives as `members/a/`, and the
    router's slash redirect (kept for the pages: `/password/set/` → `/password/set`) would send a
    DELETE on to `members/a`, another member. Answered 404 with the error document instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PREFIX + "/") and path.endswith("/"):
            err = NotFound(f"no such API path: {scope['method']} {path}", hint=f"see {PREFIX}/openapi.json")
            await JSONResponse(error_body(err), status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, behind_proxy: bool = False, limits: Limits | None = None,
               workers: int = 1) -> FastAPI:
    runtime = Runtime.open(settings, behind_proxy=behind_proxy, workers=workers)
    app = FastAPI(title="tenantctl", docs_url=None, redoc_url=None, openapi_url=f"{PREFIX}/openapi.json")
    app.state.runtime = runtime
    app.state.limits = limits or Limits.for_store(runtime.store)
    app.include_router(api_router())
    from tenantctl.web import pages

    pages.mount(app)
    _install_error_handlers(app)
    from tenantctl.web.api import document
    from tenantctl.web.api.body import ApiBodyLimit
    from tenantctl.web.api.nfc import ApiNfc

    document(app)
    app.add_middleware(ApiSlash)  # innermost: the guard and the request scope still wrap it
    app.add_middleware(ApiNfc, prefix=PREFIX)  # text in NFC, inside the size limits
    app.add_middleware(ApiBodyLimit, prefix=PREFIX)  # the API's own size limits (uploads), as JSON errors
    from tenantctl.web.request_scope import RequestScope

    app.add_middleware(RequestScope)  # one store connection per request, body timeouts, errors inside Guard
    app.add_middleware(Guard, behind_proxy=behind_proxy, own_limits=PREFIX + "/")
    from tenantctl.web import observe

    observe.install(app)  # /healthz, /readyz; request id and metrics, outermost
    app.router.on_shutdown.append(runtime.close)
    return app


def create_app_from_env() -> FastAPI:
    """The factory uvicorn calls in each worker (`tenantctl serve` set the flags)."""
    from tenantctl.store.settings import load_settings

    flags = json.loads(os.environ.get(FLAGS_ENV) or "{}")
    behind_proxy = bool(flags.pop("behind_proxy", False))
    workers = int(flags.pop("workers", 1))
    return create_app(load_settings(flags=flags), behind_proxy=behind_proxy, workers=workers)


def is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TenantctlError)
    async def tenantctl_error(request: Request, exc: TenantctlError) -> Response:
        if is_api(request):
            return JSONResponse(error_body(exc), status_code=status_of(exc), headers=headers_of(exc))
        from tenantctl.web import pages

        return pages.error_page(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()]
        err = InvalidInput("the request is not valid: " + "; ".join(problems),
                           hint="see the API documentation (docs/api.md)",
                           details={"problems": problems})
        return await tenantctl_error(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_api(request):
            from tenantctl.web import pages

            if exc.status_code == 404:
                return pages.not_found_page(request)
            return pages.request_error_page(request, exc.status_code, exc.headers)
        err: TenantctlError = (NotFound(f"no such API path: {request.method} {request.url.path}",
                                        hint=f"see {PREFIX}/openapi.json") if exc.status_code == 404
                               else UsageError(f"{request.method} {request.url.path}: {exc.detail}",
                                               hint=f"see {PREFIX}/openapi.json"))
        return JSONResponse(error_body(err), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        import logging

        mapped = from_store_exception(exc)  # a locked or changed store is the store's state, not a bug
        if mapped is not None:
            return await tenantctl_error(request, mapped)
        logging.getLogger("tenantctl.web").exception("internal error")
        err = TenantctlError("internal error; the operator finds the details in the server log")
        return await tenantctl_error(request, err)
