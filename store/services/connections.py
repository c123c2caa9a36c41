"""Partner connections (reseller ↔ customer) and the accreditation chain of S5.

All connection rules live here, and every error names the rule it enforces:
- only a reseller and a customer can be connected (never customer↔customer, reseller↔reseller,
  nor anything with the operator);
- `exclusive_reseller` (setting, on by default): a customer has at most one non-rejected connection;
- the currency is fixed once set;
- an active connection cannot be deleted.

States: requested → active (approve), requested → info_requested (request-info) → requested
(answer), requested | info_requested → rejected (reject). The reseller side decides, the customer
side answers; the operator may do either. Each step mails the party that acts next."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, or_, select

from tenantctl.store import rules
from tenantctl.store.actor import connection_scope
from tenantctl.store.audit import record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Billing, ConnectionState, Role, TenantKind, TenantStatus, UserStatus
from tenantctl.store.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tenantctl.store.models import Connection, Membership, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import Page, like, outbox, paginate
from tenantctl.store.types import utcnow

RULE_PAIR = "rule: only a reseller and a customer can be connected"
RULE_OPERATOR = "rule: the operator cannot be connected to anyone"
RULE_EXCLUSIVE = "rule: exclusive_reseller (a customer has at most one non-rejected connection)"
RULE_ACTIVE = "rule: an active connection cannot be deleted"



# -- rules --------------------------------------------------------------------------------------

def pair(a: Tenant, b: Tenant) -> tuple[Tenant, Tenant]:
    """(reseller, customer) for two tenants about to be connected, or the rule they break."""
    if TenantKind.operator in (a.kind, b.kind):
        op, other = (a, b) if a.kind == TenantKind.operator else (b, a)
        raise Conflict(f"{RULE_OPERATOR}: {op.key!r} is the operator, {other.key!r} cannot connect to it",
                       hint="connect a reseller with a customer", details={"reason": "pair_rule"})
    if a.kind == b.kind:
        raise Conflict(f"{RULE_PAIR}: {a.key!r} and {b.key!r} are both {a.kind}s (no {a.kind}↔{a.kind})",
                       hint="a reseller invites customers, a customer invites resellers",
                       details={"reason": "pair_rule"})
    return (a, b) if a.kind == TenantKind.reseller else (b, a)


def opposite_kind(kind: str) -> str:
    if kind == TenantKind.operator:
        raise Conflict(f"{RULE_OPERATOR}: the operator tenant cannot send partner invitations",
                       hint="send the invitation from a reseller or a customer")
    return TenantKind.customer if kind == TenantKind.reseller else TenantKind.reseller


def check_exclusive(s: Session, enabled: bool, reseller: Tenant, customer: Tenant) -> None:
    if not enabled:
        return
    other = s.exec(
        select(Connection, Tenant.key).join(Tenant, col(Tenant.id) == Connection.reseller_id)
        .where(Connection.customer_id == customer.id, Connection.reseller_id != reseller.id,
               Connection.state != ConnectionState.rejected)
    ).first()
    if other is not None:
        conn, other_key = other
        raise Conflict(f"{RULE_EXCLUSIVE}: customer {customer.key!r} is already connected to reseller "
                       f"{other_key!r} (connection {conn.id}, {conn.state})",
                       hint="reject or delete that connection first, or turn exclusive_reseller off",
                       details={"reason": "exclusive_reseller"})


def check_deletable(conn: Connection) -> None:
    if conn.state == ConnectionState.active:
        raise Conflict(f"{RULE_ACTIVE}: connection {conn.id} is active", hint="it stays as a record; "
                       "reject requests instead of deleting them")


def check_customer_number_free(s: Session, reseller: Tenant, number: str | None,
                               except_id: int | None = None) -> None:
    if not number:
        return
    clash = s.exec(select(Connection).where(Connection.reseller_id == reseller.id,
                                            Connection.customer_number == number)).first()
    if clash is not None and clash.id != except_id:
        raise Conflict(f"customer number {number!r} is already used at reseller {reseller.key!r}",
                       hint="check the number or leave it out", details={"reason": "customer_number_taken"})


def connect(ctx: Ctx, a: Tenant, b: Tenant, *, state: str, customer_number: str | None = None,
            currency: str | None = None, billing: str | None = None, via: str | None = None) -> Connection:
    """Create the connection between a and b (either order), or reopen a rejected one. Applies
    every rule above; writes the audit event."""
    s = ctx.session
    reseller, customer = pair(a, b)
    currency = rules.normalise_currency(currency)
    check_choice(billing, Billing, "billing")
    check_exclusive(s, bool(ctx.settings.exclusive_reseller), reseller, customer)
    conn = s.exec(select(Connection).where(Connection.reseller_id == reseller.id,
                                           Connection.customer_id == customer.id)).first()
    check_customer_number_free(s, reseller, customer_number, except_id=conn.id if conn else None)
    if conn is not None:
        if conn.state != ConnectionState.rejected:
            raise Conflict(f"{reseller.key!r} and {customer.key!r} are already connected "
                           f"(connection {conn.id}, {conn.state})", hint=f"see tenantctl connection show {conn.id}",
                           details={"reason": "already_connected"})
        rules.check_currency_change(conn.currency, currency)
        old = conn.state
        conn.state = state
        conn.customer_number = customer_number or conn.customer_number
        conn.currency = currency or conn.currency
        conn.billing = billing or conn.billing
        conn.info_request = conn.info_answer = conn.decision_reason = None
        conn.updated_at = utcnow()
        action, changed = "connection.reopen", {"state": [old, state]}
    else:
        conn = Connection(reseller_id=reseller.id, customer_id=customer.id,  # type: ignore[arg-type]
                          customer_number=customer_number, currency=currency,
                          billing=billing or Billing.customer, state=state, created_by=ctx.actor.label)
        action, changed = "connection.create", {"state": [None, state]}  # type: ignore[list-item]
    if state == ConnectionState.active:
        conn.approved_by, conn.approved_at = ctx.actor.label, utcnow()
    s.add(conn)
    s.flush()
    record(s, ctx.actor, action, "connection", _object_key(reseller, customer), customer.id,
           id=conn.id, customer_number=conn.customer_number, currency=conn.currency, billing=conn.billing,
           via=via, changed=changed)
    return conn


# -- reading ------------------------------------------------------------------------------------

def _object_key(reseller: Tenant, customer: Tenant) -> str:
    return f"{reseller.key}→{customer.key}"


def connection_out(c: Connection, reseller: Tenant, customer: Tenant) -> dict[str, Any]:
    return {"id": c.id, "reseller": reseller.key, "reseller_name": reseller.name,
            "customer": customer.key, "customer_name": customer.name, "customer_status": customer.status,
            "customer_number": c.customer_number, "currency": c.currency, "billing": c.billing,
            "state": c.state, "info_request": c.info_request, "info_answer": c.info_answer,
            "decision_reason": c.decision_reason, "approved_by": c.approved_by, "approved_at": ts(c.approved_at),
            "created_at": ts(c.created_at), "created_by": c.created_by, "updated_at": ts(c.updated_at)}


def _load(ctx: Ctx, conn_id: int) -> tuple[Connection, Tenant, Tenant]:
    s = ctx.session
    scope = connection_scope(ctx.actor)
    stmt = select(Connection).where(Connection.id == conn_id)
    conn = s.exec(stmt if scope is None else stmt.where(scope)).first()
    if conn is None:
        raise NotFound(f"connection {conn_id} not found", hint="see tenantctl connection list")
    reseller, customer = s.get(Tenant, conn.reseller_id), s.get(Tenant, conn.customer_id)
    assert reseller is not None and customer is not None
    return conn, reseller, customer


def list_connections(ctx: Ctx, *, state: str | None = None, tenant: str | None = None, search: str | None = None,
                     limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    check_choice(state, ConnectionState, "state")
    r, c = aliased(Tenant), aliased(Tenant)
    stmt = (select(Connection, r, c).join(r, col(r.id) == Connection.reseller_id)
            .join(c, col(c.id) == Connection.customer_id).order_by(col(Connection.id)))
    scope = connection_scope(ctx.actor)
    if scope is not None:
        stmt = stmt.where(scope)
    if state:
        stmt = stmt.where(Connection.state == state)
    if tenant:
        key = tenant.strip().lower()
        stmt = stmt.where(or_(r.key == key, c.key == key))
    if search:
        pattern = like(search)
        stmt = stmt.where(or_(*(func.lower(x).like(pattern, escape="\\") for x in
                                (c.name, c.key, r.name, r.key, Connection.customer_number))))
    rows, total = paginate(s, stmt, limit, offset)
    return Page([connection_out(*row) for row in rows], total, limit, offset)


def show_connection(ctx: Ctx, conn_id: int) -> dict[str, Any]:
    return connection_out(*_load(ctx, conn_id))


# -- mail ---------------------------------------------------------------------------------------

def send_mail(ctx: Ctx, *, brand: Tenant | None = None, **queue_args: Any) -> None:
    """Queue a mail in the command's transaction; it is delivered once the command committed
    (it stays queued for `tenantctl mail send` if delivery fails). `brand`: the tenant the mail is
    about; its reseller's sender identity is used (mail_identity), else the platform's."""
    from tenantctl.store.mail.delivery import delivery_for
    from tenantctl.store.services import mail_identity

    reseller = mail_identity.reseller_for(ctx.session, brand)
    queue_args["context"] = {**mail_identity.identity(ctx.settings, reseller, queue_args["language"]),
                             "time_zone": mail_identity.recipient_zone(ctx.session, queue_args["to_address"]),
                             **queue_args["context"]}
    mail = outbox.queue(ctx, **queue_args)
    delivery_for(ctx).add([mail.id])  # type: ignore[list-item]


def tenant_admins(s: Session, tenant_id: int) -> list[User]:
    return list(s.exec(
        select(User).join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == Role.admin,
               User.status != UserStatus.disabled).order_by(col(User.login))
    ).all())


def notify_admins(ctx: Ctx, tenant: Tenant, template: str, context: dict[str, Any],
                  brand: Tenant | None = None) -> int:
    """One mail per (not disabled) admin of tenant, in the admin's language."""
    admins = tenant_admins(ctx.session, tenant.id)  # type: ignore[arg-type]
    for user in admins:
        send_mail(ctx, brand=brand, to_address=user.email, to_name=f"{user.first_name} {user.last_name}",
                  template=template, language=user.language,
                  context={**context, "first_name": user.first_name, "last_name": user.last_name})
    return len(admins)


