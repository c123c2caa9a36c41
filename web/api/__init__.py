"""The JSON API under /api/v1. Each area is its own module with an APIRouter; add it to ROUTERS
and it is mounted (the pages never need to change for that).

The API is the CLI's commands over HTTP for everyone who must not hold the database (resellers,
their scripts and CI): the services do the work, the routes only map HTTP to them, and the JSON
is the CLI's --json envelope. Every route but the two logins needs `Authorization: Bearer
<API token>` (web/api/common.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

PREFIX = "/api/v1"
DESCRIPTION = """The commands of `tenantctl` over HTTP, with the same rules, the same JSON
(`{"data": …}`, lists add `"meta": {"total", "limit", "offset"}`; errors
`{"error": {"code", "message", "hint", "details"}}`) and the caller's own scope.

Authenticate with a personal API token in the `Authorization: Bearer tctl_…` header (never in a
URL): `tenantctl token create` or `POST /api/v1/auth/token`. Error codes map to HTTP statuses:
invalid_input 422, not_found 404 (also outside your scope), permission_denied 403,
conflict 409, unauthenticated 401, unreachable 503 (store busy), 413 for a body over the limit,
429 (with Retry-After) over a rate limit. Lists page with `limit` (default 100, 0 for all) and
`offset`."""


def routers() -> list[APIRouter]:
    from web.api import (
        apply,
        apps,
        auth,
        connections,
        imports,
        invitations,
        lookups,
        mail,
        members,
        passwords,
        tenants,
        tokens,
        users,
    )

    return [auth.router, tokens.router, tenants.router, users.router, members.router, invitations.router,
            connections.router, passwords.router, imports.router, apply.router, apps.router, lookups.router,
            mail.router]


def api_router() -> APIRouter:
    root = APIRouter(prefix=PREFIX)
    for router in routers():
        root.include_router(router)
    return root


def document(app: Any) -> None:
    """The OpenAPI document (/api/v1/openapi.json): only the API's routes, the Bearer scheme on
    every route but the logins, and the description above."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title="tenantctl API", version="1", description=DESCRIPTION, routes=app.routes)
            doc["paths"] = {p: v for p, v in doc["paths"].items() if p.startswith(PREFIX + "/")}
            doc.setdefault("components", {})["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer", "bearerFormat": "tctl_<id>_<secret>"}}
            doc["security"] = [{"token": []}]
            for path in (f"{PREFIX}/auth/token", f"{PREFIX}/auth/login"):
                if path in doc["paths"]:
                    doc["paths"][path]["post"]["security"] = []
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi
