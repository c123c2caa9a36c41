"""Invitation links (S4–S7): partner invitations (reseller ↔ customer) and member invitations
(a person joins a tenant).

Security (docs/security.md): a token is store/tokens.py's `<invitation id>.<secrets.token_urlsafe(32)>`,
the scheme of password links too; only its SHA-256 is stored. A printed
link is minted at creation and shown once; a mailed link is minted at delivery (`mint_for_mail`),
replacing the stored hash, so the database never holds a usable token. Accepting is an explicit
command; unknown, used, revoked and expired tokens all get the same error; a single-use token is
claimed with one conditional UPDATE, so two simultaneous accepts cannot both succeed."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, update
from sqlmodel import Session, col, func, or_, select

from tenantctl.store import rules, tokens
from tenantctl.store.actor import get_tenant, require_manage
from tenantctl.store.audit import record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.durations import parse_duration
from tenantctl.store.enums import (
    Billing,
    ConnectionState,
    InvitationKind,
    InvitationStatus,
    Role,
    TenantKind,
    TenantStatus,
    UserStatus,
)
from tenantctl.store.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row, operator_tenant
from tenantctl.store.mail.minters import minter
from tenantctl.store.models import Invitation, Membership, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import Page, connections, like, memberships, paginate, passwords, tenants, users
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)
MAX_USES = 10_000
LINK_PATH = "/invite/"
# store/tokens.py's `<id>.<secret>`, like password links; a bare 43-character secret is an
# invitation link minted before the one scheme (its stored hash still works)
TOKEN_RE = re.compile(r"(?:\d{1,18}\.)?[A-Za-z0-9_-]{43}")
TOKEN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.-])(?:\d{1,18}\.)?[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")

# The one error for every token that cannot be used: it reveals nothing about which case it is.
INVALID_TOKEN = ("this invitation link is not valid: unknown, already used, revoked or expired",
                 "ask the sender for a new invitation")


def invalid_token() -> InvalidInput:
    return InvalidInput(*INVALID_TOKEN, details={"reason": "invalid_token"})


# -- tokens and links ---------------------------------------------------------------------------

hash_token = tokens.hash_token


def _mint(inv: Invitation, *, mailed: bool = False) -> str:
    """A fresh `<id>.<secret>` token for the invitation; its hash replaces the stored one (an
    earlier link dies). The row must have its id (flushed). `mailed`: minted for the invitation
    mail, so only the invited mailbox has it (not the inviter, who gets a printed one)."""
    assert inv.id is not None
    token = tokens.new_token(inv.id)
    inv.token_hash = tokens.hash_token(token)
    inv.token_mailed = mailed
    return token


def password_on_page(inv: Invitation) -> bool:
    """A newcomer may choose the password while accepting only when the link reached them at the
    invited address: then holding the link proves that mailbox, as a password link would. A
    printed link (which the inviter holds) or an open invitation without an address still sends
    the password link to the address the newcomer registers."""
    return bool(inv.email) and inv.token_mailed


def link_for(settings: Settings, token: str) -> str:
    return f"{str(settings.base_url).rstrip('/')}{LINK_PATH}{token}"


def extract_token(text: str | None) -> str:
    """The token from what a person pasted: the token itself (surrounding whitespace and quotes
    ignored) or a full link (path segment or ?token=). Refused when not exactly one token is found."""
    raw = (text or "").strip().strip("'\"<>").strip()
    if not raw:
        raise InvalidInput("no invitation token given", hint="paste the link or the token, or use --token-file")
    if TOKEN_RE.fullmatch(raw):
        return raw
    candidates = TOKEN_IN_TEXT.findall(raw)  # the path segment or ?token= value of a pasted link
    unique = set(candidates)
    if len(unique) == 1:
        return unique.pop()
    if not unique:
        raise invalid_token()
    raise InvalidInput("the pasted text holds more than one invitation token", hint="paste exactly one link")


# -- lifetime and status: computed here and nowhere else ----------------------------------------

def parse_lifetime(text: str | None) -> timedelta:
    """`7d`, `12h`, `90m` or a plain number of days; more than 0 and at most 30 days."""
    return parse_duration(text, default=DEFAULT_LIFETIME, maximum=MAX_LIFETIME, example="7d")


def is_expired(inv: Invitation, now: datetime | None = None) -> bool:
    return inv.expires_at <= (now or utcnow())


def status_of(inv: Invitation, now: datetime | None = None) -> str:
    """The status everyone shows: a pending invitation past its expiry is `expired`."""
    if inv.status == InvitationStatus.pending and is_expired(inv, now):
        return InvitationStatus.expired
    return inv.status


def status_clause(status: str, now: datetime) -> Any:
    """The SQL form of status_of(inv) == status (same rule: expires_at <= now is expired)."""
    if status == InvitationStatus.expired:
        return (col(Invitation.status) == InvitationStatus.pending) & (col(Invitation.expires_at) <= now)
    if status == InvitationStatus.pending:
        return (col(Invitation.status) == InvitationStatus.pending) & (col(Invitation.expires_at) > now)
    return col(Invitation.status) == status


def usable_clause(now: datetime) -> Any:
    return status_clause(InvitationStatus.pending, now) & (col(Invitation.uses) < col(Invitation.max_uses))


# -- output -------------------------------------------------------------------------------------

def invitation_out(s: Session, inv: Invitation, now: datetime | None = None) -> dict[str, Any]:
    origin = s.get(Tenant, inv.from_tenant_id)
    accepted = s.get(Tenant, inv.accepted_tenant_id) if inv.accepted_tenant_id else None
    return {
        "id": inv.id, "kind": inv.kind, "status": status_of(inv, now), "from": origin.key if origin else None,
        "from_kind": origin.kind if origin else None, "invited_by": inv.invited_by, "email": inv.email,
        "customer_name": inv.customer_name, "customer_number": inv.customer_number, "currency": inv.currency,
        "billing": inv.billing, "role": inv.role, "message": inv.message, "uses": inv.uses,
        "max_uses": inv.max_uses, "created_at": ts(inv.created_at), "expires_at": ts(inv.expires_at),
        "reissued": inv.reissue_count, "accepted_by": inv.accepted_by, "accepted_at": ts(inv.accepted_at),
        "accepted_tenant": accepted.key if accepted else None, "revoked_by": inv.revoked_by,
        "revoked_at": ts(inv.revoked_at),
    }


# -- scope --------------------------------------------------------------------------------------

def _actor_email_key(ctx: Ctx) -> str | None:
    if ctx.actor.user_id is None:
        return None
    user = ctx.session.get(User, ctx.actor.user_id)
    return user.email_key if user else None


def _sent_clause(ctx: Ctx) -> Any:
    clauses: list[Any] = [col(Invitation.from_tenant_id).in_(ctx.actor.admin_tenant_ids)]
    if ctx.actor.user_id is not None:
        clauses.append(col(Invitation.invited_by_user_id) == ctx.actor.user_id)
    return or_(*clauses)


def _received_clause(ctx: Ctx) -> Any:
    """Addressed to my e-mail (or an admin of my tenants), or accepted by one of my tenants."""
    admin_ids = ctx.actor.admin_tenant_ids
    keys = set(ctx.session.exec(
        select(User.email_key).join(Membership, col(Membership.user_id) == User.id)
        .where(col(Membership.tenant_id).in_(admin_ids), Membership.role == Role.admin)).all()) if admin_ids else set()
    if (mine := _actor_email_key(ctx)) is not None:
        keys.add(mine)
    return or_(func.lower(Invitation.email).in_(keys), col(Invitation.accepted_tenant_id).in_(admin_ids))


def _get(ctx: Ctx, inv_id: int, *, manage: bool = False) -> Invitation:
    """An invitation the actor may see (sent or received); with manage, one its side sent."""
    s = ctx.session
    inv = s.get(Invitation, inv_id)
    if inv is None:
        raise NotFound(f"invitation {inv_id} not found", hint="see tenantctl invite list")
    if ctx.actor.is_operator:
        return inv
    sent = s.exec(select(func.count()).where(Invitation.id == inv_id, _sent_clause(ctx))).one()
    if sent:
        return inv
    received = s.exec(select(func.count()).where(Invitation.id == inv_id, _received_clause(ctx))).one()
    if not received:
        raise NotFound(f"invitation {inv_id} not found", hint="see tenantctl invite list")
    if manage:
        raise PermissionDenied(f"invitation {inv_id} was sent to you; only its sender can change it",
                               hint="accept it with tenantctl invite accept")
    return inv


# -- create -------------------------------------------------------------------------------------

def _check_max_uses(max_uses: int | None) -> int:
    n = 1 if max_uses is None else max_uses
    if not 1 <= n <= MAX_USES:
        raise InvalidInput(f"--max-uses {n} is out of range", hint=f"use 1 (the default) to {MAX_USES}")
    return n


def _require_active(t: Tenant) -> None:
    if t.status != TenantStatus.active:
        raise Conflict(f"tenant {t.key!r} is {t.status}; only an active tenant can invite",
                       hint="approve or activate the tenant first")


def _check_not_own(ctx: Ctx, origin: Tenant, email: str | None, kind: str) -> None:
    if email is None:
        return
    key = rules.email_key(email)
    if key == _actor_email_key(ctx):
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
    _require_active(t)
    _check_not_own(ctx, t, email, kind)

    inv = Invitation(kind=kind, from_tenant_id=t.id, invited_by=actor.label,  # type: ignore[arg-type]
                     invited_by_user_id=actor.user_id, email=email, customer_name=customer_name,
                     customer_number=customer_number, currency=currency, billing=billing, role=role,
                     message=message, max_uses=uses, expires_at=utcnow() + lifetime,
                     token_hash=tokens.hash_token(secrets.token_urlsafe(32)))  # replaced below: needs the id
    s.add(inv)
    s.flush()
    token = _mint(inv)
    s.flush()
    record(s, actor, "invitation.create", "invitation", str(inv.id), t.id, kind=kind, email=email,
           customer_name=customer_name, customer_number=customer_number, currency=currency, billing=billing,
           role=role, max_uses=uses, expires_at=inv.expires_at, delivery="mail" if send else "printed")
    out = invitation_out(s, inv)
    if send:
        _queue_mail(ctx, inv, t)
        out["sent_to"] = email
    else:
        out["link"], out["token"] = link_for(ctx.settings, token), token
    return out


def _recipient(s: Session, inv: Invitation, origin: Tenant) -> tuple[str, str]:
    """(address, language): an existing user's own spelling and language, else as invited."""
    assert inv.email is not None
    user = s.exec(select(User).where(User.email_key == rules.email_key(inv.email))).first()
    return (user.email, user.language) if user else (inv.email, origin.language)


