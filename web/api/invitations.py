"""/api/v1/invitations: the `tenantctl invite` commands over HTTP (create, list, show, revoke, reissue)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.store import verbs
from tenantctl.store.enums import Billing, InvitationKind, InvitationStatus, Role
from tenantctl.web.api.common import LIMIT, MAX_INT, OFFSET, Id, JSONEnvelope, limit_of, ok, page, route, transaction

router = APIRouter(prefix="/invitations", tags=["invitations"])


class InvitationCreate(BaseModel):
    kind: InvitationKind = Field(..., examples=["partner"])
    origin: str | None = Field(None, examples=["acme"], description="Partner: the inviting tenant (--from); "
                               "member: the tenant the person joins (--tenant).")
    email: str | None = Field(None, examples=["einkauf@mueller.example"])
    customer_name: str | None = Field(None, examples=["Müller GmbH"])
    customer_number: str | None = Field(None, examples=["10001"])
    currency: str | None = Field(None, examples=["EUR"])
    billing: Billing | None = None
    role: Role | None = None
    message: str | None = None
    expires_in: str = Field("7d", examples=["14d"], description="At most 30d.")
    # no lower bound here: the service's own refusal ("--max-uses 0 is out of range") is the CLI's too
    max_uses: int = Field(1, le=MAX_INT, description="How often the link may be used (at least 1).")
    send: bool = Field(False, description="Mail the link instead of returning it (once) in the answer.")
    if_not_exists: bool = Field(False, description="A pending invitation to the same address/company: 200 "
                                "with action unchanged (no new link); with other terms: 409.")


class Reissue(BaseModel):
    expires_in: str = "7d"
    send: bool = False


@route(router, verbs.INVITE_CREATE, status_code=201,
       summary="Create an invitation; the link is in the answer once (or mailed: send)")
def create(request: Request, body: InvitationCreate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True, idempotent=body.send) as ctx:  # unsent, the answer holds the link
        data = answers.create_invitation(ctx, body.kind.value, if_not_exists=body.if_not_exists,
                                         origin=body.origin, email=body.email, customer_name=body.customer_name,
                                         customer_number=body.customer_number, currency=body.currency,
                                         billing=body.billing.value if body.billing else None,
                                         role=body.role.value if body.role else None, message=body.message,
                                         expires_in=body.expires_in, max_uses=body.max_uses, send=body.send)
    return ok(data, 201 if data["action"] == "created" else 200)


@route(router, verbs.INVITE_LIST, summary="Invitations with their status; never a token")
def list_(request: Request, status: InvitationStatus | None = None, kind: InvitationKind | None = None,
          sent: bool = False, received: bool = False, search: str | None = None, limit: int = LIMIT,
          offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import invitations

    with transaction(request, write=False) as ctx:
        p = invitations.list_invitations(ctx, status=status.value if status else None,
                                         kind=kind.value if kind else None, sent=sent, received=received,
                                         search=search, limit=limit_of(limit), offset=offset)
    return page(p)


@route(router, verbs.INVITE_SHOW, summary="One invitation")
def show(request: Request, inv_id: Id) -> JSONEnvelope:
    from tenantctl.store.services import invitations

    with transaction(request, write=False) as ctx:
        data = invitations.show(ctx, inv_id)
    return ok(data)


@route(router, verbs.INVITE_REVOKE, summary="Revoke: the link stops working at once")
def revoke(request: Request, inv_id: Id) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.revoke_invitation(ctx, inv_id)
    return ok(data)


@route(router, verbs.INVITE_REISSUE, summary="A new token and lifetime; the old link dies")
def reissue(request: Request, inv_id: Id, body: Reissue | None = None) -> JSONEnvelope:
    from tenantctl.store.services import answers

    body = body or Reissue()
    with transaction(request, write=True, idempotent=body.send) as ctx:  # unsent, the answer holds the link
        data = answers.reissue_invitation(ctx, inv_id, expires_in=body.expires_in, send=body.send)
    return ok(data)
