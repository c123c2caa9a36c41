"""Tenants (resellers, customers, the operator) and the reseller↔customer connection made when a
customer is created under a reseller."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, case, col, func, or_, select

from tenantctl.store import rules
from tenantctl.store.actor import (
    Actor,
    commercial_terms,
    commercial_terms_clause,
    get_tenant,
    require_commercial_terms,
    sees_commercial_terms,
    visible_tenant_ids,
)
from tenantctl.store.audit import changes, record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Billing, ConnectionState, Language, TenantKind, TenantStatus
from tenantctl.store.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tenantctl.store.lookup import find_tenant_row
from tenantctl.store.models import Connection, Membership, Tenant
from tenantctl.store.schemas import tenant_out
from tenantctl.store.services import Page, connections, like, paginate
from tenantctl.store.types import utcnow

STATE_PREFERENCE = {ConnectionState.active: 0, ConnectionState.requested: 1,
                    ConnectionState.info_requested: 2, ConnectionState.rejected: 3}


def unique_tenant_key(session: Session, name: str) -> str:
    base = rules.tenant_key_base(name)
    taken = set(session.exec(select(Tenant.key).where(col(Tenant.key).startswith(base))).all())
    n = 1
    while (candidate := rules.with_suffix(base, n, "-", rules.KEY_MAX)) in taken:
        n += 1
    return candidate


def register(ctx: Ctx, name: str, kind: str, *, key: str | None = None, status: str = TenantStatus.active,
             language: str | None = None, external_id: str | None = None, action: str = "tenant.create",
             **details: Any) -> Tenant:
    """The one write path for a new tenant (tenant create, invitations, init): validated name, a
    free key (given or derived), the audit event. Scope is the caller's check."""
    s = ctx.session
    name = rules.clean_name(name, "tenant name")
    language = check_choice(language, Language, "language") or ctx.settings.default_language
    if key:
        key = rules.check_tenant_key(key.strip().lower())
        if find_tenant_row(s, key):
            raise Conflict(f"tenant key {key!r} is taken", hint="choose another --key or leave it out")
    else:
        key = unique_tenant_key(s, name)
    tenant = Tenant(key=key, name=name, kind=kind, status=status, language=language,
                    external_id=rules.clean_external_id(external_id), created_by=ctx.actor.label)
    s.add(tenant)
    s.flush()
    if status != TenantStatus.active:
        details["status"] = status
    record(s, ctx.actor, action, "tenant", key, tenant.id, name=name, kind=kind, **details)
    return tenant


def connections_of(session: Session, customer_ids: list[int],
                   actor: Actor | None = None) -> dict[int, tuple[Connection, str]]:
    """The preferred connection of each customer with the reseller's key: for an actor, first one
    whose terms it may see (a reseller sees its own connection to a shared customer), then by state."""
    if not customer_ids:
        return {}
    rows = session.exec(
        select(Connection, Tenant.key)
        .join(Tenant, col(Tenant.id) == Connection.reseller_id)
        .where(col(Connection.customer_id).in_(customer_ids))
    ).all()

    def rank(conn: Connection) -> tuple[bool, int]:
        hidden = actor is not None and not sees_commercial_terms(actor, conn)
        return hidden, STATE_PREFERENCE[ConnectionState(conn.state)]

    best: dict[int, tuple[Connection, str]] = {}
    for conn, reseller_key in rows:
        current = best.get(conn.customer_id)
        if current is None or rank(conn) < rank(current[0]):
            best[conn.customer_id] = (conn, reseller_key)
    return best


def describe(session: Session, tenant: Tenant, actor: Actor | None = None) -> dict[str, Any]:
    """The tenant as `show` prints it; for an actor, with the connection and terms it may see."""
    conn = connections_of(session, [tenant.id], actor).get(tenant.id) if tenant.id else None
    return tenant_out(tenant, conn[0] if conn else None, conn[1] if conn else None,
                      commercial_terms(actor, conn[0] if conn else None) if actor is not None else None)


def _default_reseller(ctx: Ctx) -> Tenant:
    if len(ctx.actor.reseller_ids) == 1:
        (rid,) = ctx.actor.reseller_ids
        tenant = ctx.session.get(Tenant, rid)
        assert tenant is not None
        return tenant
    raise InvalidInput("a customer needs its reseller", hint="add --reseller KEY")


