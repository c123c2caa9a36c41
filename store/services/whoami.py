"""`tenantctl whoami` / `auth status`: who a command acts as and what that actor may do, described
from the same Actor every rule in store/actor.py reads (so it cannot disagree with them)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from tenantctl.store.context import Ctx
from tenantctl.store.models import ApiToken, Tenant, User
from tenantctl.store.schemas import ts


def describe(ctx: Ctx, token: ApiToken | None = None) -> dict[str, Any]:
    """The actor's label, user, memberships (active tenants only: the others grant nothing) and
    the rights they give, in words; with `token`, the token it came with (never its secret)."""
    s, actor = ctx.session, ctx.actor
    user = s.get(User, actor.user_id) if actor.user_id is not None else None
    tenants = {t.id: t for t in s.exec(select(Tenant).where(col(Tenant.id).in_(list(actor.roles))))}
    memberships = sorted(({"tenant": tenants[tid].key, "kind": str(tenants[tid].kind), "role": str(role)}
                          for tid, role in actor.roles.items() if tid in tenants), key=lambda m: m["tenant"])
    rights: list[str] = []
    if actor.is_operator:
        rights.append("operator: sees and changes everything")
    for m in memberships:
        if m["role"] != "admin":
            rights.append(f"{m['role']} of {m['tenant']}: reads it, changes nothing")
        elif m["kind"] == "reseller":
            rights.append(f"admin of reseller {m['tenant']}: it, its customers and their users")
        elif m["kind"] == "customer":
            rights.append(f"admin of {m['tenant']}: it and its users")
    data: dict[str, Any] = {
        "actor": actor.label, "user": user.login if user else None, "email": user.email if user else None,
        "operator": actor.is_operator, "memberships": memberships, "rights": rights,
    }
    if token is not None:
        data["token"] = {"id": token.id, "name": token.name, "read_only": token.read_only,
                         "expires_at": ts(token.expires_at), "created_at": ts(token.created_at)}
        if token.read_only:
            data["rights"] = [*rights, "read-only token: every change is refused"]
    return data