def _queue_mail(ctx: Ctx, inv: Invitation, origin: Tenant) -> None:
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
    token = _mint(inv, mailed=True)
    session.add(inv)
    session.flush()
    return {"link": link_for(settings, token)}


# -- list, show, revoke, reissue ----------------------------------------------------------------

def list_invitations(ctx: Ctx, *, status: str | None = None, kind: str | None = None, sent: bool = False,
                     received: bool = False, search: str | None = None, limit: int | None = None,
                     offset: int = 0) -> Page[dict[str, Any]]:
    s, now = ctx.session, utcnow()
    check_choice(status, InvitationStatus, "status")
    check_choice(kind, InvitationKind, "kind")
    if sent and received:
        raise InvalidInput("--sent and --received exclude each other", hint="give one of them (or neither: both)")
    stmt = select(Invitation).order_by(col(Invitation.id).desc())
    if sent:
        stmt = stmt.where(_sent_clause(ctx))
    elif received:
        stmt = stmt.where(_received_clause(ctx))
    elif not ctx.actor.is_operator:
        stmt = stmt.where(or_(_sent_clause(ctx), _received_clause(ctx)))
    if status:
        stmt = stmt.where(status_clause(status, now))
    if kind:
        stmt = stmt.where(Invitation.kind == kind)
    if search:
        pattern = like(search)
        stmt = stmt.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in
                                (Invitation.customer_name, Invitation.customer_number, Invitation.email))))
    rows, total = paginate(s, stmt, limit, offset)
    return Page([invitation_out(s, inv, now) for inv in rows], total, limit, offset)


