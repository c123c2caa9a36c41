"""What the recipient of a mail does on the pages of `tenantctl serve`: look at a password link
or an invitation without using it, ask for a reset link, accept an invitation as an existing
account. Each reuses the one write path of its record (passwords.issue_links/redeem/login,
invitations.accept), so the rules, the scope and the audit log are those of the CLI."""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Any

from sqlmodel import col, select

from tenantctl.store import rules
from tenantctl.store.actor import resolve_actor
from tenantctl.store.context import Ctx
from tenantctl.store.enums import (
    ConnectionState,
    InvitationKind,
    InvitationStatus,
    TenantKind,
    TenantStatus,
    UserStatus,
)
from tenantctl.store.models import Connection, Invitation, Membership, Tenant, User
from tenantctl.store.services import invitations, mail_identity, passwords
from tenantctl.store.services.users import find_user_row
from tenantctl.store.types import utcnow


def _reseller_of(ctx: Ctx, tenant: Tenant | None) -> str | None:
    """The reseller a page is branded with: the tenant itself when it is one, else its active reseller."""
    if tenant is None:
        return None
    if tenant.kind == TenantKind.reseller:
        return tenant.name
    if tenant.kind != TenantKind.customer:
        return None
    row = ctx.session.exec(
        select(Tenant.name).join(Connection, col(Connection.reseller_id) == Tenant.id)
        .where(Connection.customer_id == tenant.id, Connection.state == ConnectionState.active)
        .order_by(col(Connection.id))).first()
    return row


# -- password links -----------------------------------------------------------------------------

def password_rules() -> dict[str, int]:
    """The length bounds the set-password page states (the rules are store.passwords.check_policy)."""
    from tenantctl.store.passwords import MAX_LENGTH, MIN_LENGTH

    return {"min": MIN_LENGTH, "max": MAX_LENGTH}


def password_link(ctx: Ctx, token: str) -> dict[str, Any]:
    """What the set-password page shows for a link, without using it; InvalidLink (one error for
    every reason) when it cannot be used."""
    link, user = passwords.check_token(ctx.session, token)
    home = mail_identity.home_tenant(ctx.session, user)
    return {"login": user.login, "name": f"{user.first_name} {user.last_name}", "email": user.email,
            "language": passwords.pick_language(user.language, home.language if home else None,
                                                ctx.settings.default_language),
            "purpose": link.purpose, "expires_at": link.expires_at, "tenant": home.name if home else None,
            "time_zone": mail_identity.person_zone(user, home),
            "reseller": _reseller_of(ctx, home)}


def request_reset(ctx: Ctx, ident: str, *, send: bool = True) -> None:
    """Forgot password: a new link for the account with this login or e-mail, mailed through the
    outbox. Says nothing about whether the account exists (the page answers the same either way);
    nobody is mailed for an unknown or disabled account, one without an active tenant, or (with
    send=False, over the person's rate limit) any account."""
    text = (ident or "").strip()
    if not text or len(text) > 320 or not send:
        return
    user = find_user_row(ctx.session, text)
    # a person who could not log in with a new password (disabled, or no active tenant) gets nothing
    if user is None or user.status == UserStatus.disabled or not passwords.can_log_in(ctx.session, user):
        return
    passwords.issue_links(ctx, [user])


# -- invitations --------------------------------------------------------------------------------

def _open_invitation(ctx: Ctx, token: str) -> Invitation:
    s, now = ctx.session, utcnow()
    token_hash = invitations.hash_token(invitations.extract_token(token))
    inv = s.exec(select(Invitation).where(Invitation.token_hash == token_hash)).first()
    if (inv is None or not hmac.compare_digest(inv.token_hash, token_hash)
            or invitations.status_of(inv, now) != InvitationStatus.pending or inv.uses >= inv.max_uses):
        raise invitations.invalid_token()
    origin = s.get(Tenant, inv.from_tenant_id)
    if origin is None or origin.status != TenantStatus.active:
        raise invitations.invalid_token()
    return inv