def mail_context(ctx: Ctx, conn: Connection, reseller: Tenant, customer: Tenant) -> dict[str, Any]:
    return {"connection_id": conn.id, "reseller_name": reseller.name, "reseller_key": reseller.key,
            "customer_name": customer.name, "customer_key": customer.key,
            "customer_number": conn.customer_number, "base_url": ctx.settings.base_url}


def announce_request(ctx: Ctx, conn: Connection, reseller: Tenant, customer: Tenant) -> None:
    """The accreditation request reaches the reseller (after the customer's registration is approved)."""
    notify_admins(ctx, reseller, "connection_requested", mail_context(ctx, conn, reseller, customer))


# -- the approval chain -------------------------------------------------------------------------

def _require_side(ctx: Ctx, tenant: Tenant, conn: Connection, verb: str) -> None:
    if ctx.actor.is_operator or tenant.id in ctx.actor.admin_tenant_ids:
        return
    raise PermissionDenied(f"only an admin of {tenant.kind} {tenant.key!r} (or the operator) can {verb} "
                           f"connection {conn.id}", hint="act as that tenant's admin with --as")


def _require_state(conn: Connection, allowed: set[str], verb: str, hint: str | None = None) -> None:
    if conn.state not in allowed:
        needed = " or ".join(sorted(allowed))
        raise Conflict(f"connection {conn.id} is {conn.state}; only a {needed} connection can be {verb}",
                       hint=hint)


