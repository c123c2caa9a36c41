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
    from tenantctl.web.api import (
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
            declare_answers(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi


# What every route can answer besides its success, with the error envelope (web/errors.py): bad
# usage or a key on a route that takes none 400, no or a bad token 401, a role too weak 403, out of
# scope 404, a body too slow 408, the store's state 409, a body too large 413, invalid input 422, a
# rate limit 429 and a busy or unreachable store 503 (both with Retry-After).
ERRORS = {
    "400": "Bad usage (e.g. an Idempotency-Key on a route whose answer holds a secret)",
    "401": "No API token, or not a valid one",
    "403": "The token's user may not do this (or the token is read-only)",
    "404": "Not found, or outside the caller's scope",
    "408": "The request body did not arrive in time",
    "409": "Conflicts with the store's state (also: the same Idempotency-Key still running)",
    "413": "The request body is larger than the limit",
    "422": "Invalid input (also: an Idempotency-Key used for another request)",
    "429": "Over a rate limit; see Retry-After",
    "503": "The server or its store is busy or unreachable; nothing was done; see Retry-After",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}
ENVELOPE = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "hint": {"type": ["string", "null"]}, "details": {"type": "object"}}}},
}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "description": "A fresh value per creating request: a retry with the same key and request gets "
                                  "the first answer (Idempotent-Replayed: true) instead of a second change; kept 24 h.",
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255}}


def declare_answers(doc: dict[str, Any]) -> None:
    """Every operation declares every status it can answer: the error envelope for each error, 200
    next to a 201 (an `if_not_exists` that found its object), 207 where a POST did part of its work;
    POSTs take an Idempotency-Key."""
    doc["components"].setdefault("schemas", {})["Error"] = ENVELOPE
    ref = {"$ref": "#/components/schemas/Error"}
    for ops in doc["paths"].values():
        for method, op in ops.items():
            answers = op.setdefault("responses", {})
            for status, description in ERRORS.items():
                answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": ref}}}
                if status in ("429", "503"):
                    answer["headers"] = RETRY_AFTER
                answers[status] = answer
            if "201" in answers and "200" not in answers:
                answers["200"] = {**answers["201"], "description": "Unchanged: an equal object exists (if_not_exists)"}
            if method == "post":
                answers["207"] = {"description": "Partly done (see the details)",
                                  "content": {"application/json": {"schema": ref}}}
                op.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
