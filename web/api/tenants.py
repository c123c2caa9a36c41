"""/api/v1/tenants: the `tenantctl tenant` commands over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.store import verbs
from tenantctl.store.enums import Billing, Language, TenantKind, TenantStatus
from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, route, transaction

router = APIRouter(prefix="/tenants", tags=["tenants"])


class TenantCreate(BaseModel):
    name: str = Field(..., examples=["Müller & Söhne GmbH"])
    kind: TenantKind = Field(..., examples=["customer"])
    reseller: str | None = Field(None, examples=["acme"], description="A customer's reseller (a reseller's "
                                 "admin may leave it out: their own).")
    key: str | None = Field(None, examples=["mueller-soehne"], description="Default: derived from the name.")
    customer_number: str | None = Field(None, examples=["10001"])
    currency: str | None = Field(None, examples=["EUR"], description="ISO 4217; fixed once set.")
    billing: Billing | None = None
    language: Language | None = None
    external_id: str | None = None
    if_not_exists: bool = Field(False, description="An equal tenant exists: 200 with action unchanged; a "
                                "different one: 409 naming the differences.")
    allow_duplicate_name: bool = Field(False, description="Create it even if the reseller has a tenant of "
                                       "that name.")


class TenantUpdate(BaseModel):
    name: str | None = None
    language: Language | None = None
    external_id: str | None = None
    customer_number: str | None = Field(None, examples=["10042"])
    currency: str | None = None
    billing: Billing | None = None
    reseller: str | None = Field(None, description="Which connection, if the customer has several.")
    mail_sender_name: str | None = Field(None, description="Reseller: sender name of its customers' mails "
                                         "('' for the platform's).")
    mail_reply_to: str | None = Field(None, examples=["service@acme.example"])
    mail_signature: str | None = Field(None, examples=["ACME Reseller AG, +49 30 123"])
    time_zone: str | None = Field(None, examples=["Europe/London"], description="Time zone of the times in its "
                                  "people's mails and pages ('' for the platform's).")


class Decision(BaseModel):
    reason: str | None = None


def _v(value: Any) -> Any:
    return value.value if value is not None and hasattr(value, "value") else value


@route(router, verbs.TENANT_CREATE, status_code=201, summary="Create a reseller, or a customer under a reseller")
def create(request: Request, body: TenantCreate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.create_tenant(ctx, body.name, body.kind.value, if_not_exists=body.if_not_exists,
                                     reseller=body.reseller, key=body.key, customer_number=body.customer_number,
                                     currency=body.currency, billing=_v(body.billing), language=_v(body.language),
                                     external_id=body.external_id, allow_duplicate_name=body.allow_duplicate_name)
    return ok(data, 201 if data["action"] == "created" else 200)


@route(router, verbs.TENANT_LIST, summary="List the tenants the caller can see")
def list_(request: Request, kind: TenantKind | None = None, status: TenantStatus | None = None,
          reseller: str | None = None, search: str | None = None, limit: int = LIMIT,
          offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import tenants

    with transaction(request, write=False) as ctx:
        p = tenants.list_tenants(ctx, kind=_v(kind), status=_v(status), reseller=reseller, search=search,
                                 limit=limit_of(limit), offset=offset)
    return page(p)


@route(router, verbs.TENANT_SHOW, summary="One tenant with its connections")
def show(request: Request, key: str) -> JSONEnvelope:
    from tenantctl.store.services import tenants

    with transaction(request, write=False) as ctx:
        data = tenants.show_tenant(ctx, key)
    return ok(data)


@route(router, verbs.TENANT_UPDATE, summary="Change name, language, external id, or the connection's terms")
def update(request: Request, key: str, body: TenantUpdate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.update_tenant(ctx, key, name=body.name, language=_v(body.language),
                                     external_id=body.external_id, customer_number=body.customer_number,
                                     currency=body.currency, billing=_v(body.billing), reseller=body.reseller,
                                     mail_sender_name=body.mail_sender_name, mail_reply_to=body.mail_reply_to,
                                     mail_signature=body.mail_signature, time_zone=body.time_zone)
    return ok(data)


@route(router, verbs.TENANT_SUSPEND, summary="Suspend a tenant")
def suspend(request: Request, key: str) -> JSONEnvelope:
    return _status(request, key, TenantStatus.suspended)


@route(router, verbs.TENANT_ACTIVATE, summary="Activate a suspended tenant")
def activate(request: Request, key: str) -> JSONEnvelope:
    return _status(request, key, TenantStatus.active)


def _status(request: Request, key: str, status: str) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.set_tenant_status(ctx, key, status)
    return ok(data)


@route(router, verbs.TENANT_APPROVE, summary="Approve a registration (operator)")
def approve(request: Request, key: str, body: Decision | None = None) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.decide_registration(ctx, key, True, body.reason if body else None)
    return ok(data)


@route(router, verbs.TENANT_REJECT, summary="Reject a registration (operator)")
def reject(request: Request, key: str, body: Decision | None = None) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.decide_registration(ctx, key, False, body.reason if body else None)
    return ok(data)


class TenantErase(BaseModel):
    dry_run: bool = Field(False, description="Show the receipt of what would go; change nothing.")


@route(router, verbs.TENANT_ERASE, summary="Erase a departing customer company and its people (GDPR)")
def erase(request: Request, key: str, body: TenantErase) -> JSONEnvelope:
    from tenantctl.store.services import erasure

    with transaction(request, write=True, changes=not body.dry_run) as ctx:
        data = erasure.erase_tenant(ctx, key, dry_run=body.dry_run)
    return ok(data)
