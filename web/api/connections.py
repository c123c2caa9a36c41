"""/api/v1/connections: the `tenantctl connection` commands over HTTP (accreditation requests)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.store import verbs
from tenantctl.store.enums import ConnectionState
from tenantctl.web.api.common import LIMIT, OFFSET, Id, JSONEnvelope, limit_of, ok, page, route, transaction

router = APIRouter(prefix="/connections", tags=["connections"])


class Message(BaseModel):
    message: str = Field(..., examples=["Please send your VAT id."])


class Reason(BaseModel):
    reason: str | None = Field(None, examples=["not in our region"])


@route(router, verbs.CONNECTION_LIST, summary="Connections of the caller's tenants (the operator: all)")
def list_(request: Request, state: ConnectionState | None = None, tenant: str | None = None,
          search: str | None = None, limit: int = LIMIT, offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import connections

    with transaction(request, write=False) as ctx:
        p = connections.list_connections(ctx, state=state.value if state else None, tenant=tenant, search=search,
                                         limit=limit_of(limit), offset=offset)
    return page(p)


@route(router, verbs.CONNECTION_SHOW, summary="One connection with its request, answer and decision")
def show(request: Request, conn_id: Id) -> JSONEnvelope:
    from tenantctl.store.services import connections

    with transaction(request, write=False) as ctx:
        data = connections.show_connection(ctx, conn_id)
    return ok(data)


@route(router, verbs.CONNECTION_APPROVE, summary="Approve a requested connection (reseller side)")
def approve(request: Request, conn_id: Id) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.approve_connection(ctx, conn_id)
    return ok(data)


@route(router, verbs.CONNECTION_REQUEST_INFO, summary="Ask the customer for more information (reseller side)")
def request_info(request: Request, conn_id: Id, body: Message) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.request_info(ctx, conn_id, body.message)
    return ok(data)


@route(router, verbs.CONNECTION_ANSWER, summary="Answer the reseller's question (customer side)")
def answer(request: Request, conn_id: Id, body: Message) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.answer_connection(ctx, conn_id, body.message)
    return ok(data)


@route(router, verbs.CONNECTION_REJECT, summary="Reject a connection request (reseller side)")
def reject(request: Request, conn_id: Id, body: Reason | None = None) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.reject_connection(ctx, conn_id, body.reason if body else None)
    return ok(data)


@route(router, verbs.CONNECTION_DELETE, summary="Delete a connection that is not active")
def delete(request: Request, conn_id: Id) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.delete_connection(ctx, conn_id)
    return ok(data)
