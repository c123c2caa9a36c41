"""What each mutating command answers: the object as `show` returns it plus `"action"` (created,
updated, unchanged, deleted; store/shapes.py types it). The one place both faces take it from —
the CLI's local mode and the /api/v1 routes — so that remote output equals local output."""

from __future__ import annotations

from typing import Any

from tenantctl.store.context import Ctx
from tenantctl.store.services import (
    apps,
    connections,
    ensure,
    invitations,
    memberships,
    registrations,
    tenants,
    user_view,
    users,
)


def _changed(changed: dict[str, Any]) -> str:
    return "updated" if changed else "unchanged"


# tenants ---------------------------------------------------------------------------------------

def tenant(ctx: Ctx, key: str, action: str, changed: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {**tenants.show_tenant(ctx, key), "action": action}
    if changed is not None:
        data["changed"] = changed
    return data


def create_tenant(ctx: Ctx, name: str, kind: str, *, if_not_exists: bool = False, **attrs: Any) -> dict[str, Any]:
    """`tenant create` (attrs: reseller, key, customer_number, currency, billing, language,
    external_id, allow_duplicate_name)."""
    if if_not_exists:
        t, action = ensure.tenant(ctx, name, kind, **attrs)
    else:
        t, action = tenants.create_tenant(ctx, name, kind, **attrs), "created"
    return tenant(ctx, t.key, action)


def update_tenant(ctx: Ctx, key: str, **changes: Any) -> dict[str, Any]:
    done = tenants.update_tenant(ctx, key, **changes)
    return tenant(ctx, done["key"], _changed(done["changed"]), done["changed"])


def set_tenant_status(ctx: Ctx, key: str, status: str) -> dict[str, Any]:
    done = tenants.set_status(ctx, key, status)
    return tenant(ctx, done["key"], _changed(done["changed"]), done["changed"])


def decide_registration(ctx: Ctx, key: str, approve: bool, reason: str | None) -> dict[str, Any]:
    decide = registrations.approve if approve else registrations.reject
    done = decide(ctx, key, reason)
    return tenant(ctx, done["key"], "updated", done["changed"])


# users -----------------------------------------------------------------------------------------

def user(ctx: Ctx, ident: str, action: str, changed: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {**user_view.show_user(ctx, users.get_user(ctx, ident)), "action": action}
    if changed is not None:
        data["changed"] = changed
    return data


def create_user(ctx: Ctx, tenant_key: str, first_name: str, last_name: str, email: str, *, role: str | None,
                language: str | None, login: str | None, if_not_exists: bool = False,
                time_zone: str | None = None) -> dict[str, Any]:
    if if_not_exists:
        u, action = ensure.user(ctx, tenant_key, first_name, last_name, email, role=role, language=language,
                                login=login, time_zone=time_zone)
    else:
        u = users.create_user(ctx, tenant_key, first_name, last_name, email, role=role or "member",
                              language=language, login=login, time_zone=time_zone)
        action = "created"
    return user(ctx, u.login, action)


def update_user(ctx: Ctx, ident: str, **changes: Any) -> dict[str, Any]:
    done = users.update_user(ctx, ident, **changes)
    return user(ctx, done["login"], _changed(done["changed"]), done["changed"])


def set_user_enabled(ctx: Ctx, ident: str, enabled: bool) -> dict[str, Any]:
    done = users.set_enabled(ctx, ident, enabled)
    return user(ctx, done["login"], _changed(done["changed"]), done["changed"])


# memberships, connections, invitations, apps ---------------------------------------------------

def add_member(ctx: Ctx, ident: str, tenant_key: str, role: str) -> dict[str, Any]:
    data = memberships.add_member(ctx, ident, tenant_key, role)
    data["action"] = ("created" if data["changed"].get("role", [None])[0] is None else "updated") \
        if data["changed"] else "unchanged"
    return data


def remove_member(ctx: Ctx, ident: str, tenant_key: str) -> dict[str, Any]:
    return {**memberships.remove_member(ctx, ident, tenant_key), "action": "deleted"}


def approve_connection(ctx: Ctx, conn_id: int) -> dict[str, Any]:
    return {**connections.approve(ctx, conn_id), "action": "updated"}


def request_info(ctx: Ctx, conn_id: int, message: str) -> dict[str, Any]:
    return {**connections.request_info(ctx, conn_id, message), "action": "updated"}


def answer_connection(ctx: Ctx, conn_id: int, message: str) -> dict[str, Any]:
    return {**connections.answer(ctx, conn_id, message), "action": "updated"}


def reject_connection(ctx: Ctx, conn_id: int, reason: str | None) -> dict[str, Any]:
    return {**connections.reject(ctx, conn_id, reason), "action": "updated"}


def delete_connection(ctx: Ctx, conn_id: int) -> dict[str, Any]:
    return {**connections.delete(ctx, conn_id), "action": "deleted"}


def create_invitation(ctx: Ctx, kind: str, *, if_not_exists: bool = False, **attrs: Any) -> dict[str, Any]:
    """`invite create` (attrs: origin, email, customer_name, customer_number, currency, billing, role,
    message, expires_in, max_uses, send)."""
    if if_not_exists:
        data, action = ensure.invitation(ctx, kind, **attrs)
    else:
        data, action = invitations.create(ctx, kind, **attrs), "created"
    return {**data, "action": action}


def revoke_invitation(ctx: Ctx, inv_id: int) -> dict[str, Any]:
    return {**invitations.revoke(ctx, inv_id), "action": "updated"}


def reissue_invitation(ctx: Ctx, inv_id: int, *, expires_in: str | None, send: bool) -> dict[str, Any]:
    return {**invitations.reissue(ctx, inv_id, expires_in=expires_in, send=send), "action": "updated"}


def create_app(ctx: Ctx, name: str, key: str | None, *, if_not_exists: bool = False) -> dict[str, Any]:
    if if_not_exists:
        data, action = ensure.app(ctx, name, key)
    else:
        data, action = apps.create_app(ctx, name, key), "created"
    return {**data, "action": action}
