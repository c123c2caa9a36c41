"""/api/v1/apps and /api/v1/audit: the application catalogue and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from tenantctl.store import verbs
from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, route, transaction

router = APIRouter(tags=["apps", "audit"])


class AppCreate(BaseModel):
    name: str = Field(..., examples=["Lohnbuchhaltung"])
    key: str | None = None
    if_not_exists: bool = Field(False, description="It exists with this name: 200 with action unchanged; "
                                "otherwise 409.")


@route(router, verbs.APP_CREATE, status_code=201, summary="Add an application to the catalogue (operator)")
def create_app(request: Request, body: AppCreate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.create_app(ctx, body.name, body.key, if_not_exists=body.if_not_exists)
    return ok(data, 201 if data["action"] == "created" else 200)


@route(router, verbs.APP_LIST, summary="The applications with their bookings and access rights")
def list_apps(request: Request) -> JSONEnvelope:
    from tenantctl.store.services import apps

    with transaction(request, write=False) as ctx:
        data = apps.list_apps(ctx)
    return ok(data)


@route(router, verbs.AUDIT_LIST, summary="Audit events in the caller's scope, newest first")
def audit(request: Request, actor: str | None = None, tenant: str | None = None,
          action: str | None = Query(None, examples=["tenant."], description="An action or a prefix."),
          since: str | None = Query(None, examples=["7d"]),
          user: str | None = Query(None, description="Only events about this person (login)."),
          obj: str | None = Query(None, examples=["tenant:acme"], description="Only events about this record."),
          limit: int = LIMIT,
          offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import audit as audit_service

    with transaction(request, write=False) as ctx:
        p = audit_service.list_events(ctx, actor=actor, tenant=tenant, action=action, since=since, user=user, obj=obj,
                                      limit=limit_of(limit), offset=offset)
    return page(p)