def _clean_message(message: str | None, what: str) -> str:
    text = rules.clean_message(message, what)
    if not text:
        raise InvalidInput(f"{what} must not be empty", hint="give --message TEXT")
    return text


def _transition(ctx: Ctx, conn: Connection, reseller: Tenant, customer: Tenant, action: str, new_state: str,
                **details: Any) -> dict[str, Any]:
    old = conn.state
    conn.state = new_state
    conn.updated_at = utcnow()
    ctx.session.add(conn)
    ctx.session.flush()
    record(ctx.session, ctx.actor, action, "connection", _object_key(reseller, customer), customer.id,
           id=conn.id, changed={"state": [old, new_state]}, **details)
    return connection_out(conn, reseller, customer)


def approve(ctx: Ctx, conn_id: int) -> dict[str, Any]:
    conn, reseller, customer = _load(ctx, conn_id)
    _require_side(ctx, reseller, conn, "approve")
    _require_state(conn, {ConnectionState.requested}, "approved",
                   hint="wait for the customer's answer" if conn.state == ConnectionState.info_requested else None)
    if customer.status != TenantStatus.active:
        raise Conflict(f"customer {customer.key!r} is {customer.status}; the operator must approve its registration "
                       "first", hint=f"tenantctl tenant approve {customer.key}")
    conn.approved_by, conn.approved_at = ctx.actor.label, utcnow()
    out = _transition(ctx, conn, reseller, customer, "connection.approve", ConnectionState.active)
    notify_admins(ctx, customer, "connection_approved", mail_context(ctx, conn, reseller, customer), brand=reseller)
    return out