def show(ctx: Ctx, inv_id: int) -> dict[str, Any]:
    return invitation_out(ctx.session, _get(ctx, inv_id))


def revoke(ctx: Ctx, inv_id: int) -> dict[str, Any]:
    s = ctx.session
    inv = _get(ctx, inv_id, manage=True)
    if inv.status != InvitationStatus.pending:
        raise Conflict(f"invitation {inv.id} is {inv.status}; only a pending or expired invitation can be revoked")
    old = status_of(inv)
    inv.status, inv.revoked_by, inv.revoked_at = InvitationStatus.revoked, ctx.actor.label, utcnow()
    inv.updated_at = inv.revoked_at
    s.add(inv)
    s.flush()
    record(s, ctx.actor, "invitation.revoke", "invitation", str(inv.id), inv.from_tenant_id,
           changed={"status": [old, InvitationStatus.revoked]})
    return invitation_out(s, inv)


def reissue(ctx: Ctx, inv_id: int, *, expires_in: str | None = None, send: bool = False) -> dict[str, Any]:
    """A new token and lifetime for a pending or expired invitation; the old link dies at once."""
    s = ctx.session
    inv = _get(ctx, inv_id, manage=True)
    if inv.status != InvitationStatus.pending:
        raise Conflict(f"invitation {inv.id} is {inv.status}; only a pending or expired invitation can be reissued",
                       hint="create a new invitation")
    lifetime = parse_lifetime(expires_in)
    if send and inv.email is None:
        raise InvalidInput(f"invitation {inv.id} has no e-mail address to send to", hint="leave out --send")
    origin = s.get(Tenant, inv.from_tenant_id)
    assert origin is not None
    _require_active(origin)
    old_status, old_expiry = status_of(inv), inv.expires_at
    token = _mint(inv)
    inv.expires_at = utcnow() + lifetime
    inv.reissue_count += 1
    inv.updated_at = utcnow()
    s.add(inv)
    s.flush()
    record(s, ctx.actor, "invitation.reissue", "invitation", str(inv.id), inv.from_tenant_id,
           status=old_status, old_expires_at=old_expiry, expires_at=inv.expires_at, reissue=inv.reissue_count,
           delivery="mail" if send else "printed")
    out = invitation_out(s, inv)
    if send:
        _queue_mail(ctx, inv, origin)
        out["sent_to"] = inv.email
    else:
        out["link"], out["token"] = link_for(ctx.settings, token), token
    return out


