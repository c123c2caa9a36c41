"""Creating an invitation (partner or member), its mail, and the token minted at delivery."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session, select

from tenantctl.store import rules, tokens
from tenantctl.store.actor import get_tenant, require_manage
from tenantctl.store.audit import record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Billing, InvitationKind, InvitationStatus, Role, TenantKind, TenantStatus
from tenantctl.store.errors import Conflict, InvalidInput, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.mail.minters import minter
from tenantctl.store.models import Invitation, Membership, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import connections
from tenantctl.store.services.invitations.links import link_for, mint
from tenantctl.store.services.invitations.scope import actor_email_key
from tenantctl.store.services.invitations.status import invitation_out, parse_lifetime, status_of
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

MAX_USES = 10_000


def _check_max_uses(max_uses: int | None) -> int:
    n = 1 if max_uses is None else max_uses
    if not 1 <= n <= MAX_USES:
        raise InvalidInput(f"--max-uses {n} is out of range", hint=f"use 1 (the default) to {MAX_USES}")
    return n


def require_active(t: Tenant) -> None:
    if t.status != TenantStatus.active:
        raise Conflict(f"tenant {t.key!r} is {t.status}; only an active tenant can invite",
                       hint="approve or activate the tenant first")


def _check_not_own(ctx: Ctx, origin: Tenant, email: str | None, kind: str) -> None:
    if email is None:
        return
    key = rules.email_key(email)
    if key == actor_email_key(ctx):
        raise InvalidInput(f"{email} is your own address: you cannot invite yourself",
                           hint="give the invitee's e-mail")
    user = ctx.session.exec(select(User).where(User.email_key == key)).first()
    if user is None:
        return
    member = ctx.session.exec(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.tenant_id == origin.id)).first()
    if member is not None:
        if kind == InvitationKind.partner:
            raise InvalidInput(f"{email} belongs to {origin.key!r} itself: a tenant cannot invite its own organisation",
                               hint="invite the other organisation's contact")
        raise Conflict(f"{user.login} is already a member of {origin.key!r} (role {member.role})",
                       hint=f"change the role with tenantctl member add {user.login} --tenant {origin.key} --role ROLE")


def create(ctx: Ctx, kind: str, *, origin: str | None = None, email: str | None = None,
           customer_name: str | None = None, customer_number: str | None = None, currency: str | None = None,
           billing: str | None = None, role: str | None = None, message: str | None = None,
           expires_in: str | None = None, max_uses: int | None = None, send: bool = False) -> dict[str, Any]:
    """Create an invitation. With send, a mail is queued (the link is minted at delivery);
    otherwise the result holds the link and token, shown this once."""
    s, actor = ctx.session, ctx.actor
    check_choice(kind, InvitationKind, "kind")
    lifetime = parse_lifetime(expires_in)
    uses = _check_max_uses(max_uses)
    email = rules.normalise_email(email) if email is not None and email.strip() else None
    ctx.check_lookalike(email, "e-mail")
    message = rules.clean_message(message, "message")
    if not origin:
        flag = "--from" if kind == InvitationKind.partner else "--tenant"
        raise InvalidInput(f"a {kind} invitation needs the inviting tenant", hint=f"add {flag} KEY")
    t = get_tenant(s, actor, origin)
    if kind == InvitationKind.partner:
        if role is not None:
            raise InvalidInput("--role belongs to member invitations", hint="leave out --role or use --kind member")
        connections.opposite_kind(t.kind)  # the operator cannot invite partners: names the rule
        if not (actor.is_operator or t.id in actor.admin_tenant_ids):
            raise PermissionDenied(f"{actor.label} is not an admin of {t.key!r} and cannot invite partners for it",
                                   hint="ask an admin of that tenant")
        check_choice(billing, Billing, "billing")
        currency = rules.normalise_currency(currency)
        if (customer_number or currency or billing) and t.kind != TenantKind.reseller and not actor.is_operator:
            raise PermissionDenied("customer number, currency and billing are set by the reseller (or the operator), "
                                   "not by the customer", hint="leave them out; the reseller sets them")
        customer_name = rules.clean_name(customer_name, "customer name") if customer_name else None
        customer_number = rules.clean_customer_number(customer_number)
        if customer_number and t.kind == TenantKind.reseller:
            connections.check_customer_number_free(s, t, customer_number)
    else:
        if customer_name or customer_number or currency or billing:
            raise InvalidInput("customer name, number, currency and billing belong to partner invitations",
                               hint="leave them out or use --kind partner")
        if email is None:
            raise InvalidInput("a member invitation needs the person's e-mail", hint="add --email ADDRESS")
        if role is None:
            raise InvalidInput("a member invitation needs the role",
                               hint="add --role " + "|".join(r.value for r in Role))
        check_choice(role, Role, "role")
        if uses != 1:
            raise InvalidInput("a member invitation is for one person and works once", hint="leave out --max-uses")
        require_manage(s, actor, t)
    if send and email is None:
        raise InvalidInput("--send needs the invitee's e-mail", hint="add --email ADDRESS, or leave out --send to "
                           "print the link")
    require_active(t)
    _check_not_own(ctx, t, email, kind)

    inv = Invitation(kind=kind, from_tenant_id=t.id, invited_by=actor.label,  # type: ignore[arg-type]
                     invited_by_user_id=actor.user_id, email=email, customer_name=customer_name,
                     customer_number=customer_number, currency=currency, billing=billing, role=role,
                     message=message, max_uses=uses, expires_at=utcnow() + lifetime,
                     token_hash=tokens.hash_token(secrets.token_urlsafe(32)))  # replaced below: needs the id
    s.add(inv)
    s.flush()
    token = mint(inv)
    s.flush()
    record(s, actor, "invitation.create", "invitation", str(inv.id), t.id, kind=kind, email=email,
           customer_name=customer_name, customer_number=customer_number, currency=currency, billing=billing,
           role=role, max_uses=uses, expires_at=inv.expires_at, delivery="mail" if send else "printed")
    out = invitation_out(s, inv)
    if send:
        queue_mail(ctx, inv, t)
        out["sent_to"] = email
    else:
        out["link"], out["token"] = link_for(ctx.settings, token), token
    return out


def _recipient(s: Session, inv: Invitation, origin: Tenant) -> tuple[str, str]:
    """(address, language): an existing user's own spelling and language, else as invited."""
    assert inv.email is not None
    user = s.exec(select(User).where(User.email_key == rules.email_key(inv.email))).first()
    return (user.email, user.language) if user else (inv.email, origin.language)


