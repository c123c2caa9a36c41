"""`--if-not-exists` for every create: the object a create would make may already exist. Equal →
"unchanged" (exit 0, so a script can be re-run); existing with other attributes → Conflict (exit 5)
naming each difference; missing → the ordinary create. Which existing object counts as "the same"
is decided here, once for the commands (and the same way `apply` matches its documents)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from tenantctl.store import rules
from tenantctl.store.actor import visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState, TenantKind
from tenantctl.store.errors import Conflict
from tenantctl.store.models import Application, Connection, Membership, Tenant, User
from tenantctl.store.services import memberships
from tenantctl.store.services import tenants as tenant_service
from tenantctl.store.services import users as user_service

Differences = dict[str, dict[str, Any]]


def _refuse(what: str, diffs: Differences) -> None:
    if not diffs:
        return
    text = "; ".join(f"{name}: {v['stored']!r} stored, {v['given']!r} given" for name, v in diffs.items())
    raise Conflict(f"{what} exists with other attributes ({text})",
                   hint="change it with the update command, or drop --if-not-exists to be told of the clash",
                   details={"differences": diffs})


def _diff(diffs: Differences, name: str, stored: Any, given: Any) -> None:
    if given is not None and stored != given:
        diffs[name] = {"stored": stored, "given": given}


# -- tenants ----------------------------------------------------------------------------------------

def match_tenant(ctx: Ctx, name: str, kind: str, *, reseller: Tenant | None, key: str | None,
                 customer_number: str | None, external_id: str | None) -> Tenant | None:
    """The stored tenant a create of these values means: by key, else by the customer number at
    the reseller, else by external id, else by the same name under the same reseller."""
    s = ctx.session
    if key:
        return tenant_service.find_tenant_row(s, key)
    if customer_number and reseller is not None:
        found = s.exec(select(Tenant).join(Connection, col(Connection.customer_id) == Tenant.id).where(
            Connection.reseller_id == reseller.id, Connection.customer_number == customer_number,
            Connection.state != ConnectionState.rejected)).first()
        if found is not None:
            return found
    if external_id:
        found = s.exec(select(Tenant).where(Tenant.external_id == external_id, Tenant.kind == kind)).first()
        if found is not None:
            return found
    return tenant_service.same_name(s, name, kind, reseller)


def tenant(ctx: Ctx, name: str, kind: str, **attrs: Any) -> tuple[Tenant, str]:
    """(tenant, "created" | "unchanged") for `tenant create --if-not-exists`."""
    from tenantctl.store.actor import get_tenant

    s = ctx.session
    clean = rules.clean_name(name, "tenant name")
    reseller_key = attrs.get("reseller")
    reseller = get_tenant(s, ctx.actor, reseller_key) if reseller_key else None
    if reseller is None and kind == TenantKind.customer and not ctx.actor.is_operator \
            and len(ctx.actor.reseller_ids) == 1:
        reseller = s.get(Tenant, next(iter(ctx.actor.reseller_ids)))
    number = (attrs.get("customer_number") or "").strip() or None
    external_id = (attrs.get("external_id") or "").strip() or None
    key = attrs.get("key")
    existing = match_tenant(ctx, clean, kind, reseller=reseller, key=key.strip().lower() if key else None,
                            customer_number=number, external_id=external_id)
    visible = visible_tenant_ids(s, ctx.actor)
    if existing is None or (visible is not None and existing.id not in visible):
        return tenant_service.create_tenant(ctx, name, kind, **attrs), "created"
    stored = tenant_service.describe(s, existing, ctx.actor)
    diffs: Differences = {}
    _diff(diffs, "name", existing.name, clean)
    _diff(diffs, "kind", existing.kind, kind)
    _diff(diffs, "reseller", stored.get("reseller"), reseller.key if reseller is not None else None)
    _diff(diffs, "customer_number", stored.get("customer_number"), number)
    _diff(diffs, "currency", stored.get("currency"), rules.normalise_currency(attrs.get("currency")))
    _diff(diffs, "billing", stored.get("billing"), attrs.get("billing"))
    _diff(diffs, "language", existing.language, attrs.get("language"))
    _diff(diffs, "external_id", existing.external_id, external_id)
    _refuse(f"tenant {existing.key!r}", diffs)
    return existing, "unchanged"


# -- users ------------------------------------------------------------------------------------------

def user(ctx: Ctx, tenant: str, first_name: str, last_name: str, email: str, *, role: str | None = None,
         language: str | None = None, login: str | None = None, time_zone: str | None = None) -> tuple[User, str]:
    """(user, "created" | "unchanged") for `user create --if-not-exists`: the same e-mail is the
    same person; names, login, language, a given time zone and the membership (with its role) must agree."""
    from tenantctl.store.actor import get_tenant

    s = ctx.session
    address = rules.normalise_email(email)
    existing = s.exec(select(User).where(User.email_key == rules.email_key(address))).first()
    if existing is None:
        return user_service.create_user(ctx, tenant, first_name, last_name, email, role=role or "member",
                                        language=language, login=login, time_zone=time_zone), "created"
    existing = user_service.get_user(ctx, address)  # NotFound outside the actor's scope
    t = get_tenant(s, ctx.actor, tenant)
    diffs: Differences = {}
    _diff(diffs, "first_name", existing.first_name, rules.clean_name(first_name, "first name"))
    _diff(diffs, "last_name", existing.last_name, rules.clean_name(last_name, "last name"))
    _diff(diffs, "login", existing.login, login.strip().lower() if login else None)
    _diff(diffs, "language", existing.language, language)
    if time_zone is not None and (zone := user_service.clean_user_zone(time_zone)) != existing.time_zone:
        diffs["time_zone"] = {"stored": existing.time_zone, "given": zone}
    m = s.exec(select(Membership).where(Membership.user_id == existing.id, Membership.tenant_id == t.id)).first()
    homeless = m is None and s.exec(select(Membership.id).where(Membership.user_id == existing.id)).first() is None
    if m is None and not homeless:
        diffs["membership"] = {"stored": None, "given": f"{t.key} ({role or 'member'})"}
    elif m is not None:
        _diff(diffs, "role", m.role, role)
    _refuse(f"user {existing.login!r}", diffs)
    if homeless:  # a person a tenant in the actor's scope released: brought back, the same account
        memberships.add_member(ctx, existing.login, t.key, role or "member")
        return existing, "updated"
    return existing, "unchanged"


# -- applications -----------------------------------------------------------------------------------

def app(ctx: Ctx, name: str, key: str | None = None) -> tuple[dict[str, Any], str]:
    """(application, "created" | "unchanged") for `app create --if-not-exists`."""
    from tenantctl.store.services import apps

    clean = rules.clean_name(name, "application name")
    wanted = key.strip().lower() if key else rules.tenant_key_base(clean)
    existing = ctx.session.exec(select(Application).where(Application.key == wanted)).first()
    if existing is None:
        return apps.create_app(ctx, name, key), "created"
    _refuse(f"application {existing.key!r}", {"name": {"stored": existing.name, "given": clean}}
            if existing.name != clean else {})
    return apps.app_out(existing), "unchanged"


# -- invitations ------------------------------------------------------------------------------------

def invitation(ctx: Ctx, kind: str, *, origin: str | None, email: str | None, customer_name: str | None,
               **attrs: Any) -> tuple[dict[str, Any], str]:
    """(invitation, "created" | "unchanged") for `invite create --if-not-exists`: a pending
    invitation of this kind from the same tenant to the same address (member) or company (partner)
    is the same one. Its link is not shown again (only its hash is stored): reissue makes a new one."""
    from tenantctl.store.actor import get_tenant
    from tenantctl.store.enums import InvitationStatus
    from tenantctl.store.models import Invitation
    from tenantctl.store.services import invitations

    s = ctx.session
    address = rules.normalise_email(email) if email and email.strip() else None
    company = rules.clean_name(customer_name, "customer name") if customer_name else None
    existing = None
    if origin and (address or company):
        t = get_tenant(s, ctx.actor, origin)
        stmt = select(Invitation).where(Invitation.kind == kind, Invitation.from_tenant_id == t.id)
        for inv in s.exec(stmt.order_by(col(Invitation.id).desc())).all():
            same = (rules.email_key(inv.email or "") == rules.email_key(address)) if address else (
                (inv.customer_name or "").casefold() == (company or "").casefold())
            if same and invitations.status_of(inv) == InvitationStatus.pending:
                existing = inv
                break
    if existing is None:
        return invitations.create(ctx, kind, origin=origin, email=email, customer_name=customer_name,
                                  **attrs), "created"
    invitations.show(ctx, int(existing.id or 0))  # the actor may see it (NotFound otherwise)
    diffs: Differences = {}
    _diff(diffs, "customer_name", existing.customer_name, company)
    _diff(diffs, "customer_number", existing.customer_number, rules.clean_customer_number(attrs.get("customer_number")))
    _diff(diffs, "currency", existing.currency, rules.normalise_currency(attrs.get("currency")))
    _diff(diffs, "billing", existing.billing, attrs.get("billing"))
    _diff(diffs, "role", existing.role, attrs.get("role"))
    _refuse(f"invitation {existing.id}", diffs)
    return invitations.invitation_out(s, existing), "unchanged"
