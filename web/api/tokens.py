"""/api/v1/tokens and /api/v1/auth/token: personal API tokens (`tenantctl token`, `tenantctl login`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, transaction

router = APIRouter(tags=["tokens"])


class TokenCreate(BaseModel):
    name: str | None = Field(None, examples=["ci"], description="What it is for; shown in the audit log.")
    expires_in: str | None = Field("90d", examples=["90d"], description="Lifetime, at most 366d.")
    read_only: bool = Field(False, description="Every change made with it is refused.")


class Login(TokenCreate):
    login: str = Field(..., examples=["rita.schroeder"], description="Login or e-mail.")
    password: str = Field(..., examples=["correct horse battery staple"])


@router.post("/tokens", status_code=201, summary="Create a token for the calling user (shown once)")
def create(request: Request, body: TokenCreate) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens

    with transaction(request, write=True, idempotent=False) as ctx:  # the answer holds the token
        data = api_tokens.create(ctx, name=body.name, expires_in=body.expires_in, read_only=body.read_only)
    return ok(data, 201)


@router.get("/tokens", summary="List tokens (the operator: anyone's with all/user); never a secret")
def list_(request: Request, all: bool = False, user: str | None = None, inactive: bool = False,
          limit: int = LIMIT, offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens

    with transaction(request, write=False) as ctx:
        p = api_tokens.list_tokens(ctx, user=user, all_users=all, include_inactive=inactive, limit=limit_of(limit),
                                   offset=offset)
    return page(p)


@router.delete("/tokens/current", summary="Revoke the token this request came with (tenantctl logout)")
def revoke_current(request: Request) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens
    from tenantctl.web.api.common import bearer

    raw = bearer(request)
    with transaction(request, write=True, changes=False) as ctx:  # a read-only token may end itself
        data = api_tokens.revoke_presented(ctx, raw)
    return ok(data)


@router.delete("/tokens/{ref}", summary="Revoke a token by id or name (yours; the operator: anyone's)")
def revoke(request: Request, ref: str, user: str | None = None) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens
    from tenantctl.web.api.common import bearer

    itself = user is None and str(api_tokens.id_of(bearer(request))) == ref  # a read-only token may end itself
    with transaction(request, write=True, changes=not itself) as ctx:
        data = api_tokens.revoke(ctx, ref, user)
    return ok(data)


@router.post("/auth/token", status_code=201, summary="Log in with login and password; get a new token",
             description="The one call without a token. Unknown login, wrong password and disabled user "
                         "get the same 401. Counts as a login (the user's open password links die).")
def login(request: Request, body: Login) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens
    from tenantctl.web.login_throttle import guarded

    def attempt() -> Any:
        with transaction(request, write=True, anonymous=True) as ctx:
            return api_tokens.login_and_create(ctx, body.login, body.password, name=body.name,
                                               expires_in=body.expires_in, read_only=body.read_only)

    return ok(guarded(request, body.login, attempt), 201)


@router.get("/auth/status", summary="Who the token acts as: user, memberships, rights, the token itself")
def status(request: Request) -> JSONEnvelope:
    from tenantctl.store.services import api_tokens, whoami
    from tenantctl.web.api.common import bearer

    with transaction(request, write=False) as ctx:
        _, token = api_tokens.authenticate(ctx.session, bearer(request))
        data = whoami.describe(ctx, token)
    return ok(data)