def request_info(ctx: Ctx, conn_id: int, message: str) -> dict[str, Any]:
    conn, reseller, customer = _load(ctx, conn_id)
    _require_side(ctx, reseller, conn, "ask about")
    text = _clean_message(message, "the question")
    _require_state(conn, {ConnectionState.requested}, "asked for information")
    conn.info_request, conn.info_answer = text, None
    out = _transition(ctx, conn, reseller, customer, "connection.request_info", ConnectionState.info_requested,
                      message=text)
    notify_admins(ctx, customer, "connection_info_requested",
                  {**mail_context(ctx, conn, reseller, customer), "message": text}, brand=reseller)
    return out


def answer(ctx: Ctx, conn_id: int, message: str) -> dict[str, Any]:
    conn, reseller, customer = _load(ctx, conn_id)
    _require_side(ctx, customer, conn, "answer for")
    text = _clean_message(message, "the answer")
    if conn.state != ConnectionState.info_requested:
        raise Conflict(f"connection {conn.id} is {conn.state}: nobody asked for information, so there is "
                       "nothing to answer", hint="only an info_requested connection can be answered")
    conn.info_answer = text
    out = _transition(ctx, conn, reseller, customer, "connection.answer", ConnectionState.requested, message=text)
    notify_admins(ctx, reseller, "connection_answered",
                  {**mail_context(ctx, conn, reseller, customer), "question": conn.info_request, "message": text})
    return out


def reject(ctx: Ctx, conn_id: int, reason: str | None = None) -> dict[str, Any]:
    conn, reseller, customer = _load(ctx, conn_id)
    _require_side(ctx, reseller, conn, "reject")
    _require_state(conn, {ConnectionState.requested, ConnectionState.info_requested}, "rejected")
    conn.decision_reason = rules.clean_message(reason, "reason")
    out = _transition(ctx, conn, reseller, customer, "connection.reject", ConnectionState.rejected,
                      reason=conn.decision_reason)
    notify_admins(ctx, customer, "connection_rejected",
                  {**mail_context(ctx, conn, reseller, customer), "reason": conn.decision_reason}, brand=reseller)
    return out


def delete(ctx: Ctx, conn_id: int) -> dict[str, Any]:
    """Remove a connection that never became (or is no longer) a working relation. Either side's
    admin or the operator; an active connection stays."""
    conn, reseller, customer = _load(ctx, conn_id)
    if not (ctx.actor.is_operator or {reseller.id, customer.id} & ctx.actor.admin_tenant_ids):
        raise PermissionDenied(f"only an admin of {reseller.key!r} or {customer.key!r} can delete connection {conn.id}")
    check_deletable(conn)
    out = connection_out(conn, reseller, customer)
    ctx.session.delete(conn)
    ctx.session.flush()
    record(ctx.session, ctx.actor, "connection.delete", "connection", _object_key(reseller, customer), customer.id,
           id=conn_id, state=conn.state)
    return out


def reject_all_of(ctx: Ctx, tenant: Tenant, reason: str) -> int:
    """When a registration is rejected, its open connection requests are rejected with it."""
    rows = ctx.session.exec(select(Connection).where(
        or_(Connection.customer_id == tenant.id, Connection.reseller_id == tenant.id),
        Connection.state != ConnectionState.rejected)).all()
    for conn in rows:
        reseller, customer = ctx.session.get(Tenant, conn.reseller_id), ctx.session.get(Tenant, conn.customer_id)
        assert reseller is not None and customer is not None
        conn.decision_reason = reason
        _transition(ctx, conn, reseller, customer, "connection.reject", ConnectionState.rejected, reason=reason)
    return len(rows)


def requested_of(s: Session, customer: Tenant) -> list[tuple[Connection, Tenant]]:
    return [(c, r) for c, r in s.exec(
        select(Connection, Tenant).join(Tenant, col(Tenant.id) == Connection.reseller_id)
        .where(Connection.customer_id == customer.id, Connection.state == ConnectionState.requested)).all()]