def invitation(ctx: Ctx, token: str) -> dict[str, Any]:
    """Who invites whom to what, without using the invitation; the one invalid-token error when it
    cannot be accepted (unknown, used, revoked, expired, from a tenant that is not active)."""
    s = ctx.session
    inv = _open_invitation(ctx, token)
    origin = s.get(Tenant, inv.from_tenant_id)
    assert origin is not None
    inviter = s.get(User, inv.invited_by_user_id) if inv.invited_by_user_id else None
    invitee = (s.exec(select(User).where(User.email_key == rules.email_key(inv.email))).first()
               if inv.email else None)
    # the invitee's own language when they have an account; else the page asks the browser
    language = invitee.language if invitee else None
    return {"kind": inv.kind, "from_name": origin.name, "from_kind": origin.kind,
            "inviter_name": f"{inviter.first_name} {inviter.last_name}" if inviter else None,
            "inviter_org": _organisation_of(ctx, inviter, origin) if inviter else None,
            "password_on_page": invitee is None and invitations.password_on_page(inv),
            "time_zone": invitations.invitee_zone(s, inv, origin) if inv.email else None,
            "email": inv.email, "customer_name": inv.customer_name, "role": inv.role, "message": inv.message,
            "expires_at": inv.expires_at, "invitee_kind": (TenantKind.customer if origin.kind == TenantKind.reseller
                                                           else TenantKind.reseller)
            if inv.kind == InvitationKind.partner else None,
            "invitee_has_account": invitee is not None, "language": language,
            "reseller": _reseller_of(ctx, origin)}


def accept_as(ctx: Ctx, token: str, login: str, password: str, *, tenant: str | None = None) -> dict[str, Any]:
    """An existing account accepts an invitation as itself (S7): its password is checked by the
    login service (the same answer for every failure), then the invitation is accepted with that
    user as the actor, exactly as `tenantctl --as LOGIN invite accept` would."""
    _open_invitation(ctx, token)  # a dead invitation is reported before a password is tried
    data = passwords.login(ctx, login, password)
    as_user = replace(ctx, actor=resolve_actor(ctx.session, data["login"]), after_commit=ctx.after_commit)
    return _named(ctx, invitations.accept(as_user, token, tenant=tenant))


def accept_new(ctx: Ctx, token: str, *, first_name: str, last_name: str, organisation: str | None = None,
               email: str | None = None, password: str | None = None) -> dict[str, Any]:
    """A newcomer accepts: registers (a partner invitation: the organisation and its first admin;
    a member invitation: the person), as `tenantctl invite accept` without --as does; with the
    password chosen on the page when the link came by mail (invitations.password_on_page)."""
    return _named(ctx, invitations.accept(ctx, token, organisation=organisation, first_name=first_name,
                                          last_name=last_name, email=email, password=password))


def _organisation_of(ctx: Ctx, inviter: User, origin: Tenant) -> str:
    """The organisation the inviter acts for: the inviting one when they belong to it, else their
    own (a reseller's admin inviting a person into a customer's organisation is the reseller's)."""
    own = ctx.session.exec(select(Tenant.id, Tenant.name).join(Membership, col(Membership.tenant_id) == Tenant.id)
                           .where(Membership.user_id == inviter.id).order_by(col(Membership.id))).all()
    if not own or any(tid == origin.id for tid, _ in own):
        return origin.name
    return str(own[0][1])


def _named(ctx: Ctx, result: dict[str, Any]) -> dict[str, Any]:
    """The result with the names a person reads (organisations, the reseller deciding)."""
    s = ctx.session
    tenant = s.exec(select(Tenant).where(Tenant.key == result["tenant"])).one()
    origin_key = result["invitation"]["from"]
    origin = s.exec(select(Tenant).where(Tenant.key == origin_key)).one()
    user = find_user_row(s, result["user"])
    reseller, customer = (origin, tenant) if origin.kind == TenantKind.reseller else (tenant, origin)
    return {**result, "tenant_name": tenant.name, "from_name": origin.name, "reseller_name": reseller.name,
            "customer_name": customer.name, "user_email": user.email if user else None}