# -- accept -------------------------------------------------------------------------------------

def _claim(ctx: Ctx, raw_token: str) -> Invitation:
    """Find the invitation and take one use of it atomically, or raise the one invalid-token error.
    The conditional UPDATE is the lock: of two concurrent accepts of a single-use token, the second
    matches no row (SQLite: serialised by BEGIN IMMEDIATE; PostgreSQL: the row lock re-checks)."""
    s, now = ctx.session, utcnow()
    token = extract_token(raw_token)
    token_hash = tokens.hash_token(token)
    parsed = tokens.parse(token)
    if parsed is not None:  # `<id>.<secret>`: the id selects the row, the secret proves possession
        inv = s.get(Invitation, parsed[0])
    else:  # a bare secret from before the one scheme: found by its hash
        inv = s.exec(select(Invitation).where(Invitation.token_hash == token_hash)).first()
    if inv is None or not tokens.same_hash(inv.token_hash, token):
        raise invalid_token()
    result = s.execute(
        update(Invitation)
        .where(col(Invitation.id) == inv.id, col(Invitation.token_hash) == token_hash, usable_clause(now))
        .values(uses=col(Invitation.uses) + 1,
                status=case((col(Invitation.uses) + 1 >= col(Invitation.max_uses), InvitationStatus.accepted.value),
                            else_=col(Invitation.status)),
                accepted_at=now, accepted_by=ctx.actor.label, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise invalid_token()
    s.refresh(inv)
    return inv


def _invitee(ctx: Ctx, inv: Invitation, email: str | None) -> tuple[User | None, str | None]:
    """Who accepts: the acting user (--as), or a new person with the given (or invited) e-mail.
    Accepting for an existing account needs that account's own consent: acting as that user
    (--as now, a login on the page later). The token alone never acts for an existing person or
    organisation, so whoever holds it (the inviter, say) cannot accept for the invitee."""
    s = ctx.session
    given = rules.normalise_email(email) if email and email.strip() else None
    if ctx.actor.user_id is None:
        address = given or inv.email
        if address is None:
            return None, None
        existing = find_user_row(s, address)
        if existing is None:
            return None, address
        # The token holder learns nothing about the account beyond what it typed: no login.
        if not (inv.email and rules.email_key(inv.email) == existing.email_key):
            raise Conflict(f"{address} already belongs to an account; a second account cannot be registered",
                           hint=f"accept as that user: tenantctl --as {address} invite accept",
                           details={"reason": "email_taken", "field": "e-mail"})
        if existing.status == UserStatus.disabled:
            raise InvalidInput(f"{address} belongs to a disabled user who cannot accept",
                               hint="ask an admin to enable the user first (tenantctl user enable)",
                               details={"reason": "user_disabled", "field": "e-mail"})
        raise PermissionDenied(f"{address} belongs to an existing account: accepting for it needs that person, "
                               "acting as themselves", hint=f"the invitee runs: tenantctl --as {address} invite accept",
                               details={"reason": "email_taken", "field": "e-mail"})
    user = s.get(User, ctx.actor.user_id)
    assert user is not None
    if inv.invited_by_user_id == user.id:
        raise PermissionDenied("you sent this invitation: only the invitee can accept it",
                               hint="send the link to the person it is for", details={"reason": "own_invitation"})
    if given and rules.email_key(given) != user.email_key:
        raise InvalidInput(f"--email {given} is not the address of {user.login}, who accepts here",
                           hint="leave out --email when accepting with --as")
    if inv.email and user.email_key != rules.email_key(inv.email):
        raise PermissionDenied(f"this invitation is addressed to another e-mail than {user.login}'s",
                               hint="accept it as the invited person", details={"reason": "other_address"})
    if inv.kind == InvitationKind.partner and s.exec(select(Membership).where(
            Membership.user_id == user.id, Membership.tenant_id == inv.from_tenant_id,
            Membership.role == Role.admin)).first() is not None:
        raise PermissionDenied("this invitation was sent by a tenant you administer: only the invited organisation "
                               "can accept it", hint="send the link to the partner",
                               details={"reason": "own_organisation"})
    if user.status == UserStatus.disabled:
        raise InvalidInput(f"{user.email} belongs to a disabled user ({user.login}) who cannot accept",
                           hint="ask an admin to enable the user first: tenantctl user enable " + user.login,
                           details={"reason": "user_disabled"})
    return user, user.email


def _new_user(ctx: Ctx, tenant: Tenant, first_name: str | None, last_name: str | None, email: str | None,
              role: str, password: str | None = None) -> User:
    missing = [flag for flag, v in (("--first-name", first_name), ("--last-name", last_name), ("--email", email))
               if not (v or "").strip()]
    if missing:
        raise InvalidInput(f"a new user needs {', '.join(missing)}", hint="give the person's first and last name "
                           "and e-mail, or accept as an existing user with --as LOGIN")
    user = users.add_user(ctx, tenant, first_name or "", last_name or "", email or "", role=role, via="invitation")
    if password is None:
        passwords.issue_links(ctx, [user])
    else:
        passwords.set_first_password(ctx, user, password)
    return user


def _admin_tenants(s: Session, user: User) -> list[Tenant]:
    """The active organisations the user administers (only those can be connected by them)."""
    return list(s.exec(select(Tenant).join(Membership, col(Membership.tenant_id) == Tenant.id)
                       .where(Membership.user_id == user.id, Membership.role == Role.admin,
                              Tenant.status == TenantStatus.active).order_by(col(Tenant.key))).all())


def _register_tenant(ctx: Ctx, name: str, kind: str, language: str, inv: Invitation) -> Tenant:
    status = TenantStatus.pending_approval if ctx.settings.registration_approval else TenantStatus.active
    return tenants.register(ctx, rules.clean_name(name, "organisation name"), kind, status=status,
                            language=language, action="tenant.register", invitation=inv.id)


def _accept_partner(ctx: Ctx, inv: Invitation, origin: Tenant, *, organisation: str | None,
                    first_name: str | None, last_name: str | None, email: str | None,
                    tenant: str | None, password: str | None) -> dict[str, Any]:
    s = ctx.session
    want = connections.opposite_kind(origin.kind)
    user, address = _invitee(ctx, inv, email)
    org: Tenant | None = None
    registered = False
    note: str | None = None
    if user is not None:
        mine = _admin_tenants(s, user)
        if tenant:
            org = next((t for t in mine if t.key == tenant.strip().lower()), None)
            if org is None:
                raise NotFound(f"{user.login} is not an admin of a tenant {tenant!r}",
                               hint="give the key of an organisation you administer",
                               details={"reason": "not_admin_of", "field": "tenant key"})
        else:
            fitting = [t for t in mine if t.kind == want]
            if len(fitting) > 1:
                raise InvalidInput(f"{user.login} administers several {want}s: "
                                   f"{', '.join(t.key for t in fitting)}", hint="choose one with --tenant KEY",
                                   details={"reason": "several_tenants", "field": "tenant key",
                                            "keys": ", ".join(t.key for t in fitting)})
            org = fitting[0] if fitting else None
            if org is not None and organisation:
                note = f"{user.login} already administers {org.key!r}: that organisation is connected; " \
                       "no second one is registered"
            if org is None and not organisation and mine:
                connections.pair(mine[0], origin)  # names the broken rule (reseller↔reseller, operator…)
        if org is None:
            if not organisation:
                raise InvalidInput(f"{user.login} administers no {want} to connect",
                                   hint="register one with --organisation NAME",
                                   details={"reason": "no_tenant_to_connect", "kind": want})
            org = _register_tenant(ctx, organisation, want, origin.language, inv)
            memberships.add(ctx, user, org, Role.admin, via="invitation")
            registered = True
    else:
        name = organisation or (inv.customer_name if want == TenantKind.customer else None)
        if not name:
            raise InvalidInput("a new organisation needs its name and first user",
                               hint="give --organisation NAME --first-name F --last-name L --email E, "
                                    "or accept as an existing admin with --as LOGIN")
        org = _register_tenant(ctx, name, want, origin.language, inv)
        user = _new_user(ctx, org, first_name, last_name, address, Role.admin, password)
        registered = True
    if org.id == origin.id:
        raise InvalidInput("an organisation cannot accept its own invitation", hint="send the link to the partner",
                           details={"reason": "own_organisation"})
    # The reseller accredits a customer (S5): a customer joining starts `requested`; a reseller
    # that accepts a customer's invitation has thereby agreed, so that connection is active.
    state = ConnectionState.requested if org.kind == TenantKind.customer else ConnectionState.active
    conn = connections.connect(ctx, origin, org, state=state, customer_number=inv.customer_number,
                               currency=inv.currency, billing=inv.billing, via=f"invitation {inv.id}")
    reseller, customer = (origin, org) if origin.kind == TenantKind.reseller else (org, origin)
    if org.status == TenantStatus.pending_approval:
        op = operator_tenant(s)
        if op is not None:
            connections.notify_admins(ctx, op, "registration_requested", {
                "tenant_name": org.name, "tenant_key": org.key, "tenant_kind": org.kind,
                "invited_by_name": origin.name, "first_user": f"{user.first_name} {user.last_name}",
                "first_user_email": user.email, "base_url": ctx.settings.base_url})
    elif conn.state == ConnectionState.requested:
        connections.announce_request(ctx, conn, reseller, customer)
    return {"tenant": org.key, "tenant_kind": org.kind, "tenant_status": org.status, "registered": registered,
            "user": user.login, "connection": conn.id, "connection_state": conn.state, "note": note,
            "password_set": password is not None and user.password_hash is not None}


def _accept_member(ctx: Ctx, inv: Invitation, origin: Tenant, *, first_name: str | None,
                   last_name: str | None, password: str | None) -> dict[str, Any]:
    s = ctx.session
    user, _ = _invitee(ctx, inv, None)  # a given --email is the invited one (checked in accept)
    created = False
    if user is None:
        user = _new_user(ctx, origin, first_name, last_name, inv.email, inv.role or Role.member, password)
        created = True
    else:
        existing = s.exec(select(Membership).where(Membership.user_id == user.id,
                                                   Membership.tenant_id == origin.id)).first()
        if existing is not None:
            raise Conflict(f"{user.login} is already a member of {origin.key!r} (role {existing.role})",
                           hint="nothing to accept; ask an admin to change the role with tenantctl member add",
                           details={"reason": "already_member"})
        memberships.add(ctx, user, origin, inv.role or Role.member, via="invitation")
    return {"tenant": origin.key, "tenant_kind": origin.kind, "tenant_status": origin.status, "registered": False,
            "user": user.login, "user_created": created, "role": inv.role,
            "password_set": created and password is not None}


def accept(ctx: Ctx, raw_token: str, *, organisation: str | None = None, first_name: str | None = None,
           last_name: str | None = None, email: str | None = None, tenant: str | None = None,
           password: str | None = None) -> dict[str, Any]:
    """Accept (one use of the link). `password`: a newcomer's own password, chosen on the page;
    only for a link that was mailed to the invited address (password_on_page), never for an
    existing account (that one accepts as itself, with its own login)."""
    s = ctx.session
    inv = _claim(ctx, raw_token)
    if password is not None and (ctx.actor.user_id is not None or not password_on_page(inv)):
        raise PermissionDenied("a password can be chosen here only by a newcomer who got the invitation by mail",
                               hint="accept without a password; the password link goes to the invited address",
                               details={"reason": "password_not_here"})
    origin = s.get(Tenant, inv.from_tenant_id)
    assert origin is not None
    if origin.status != TenantStatus.active:
        raise invalid_token()  # an invitation of a suspended or rejected tenant cannot be used
    # An invitation sent to an address is that person's, for either kind: whoever else holds the link
    # (a forwarded mail, the inviter) cannot register under another address (an invitation to an address
    # connects that address's organisation, docs/invitations.md).
    if email and email.strip() and inv.email and \
            rules.email_key(rules.normalise_email(email)) != rules.email_key(inv.email):
        raise InvalidInput("this invitation is for one e-mail address; --email cannot change it",
                           hint="leave out --email, or ask the inviter for an invitation to the other address",
                           details={"reason": "invited_address", "field": "e-mail"})
    if inv.kind == InvitationKind.partner:
        result = _accept_partner(ctx, inv, origin, organisation=organisation, first_name=first_name,
                                 last_name=last_name, email=email, tenant=tenant, password=password)
    else:
        if organisation or tenant:
            raise InvalidInput("a member invitation joins the inviting tenant; --organisation and --tenant do not "
                               "apply", hint="leave them out")
        result = _accept_member(ctx, inv, origin, first_name=first_name, last_name=last_name, password=password)
    accepted = find_user_row(s, result["user"])
    inv.accepted_by = result["user"]
    inv.accepted_tenant_id = s.exec(select(Tenant.id).where(Tenant.key == result["tenant"])).one()
    s.add(inv)
    s.flush()
    record(s, ctx.actor, "invitation.accept", "invitation", str(inv.id), inv.from_tenant_id, kind=inv.kind,
           user=result["user"], tenant=result["tenant"], uses=inv.uses, max_uses=inv.max_uses,
           status=inv.status)
    if inv.invited_by_user_id is not None and accepted is not None and accepted.id != inv.invited_by_user_id:
        inviter = s.get(User, inv.invited_by_user_id)
        if inviter is not None and inviter.status != UserStatus.disabled:
            connections.send_mail(ctx, to_address=inviter.email, to_name=f"{inviter.first_name} {inviter.last_name}",
                                  template="invitation_accepted", language=inviter.language,
                                  context={"first_name": inviter.first_name, "invitation_id": inv.id,
                                           "kind": inv.kind, "inviter_name": origin.name,
                                           "accepted_by_name": f"{accepted.first_name} {accepted.last_name}",
                                           "tenant_name": s.exec(select(Tenant.name).where(
                                               Tenant.key == result["tenant"])).one(),
                                           "customer_name": inv.customer_name, "base_url": ctx.settings.base_url})
    return {"invitation": invitation_out(s, inv), **result}
