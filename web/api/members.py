"""/api/v1/tenants/{key}/members: the `tenantctl member` commands over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from tenantctl.store.enums import Role
from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, transaction

router = APIRouter(prefix="/tenants/{key}/members", tags=["memberships"])


class Member(BaseModel):
    role: Role = Role.member


@router.get("", summary="A tenant's members")
def list_(request: Request, key: str, role: Role | None = None, limit: int = LIMIT,
          offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import memberships

    with transaction(request, write=False) as ctx:
        p = memberships.list_members(ctx, key, role=role.value if role else None, limit=limit_of(limit),
                                     offset=offset)
    return page(p)


@router.put("/{ident}", summary="Add an existing user (login or e-mail) to the tenant, or change their role")
def add(request: Request, key: str, ident: str, body: Member | None = None) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.add_member(ctx, ident, key, (body.role if body else Role.member).value)
    return ok(data)


@router.delete("/{ident}", summary="Remove a user from the tenant (never its last admin)")
def remove(request: Request, key: str, ident: str) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.remove_member(ctx, ident, key)
    return ok(data)  # after the transaction: its warnings (a person left without a tenant) go along
