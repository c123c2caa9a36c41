"""/api/v1/lookup: exact look-ups for scripts (`tenant show --customer-number/--external-id`,
`user show --email`), answered as `show` answers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from tenantctl.store import verbs
from tenantctl.web.api.common import JSONEnvelope, ok, route, transaction

router = APIRouter(prefix="/lookup", tags=["tenants", "users"])


@route(router, verbs.TENANT_LOOKUP, summary="Exactly one tenant by customer number (at a reseller) or external id")
def tenant(request: Request, customer_number: str | None = None, external_id: str | None = None,
           reseller: str | None = None) -> JSONEnvelope:
    from tenantctl.store.services import tenants

    with transaction(request, write=False) as ctx:
        found = tenants.find_exact(ctx, customer_number=customer_number, external_id=external_id, reseller=reseller)
        data = tenants.show_tenant(ctx, found.key)
    return ok(data)


@route(router, verbs.USER_LOOKUP, summary="Exactly the user with this e-mail (never a login)")
def user(request: Request, email: str) -> JSONEnvelope:
    from tenantctl.store.services import user_view, users

    with transaction(request, write=False) as ctx:
        data = user_view.show_user(ctx, users.get_user_by_email(ctx, email))
    return ok(data)  # after the transaction: its warnings go along
