"""What `user show` prints beyond the user: open password links and the last mails, so that a
re-run can tell who still needs a link. Its own module: it reads the users, passwords and outbox
services, none of which reads it."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from tenantctl.store.actor import visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.models import Membership, OutboxMail, PasswordLink, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services.mail_identity import home_tenant, person_zone
from tenantctl.store.services.passwords import is_open
from tenantctl.store.services.users import describe
from tenantctl.store.types import utcnow

LAST_MAILS = 5


def open_links(ctx: Ctx, user: User) -> list[dict[str, Any]]:
    """The user's open password links (never a token: only purpose and times)."""
    now = utcnow()
    rows = ctx.session.exec(select(PasswordLink).where(PasswordLink.user_id == user.id,
                                                       col(PasswordLink.used_at).is_(None),
                                                       col(PasswordLink.voided_at).is_(None))
                            .order_by(col(PasswordLink.id))).all()
    return [{"id": link.id, "purpose": link.purpose, "created_at": ts(link.created_at),
             "expires_at": ts(link.expires_at)} for link in rows if is_open(link, user, now)]


def last_mails(ctx: Ctx, user: User, limit: int = LAST_MAILS) -> list[dict[str, Any]]:
    """The newest mails to the user's address (state, attempts, last error)."""
    rows = ctx.session.exec(select(OutboxMail).where(func.lower(OutboxMail.to_address) == user.email_key)
                            .order_by(col(OutboxMail.id).desc()).limit(limit)).all()
    return [{"id": m.id, "template": m.template, "state": m.state, "attempts": m.attempts,
             "last_error": m.last_error, "created_at": ts(m.created_at), "sent_at": ts(m.sent_at)} for m in rows]


def show_user(ctx: Ctx, user: User) -> dict[str, Any]:
    """`user show`: the user, memberships in scope, open links and last mails; for a person no tenant
    holds any more, a warning that says who may bring them back and how."""
    released = released_by(ctx, user)
    if released is not None:
        ctx.warnings.append(f"{user.login} belongs to no tenant since {released} removed them; an admin of {released} "
                            f"(or of its reseller) can bring them back: tenantctl member add {user.login} --tenant KEY")
    return {**describe(ctx, user), **zone_in_use(ctx, user), "open_links": open_links(ctx, user),
            "last_mails": last_mails(ctx, user)}


def zone_in_use(ctx: Ctx, user: User) -> dict[str, str]:
    """The zone of the times in the person's mails and pages (mail_identity.person_zone) and where it
    comes from: their own, their home tenant's, else the platform's setting. `time_zone` alone says
    only the first, so a support person could not tell why a link's expiry read 09:00."""
    if user.time_zone:
        return {"time_zone_in_use": user.time_zone, "time_zone_from": "user"}
    tenant = home_tenant(ctx.session, user)
    zone = person_zone(user, tenant)
    if zone is not None and tenant is not None:
        visible = visible_tenant_ids(ctx.session, ctx.actor)
        # the home tenant may be one the actor does not see (a person of two resellers' customers):
        # its zone is the person's, its key is not the actor's to learn
        named = f"tenant {tenant.key}" if visible is None or tenant.id in visible else "their home tenant"
        return {"time_zone_in_use": zone, "time_zone_from": named}
    return {"time_zone_in_use": str(ctx.settings.time_zone), "time_zone_from": "platform setting time_zone"}


def released_by(ctx: Ctx, user: User) -> str | None:
    """The key of the tenant that removed this person's last membership, while they have none."""
    if user.released_by_tenant_id is None:
        return None
    if ctx.session.exec(select(Membership.id).where(Membership.user_id == user.id)).first() is not None:
        return None
    tenant = ctx.session.get(Tenant, user.released_by_tenant_id)
    return tenant.key if tenant is not None else None