def create_tenant(ctx: Ctx, name: str, kind: str, *, reseller: str | None = None, key: str | None = None,
                  customer_number: str | None = None, currency: str | None = None,
                  billing: str | None = None, language: str | None = None,
                  external_id: str | None = None, status: str = TenantStatus.active,
                  allow_duplicate_name: bool = False) -> Tenant:
    s, actor = ctx.session, ctx.actor
    name = rules.clean_name(name, "tenant name")
    ctx.check_lookalike(name, "tenant name")
    check_choice(kind, (TenantKind.reseller, TenantKind.customer), "kind")
    language = check_choice(language, Language, "language") or ctx.settings.default_language
    check_choice(billing, Billing, "billing")
    currency = rules.normalise_currency(currency)
    customer_number = rules.clean_customer_number(customer_number)
    external_id = rules.clean_external_id(external_id)

    reseller_tenant: Tenant | None = None
    if kind == TenantKind.customer:
        if reseller:
            reseller_tenant = get_tenant(s, actor, reseller)
        elif not actor.is_operator:
            reseller_tenant = _default_reseller(ctx)
        if reseller_tenant is not None and reseller_tenant.kind != TenantKind.reseller:
            raise InvalidInput(
                f"{reseller_tenant.key!r} is a {reseller_tenant.kind}: a customer can only be created under a reseller",
                hint="pass the key of a reseller to --reseller",
            )
    elif reseller:
        raise InvalidInput("only a customer can have a reseller", hint="drop --reseller or use --kind customer")
    if reseller_tenant is None and (customer_number or currency or billing):
        raise InvalidInput("customer number, currency and billing belong to a reseller connection",
                           hint="add --reseller KEY")

    # Scope: operators create anything; reseller admins create customers under their own reseller.
    if not actor.is_operator and (reseller_tenant is None or reseller_tenant.id not in actor.reseller_ids):
        raise PermissionDenied(f"{actor.label} may not create a {kind} here",
                               hint="reseller admins create customers under their own reseller")

    if reseller_tenant is not None:
        require_commercial_terms(actor, reseller_tenant)
    if not allow_duplicate_name:
        twin = same_name(s, name, kind, reseller_tenant)
        if twin is not None:
            where = f"under reseller {reseller_tenant.key!r}" if reseller_tenant is not None else f"among {kind}s"
            raise Conflict(f"a tenant named {name!r} already exists {where}: {twin.key!r}",
                           hint="use that tenant (tenantctl tenant show " + twin.key + "), or add "
                                "--allow-duplicate-name if it really is another company")
    tenant = register(ctx, name, kind, key=key, status=status, language=language, external_id=external_id,
                      reseller=reseller_tenant.key if reseller_tenant else None)
    if reseller_tenant is not None:
        connections.connect(ctx, reseller_tenant, tenant, state=ConnectionState.active,
                            customer_number=customer_number, currency=currency, billing=billing)
    return tenant


