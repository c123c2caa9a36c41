"""Accepting an invitation: claim one use of the token atomically, decide who accepts (an
existing account only as itself), then join the tenant (member) or register and connect the
organisation (partner)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from tenantctl.store import rules, tokens
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import (
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
from tenantctl.store.models import Invitation, Membership, Tenant, User
from tenantctl.store.services import connections, memberships, passwords, tenants, users
from tenantctl.store.services.invitations.links import extract_token, invalid_token, password_on_page
from tenantctl.store.services.invitations.status import invitation_out, usable_clause
from tenantctl.store.types import utcnow


def claim(ctx: Ctx, raw_token: str) -> Invitation:
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
    inv = claim(ctx, raw_token)
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
