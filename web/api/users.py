"""/api/v1/users: the `tenantctl user` commands over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.store import verbs
from tenantctl.store.enums import Language, Role, UserStatus
from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, ok, page, route, transaction

router = APIRouter(prefix="/users", tags=["users"])


TIME_ZONE = ("Time zone of the times in the person's mails and pages (IANA name); default: their tenant's, "
             "else the platform's time_zone.")


class UserCreate(BaseModel):
    tenant: str = Field(..., examples=["mueller-soehne"], description="Key of the tenant the user belongs to.")
    first_name: str = Field(..., examples=["Max"])
    last_name: str = Field(..., examples=["Müller"])
    email: str = Field(..., examples=["max@mueller.example"])
    role: Role | None = Field(None, description="Default: member.")
    language: Language | None = None
    login: str | None = Field(None, examples=["max.mueller"], description="Default: derived from the name.")
    time_zone: str | None = Field(None, examples=["Europe/London"], description=TIME_ZONE)
    if_not_exists: bool = Field(False, description="An equal user exists: 200 with action unchanged; a "
                                "different one: 409 naming the differences.")


class UserUpdate(BaseModel):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(None, description="Changing it voids the user's open links.")
    language: Language | None = None
    time_zone: str | None = Field(None, examples=["Europe/London"], description=TIME_ZONE + " '' clears it.")


@route(router, verbs.USER_CREATE, status_code=201,
       summary="Create a user in a tenant (the login is derived from the name)")
def create(request: Request, body: UserCreate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.create_user(ctx, body.tenant, body.first_name, body.last_name, body.email,
                                   role=body.role.value if body.role else None,
                                   language=body.language.value if body.language else None, login=body.login,
                                   time_zone=body.time_zone, if_not_exists=body.if_not_exists)
    return ok(data, 201 if data["action"] == "created" else 200)


@route(router, verbs.USER_LIST, summary="List the users the caller can see")
def list_(request: Request, tenant: str | None = None, status: UserStatus | None = None, search: str | None = None,
          limit: int = LIMIT, offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import users

    with transaction(request, write=False) as ctx:
        p = users.list_users(ctx, tenant=tenant, status=status.value if status else None, search=search,
                             limit=limit_of(limit), offset=offset)
    return page(p)


@route(router, verbs.USER_SHOW, summary="One user (login or e-mail) with their memberships")
def show(request: Request, ident: str) -> JSONEnvelope:
    from tenantctl.store.services import user_view, users

    with transaction(request, write=False) as ctx:
        data = user_view.show_user(ctx, users.get_user(ctx, ident))
    return ok(data)  # after the transaction: its warnings (a person no tenant holds) go along


@route(router, verbs.USER_UPDATE, summary="Change a user's name, e-mail, language or time zone")
def update(request: Request, ident: str, body: UserUpdate) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.update_user(ctx, ident, first_name=body.first_name, last_name=body.last_name, email=body.email,
                                 language=body.language.value if body.language else None, time_zone=body.time_zone)
    return ok(data)


@route(router, verbs.USER_DISABLE, summary="Disable a user: no login, open links and API tokens die")
def disable(request: Request, ident: str) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.set_user_enabled(ctx, ident, False)
    return ok(data)


@route(router, verbs.USER_ENABLE, summary="Enable a disabled user")
def enable(request: Request, ident: str) -> JSONEnvelope:
    from tenantctl.store.services import answers

    with transaction(request, write=True) as ctx:
        data = answers.set_user_enabled(ctx, ident, True)
    return ok(data)


class Erase(BaseModel):
    dry_run: bool = Field(False, description="Show the receipt of what would go; change nothing.")


@route(router, verbs.USER_EXPORT, summary="Everything stored about a person (GDPR access request)")
def export(request: Request, ident: str) -> JSONEnvelope:
    from tenantctl.store.services import personal_export

    with transaction(request, write=False) as ctx:
        data = personal_export.export_user(ctx, ident)
    return ok(data)


@route(router, verbs.USER_ERASE, summary="Erase a person (GDPR erasure request): a receipt of what went")
def erase(request: Request, ident: str, body: Erase) -> JSONEnvelope:
    from tenantctl.store.services import erasure

    with transaction(request, write=True, changes=not body.dry_run) as ctx:
        data = erasure.erase_user(ctx, ident, dry_run=body.dry_run)
    return ok(data)
