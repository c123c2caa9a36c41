"""/api/v1/apps and /api/v1/audit: the application catalogue and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, transaction

router = APIRouter(tags=["apps", "audit"])


class AppCreate(BaseModel):
    name: str = Field(..., examples=["Lohnbuchhaltung"])
    key: str | None = None


@router.post("/apps", status_code=201, summary="Add an application to the catalogue (operator)")
def create_app(request: Request, body: AppCreate) -> JSONEnvelope:
    from store.services import apps

    with transaction(request, write=True) as ctx:
        return ok(apps.create_app(ctx, body.name, body.key), 201)


@router.get("/apps", summary="The applications with their bookings and access rights")
def list_apps(request: Request) -> JSONEnvelope:
    from store.services import apps

    with transaction(request, write=False) as ctx:
        return ok(apps.list_apps(ctx))


@router.get("/audit", summary="Audit events in the caller's scope, newest first")
def audit(request: Request, actor: str | None = None, tenant: str | None = None, action: str | None = None,
          since: str | None = Query(None, examples=["7d"]), limit: int = LIMIT,
          offset: int = OFFSET) -> JSONEnvelope:
    from store.services import audit as audit_service

    with transaction(request, write=False) as ctx:
        p = audit_service.list_events(ctx, actor=actor, tenant=tenant, action=action, since=since,
                                      limit=limit_of(limit), offset=offset)
    return page(p)