def queue_mail(ctx: Ctx, inv: Invitation, origin: Tenant) -> None:
    assert inv.email is not None
    inviter = ctx.session.get(User, inv.invited_by_user_id) if inv.invited_by_user_id else None
    context = {"inviter_name": origin.name, "customer_name": inv.customer_name,
               "invited_by": f"{inviter.first_name} {inviter.last_name}" if inviter else None,
               "role": inv.role, "message": inv.message, "expires_at": ts(inv.expires_at),
               "invitee_kind": (connections.opposite_kind(origin.kind) if inv.kind == InvitationKind.partner
                                else None)}
    address, language = _recipient(ctx.session, inv, origin)
    # a newcomer invited into the organisation lives in its zone; an account has its own
    context["time_zone"] = invitee_zone(ctx.session, inv, origin)
    connections.send_mail(ctx, brand=origin, to_address=address, template=f"invitation_{inv.kind}", language=language,
                          context=context, ref_type="invitation", ref_id=inv.id)
    record(ctx.session, ctx.actor, "invitation.send", "invitation", str(inv.id), origin.id, to=address)


def invitee_zone(s: Session, inv: Invitation, origin: Tenant) -> str | None:
    """The time zone the invitee reads times in (mail_identity.person_zone): an account's own
    (else its home tenant's), a newcomer to a member invitation the inviting tenant's; a new partner
    organisation has none yet (platform's)."""
    from tenantctl.store.services.mail_identity import person_zone, recipient_zone

    assert inv.email is not None
    if find_user_row(s, inv.email) is not None:
        return recipient_zone(s, inv.email)
    return person_zone(None, origin if inv.kind == InvitationKind.member else None)


@minter("invitation")
def mint_for_mail(session: Session, ref_id: int, settings: Settings) -> dict[str, Any] | None:
    """Called at delivery: a fresh token whose hash replaces the stored one (an earlier link dies);
    None when the invitation can no longer be accepted, so the mail is not sent."""
    inv = session.get(Invitation, ref_id)
    if inv is None or status_of(inv) != InvitationStatus.pending or inv.uses >= inv.max_uses:
        return None
    token = mint(inv, mailed=True)
    session.add(inv)
    session.flush()
    return {"link": link_for(settings, token)}