def list_tenants(ctx: Ctx, *, kind: str | None = None, status: str | None = None, reseller: str | None = None,
                 search: str | None = None, limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    check_choice(kind, TenantKind, "kind")
    check_choice(status, TenantStatus, "status")
    kind_rank = case({TenantKind.operator.value: 0, TenantKind.reseller.value: 1}, value=Tenant.kind, else_=2)
    stmt = select(Tenant).order_by(kind_rank, col(Tenant.key))
    visible = visible_tenant_ids(s, ctx.actor)
    if visible is not None:
        stmt = stmt.where(col(Tenant.id).in_(visible))
    if kind:
        stmt = stmt.where(Tenant.kind == kind)
    if status:
        stmt = stmt.where(Tenant.status == status)
    if reseller:
        r = get_tenant(s, ctx.actor, reseller)
        stmt = stmt.where(col(Tenant.id).in_(select(Connection.customer_id).where(Connection.reseller_id == r.id)))
    if search:
        pattern = like(search)
        numbers = select(Connection.customer_id).where(
            func.lower(Connection.customer_number).like(pattern, escape="\\"))
        if (own_terms := commercial_terms_clause(ctx.actor)) is not None:  # never by another's number
            numbers = numbers.where(own_terms)
        stmt = stmt.where(or_(func.lower(Tenant.name).like(pattern, escape="\\"),
                              func.lower(Tenant.key).like(pattern, escape="\\"),
                              func.lower(Tenant.external_id).like(pattern, escape="\\"),
                              col(Tenant.id).in_(numbers)))
    items, total = paginate(s, stmt, limit, offset)
    conns = connections_of(s, [t.id for t in items if t.kind == TenantKind.customer], ctx.actor)
    out = []
    for t in items:
        c = conns.get(t.id or 0)
        out.append(tenant_out(t, c[0] if c else None, c[1] if c else None,
                              commercial_terms(ctx.actor, c[0] if c else None)))
    return Page(out, total, limit, offset)


def show_tenant(ctx: Ctx, key: str) -> dict[str, Any]:
    s = ctx.session
    tenant = get_tenant(s, ctx.actor, key)
    out = describe(s, tenant, ctx.actor)
    rows = s.exec(
        select(Connection, Tenant)
        .join(Tenant, or_(
            (col(Tenant.id) == Connection.customer_id) & (Connection.reseller_id == tenant.id),
            (col(Tenant.id) == Connection.reseller_id) & (Connection.customer_id == tenant.id),
        ))
        .order_by(col(Connection.id))
    ).all()
    visible = visible_tenant_ids(s, ctx.actor)
    out["connections"] = [
        {"id": c.id, "partner": other.key, "partner_kind": other.kind, "state": c.state,
         **commercial_terms(ctx.actor, c)}
        for c, other in rows if visible is None or other.id in visible
    ]
    out["members"] = s.exec(select(func.count()).where(Membership.tenant_id == tenant.id)).one()
    return out


def update_tenant(ctx: Ctx, key: str, *, name: str | None = None, language: str | None = None,
                  external_id: str | None = None, customer_number: str | None = None,
                  currency: str | None = None, billing: str | None = None,
                  reseller: str | None = None, mail_sender_name: str | None = None,
                  mail_reply_to: str | None = None, mail_signature: str | None = None,
                  time_zone: str | None = None) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    tenant = get_tenant(s, actor, key, manage=True)
    changed = changes(tenant, {
        "name": rules.clean_name(name, "tenant name") if name is not None else None,
        "language": check_choice(language, Language, "language"),
        "external_id": (rules.clean_external_id(external_id) or "") if external_id is not None else None,
    })
    if time_zone is not None:  # '' clears: the platform's time_zone again
        zone = rules.clean_time_zone(time_zone)
        if zone != tenant.time_zone:
            changed["time_zone"] = [tenant.time_zone, zone]
            tenant.time_zone = zone
    identity = (mail_sender_name, mail_reply_to, mail_signature)
    if any(v is not None for v in identity):
        from tenantctl.store.services import mail_identity

        changed.update(mail_identity.apply(tenant, *identity))
    conn_changed: dict[str, list[Any]] = {}
    if customer_number is not None or currency is not None or billing is not None:
        conn = _connection_for_update(ctx, tenant, reseller)
        reseller_of = s.get(Tenant, conn.reseller_id)
        assert reseller_of is not None
        require_commercial_terms(actor, reseller_of)
        new_currency = rules.normalise_currency(currency)
        rules.check_currency_change(conn.currency, new_currency)
        number = rules.clean_customer_number(customer_number) if customer_number is not None else None
        if number and number != conn.customer_number:
            reseller_tenant = s.get(Tenant, conn.reseller_id)
            assert reseller_tenant is not None
            connections.check_customer_number_free(s, reseller_tenant, number, except_id=conn.id)
        conn_changed = changes(conn, {"customer_number": number, "currency": new_currency,
                                      "billing": check_choice(billing, Billing, "billing")})
        if conn_changed:
            conn.updated_at = utcnow()
    if not changed and not conn_changed:
        return {**describe(s, tenant, ctx.actor), "changed": {}}
    tenant.updated_at = utcnow()
    s.add(tenant)
    s.flush()
    record(s, actor, "tenant.update", "tenant", tenant.key, tenant.id, changed={**changed, **conn_changed})
    return {**describe(s, tenant, ctx.actor), "changed": {**changed, **conn_changed}}


def _connection_for_update(ctx: Ctx, tenant: Tenant, reseller: str | None) -> Connection:
    if tenant.kind != TenantKind.customer:
        raise InvalidInput(f"{tenant.key!r} is a {tenant.kind}: customer number, currency and billing "
                           "belong to a customer's connection")
    stmt = select(Connection).where(Connection.customer_id == tenant.id,
                                    Connection.state != ConnectionState.rejected)
    if reseller:
        r = get_tenant(ctx.session, ctx.actor, reseller)
        stmt = stmt.where(Connection.reseller_id == r.id)
    conns = list(ctx.session.exec(stmt).all())
    if not conns:
        raise NotFound(f"customer {tenant.key!r} has no connection to a reseller",
                       hint="create one with tenantctl invite create --kind partner")
    if len(conns) > 1:
        raise InvalidInput(f"customer {tenant.key!r} has {len(conns)} resellers", hint="add --reseller KEY")
    return conns[0]


def set_status(ctx: Ctx, key: str, status: str) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    tenant = get_tenant(s, actor, key, manage=True)
    if tenant.kind == TenantKind.operator:
        raise InvalidInput("the operator tenant cannot be suspended or activated")
    allowed_from = {TenantStatus.suspended: {TenantStatus.active},
                    TenantStatus.active: {TenantStatus.suspended}}[TenantStatus(status)]
    if tenant.status == status:
        return {**describe(s, tenant, ctx.actor), "changed": {}}
    if tenant.status not in allowed_from:
        hint = "use tenantctl tenant approve" if tenant.status == TenantStatus.pending_approval else None
        raise Conflict(f"tenant {tenant.key!r} is {tenant.status}; only an {' or '.join(allowed_from)} "
                       f"tenant can become {status}", hint=hint)
    if not actor.is_operator and tenant.id in actor.roles:
        # an admin suspending its own tenant would lock itself out
        raise PermissionDenied("you cannot suspend or activate your own tenant", hint="ask the operator")
    old = tenant.status
    tenant.status = status
    tenant.updated_at = utcnow()
    s.add(tenant)
    s.flush()
    record(s, actor, f"tenant.{'suspend' if status == TenantStatus.suspended else 'activate'}", "tenant",
           tenant.key, tenant.id, changed={"status": [old, status]})
    return {**describe(s, tenant, ctx.actor), "changed": {"status": [old, status]}}


# -- finding the "same" tenant: duplicate names, exact look-ups ---------------------------------------

def same_name(s: Session, name: str, kind: str, reseller: Tenant | None) -> Tenant | None:
    """A tenant of this kind with the same name (ignoring case) under the same reseller (customers),
    or among resellers; customers without a reseller are compared with each other."""
    stmt = select(Tenant).where(func.lower(Tenant.name) == name.lower(), Tenant.kind == kind)
    if kind == TenantKind.customer:
        partners = select(Connection.customer_id).where(Connection.state != ConnectionState.rejected)
        if reseller is not None:
            stmt = stmt.where(col(Tenant.id).in_(partners.where(Connection.reseller_id == reseller.id)))
        else:
            stmt = stmt.where(col(Tenant.id).not_in(partners))
    return s.exec(stmt.order_by(col(Tenant.id))).first()


def find_exact(ctx: Ctx, *, customer_number: str | None = None, external_id: str | None = None,
               reseller: str | None = None) -> Tenant:
    """`tenant show --customer-number N [--reseller KEY]` / `--external-id X`: exactly one tenant the
    actor can see, or NotFound; a number used at several resellers asks for --reseller."""
    s = ctx.session
    visible = visible_tenant_ids(s, ctx.actor)
    if customer_number is not None:
        number = customer_number.strip()
        stmt = select(Tenant).join(Connection, col(Connection.customer_id) == Tenant.id).where(
            Connection.customer_number == number, Connection.state != ConnectionState.rejected)
        if (own_terms := commercial_terms_clause(ctx.actor)) is not None:  # never by another's number
            stmt = stmt.where(own_terms)
        if reseller:
            stmt = stmt.where(Connection.reseller_id == get_tenant(s, ctx.actor, reseller).id)
        what = f"customer number {number!r}"
    else:
        value = (external_id or "").strip()
        stmt = select(Tenant).where(Tenant.external_id == value)
        what = f"external id {value!r}"
    found = {t.id: t for t in s.exec(stmt).all() if visible is None or t.id in visible}
    if not found:
        raise NotFound(f"no tenant with {what}", hint="see tenantctl tenant list --search")
    if len(found) > 1:
        keys = ", ".join(sorted(t.key for t in found.values()))
        raise InvalidInput(f"{len(found)} tenants have {what}: {keys}",
                           hint="add --reseller KEY" if customer_number is not None else "show one by its key")
    return next(iter(found.values()))
