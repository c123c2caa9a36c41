"""POST /api/v1/auth/login: the platform's login check, the same service as `tenantctl auth login`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.web.runtime import runtime_of

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    login: str = Field(max_length=320, description="login or e-mail")
    password: str = Field(max_length=1024)


@router.post("/auth/login")
def login(body: LoginRequest, request: Request) -> dict[str, Any]:
    """200 with the user and their memberships, or 401 with the same error for an unknown login,
    a wrong password and a user who may not log in (equal timing: a dummy hash is verified for
    unknown logins); 429 when a client is over its limit, or has failed too often for this person
    (web.login_throttle)."""
    from tenantctl.store.services import passwords
    from tenantctl.web.login_throttle import guarded

    runtime = runtime_of(request)

    def attempt() -> Any:
        # argon2 runs in a read transaction (no write lock held); the login's effects are written
        # after it with a compare-and-set (store.services.passwords.record_login)
        with runtime.transaction(request, write=False) as ctx:
            return passwords.verify_login(ctx, body.login, body.password)

    verified = guarded(request, body.login, attempt)
    with runtime.transaction(request) as ctx:
        data = passwords.record_login(ctx, verified)
    return {"data": data}
