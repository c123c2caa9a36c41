"""Users: a person with one login and one e-mail, member of one or more tenants."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, and_, col, func, or_, select

from tenantctl.store import rules
from tenantctl.store.actor import (
    Actor,
    can_see_user,
    creator_shown,
    get_tenant,
    home_tenant_ids,
    manages_user,
    visible_tenant_ids,
)
from tenantctl.store.audit import changes, record
from tenantctl.store.choices import check_choice
from tenantctl.store.context import Ctx
from tenantctl.store.enums import Language, Role, UserStatus
from tenantctl.store.errors import Conflict, NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.models import Membership, Tenant, User
from tenantctl.store.schemas import user_out
from tenantctl.store.services import Page, like, memberships, paginate
from tenantctl.store.types import utcnow


def get_user(ctx: Ctx, ident: str, *, manage: bool = False) -> User:
    """A user the actor may see (or, with manage, change: every tenant of the user is managed by the
    actor, so a customer admin cannot disable an agency person who also works elsewhere)."""
    s = ctx.session
    user = find_user_row(s, ident)
    if user is None or not can_see_user(s, ctx.actor, user.id):  # type: ignore[arg-type]
        raise NotFound(f"user {ident!r} not found", hint="see tenantctl user list")
    if manage and not manages_user(s, ctx.actor, user.id):  # type: ignore[arg-type]
        raise PermissionDenied(f"{ctx.actor.label} may not change user {user.login!r}",
                               hint="the user also belongs to tenants outside your scope; ask the operator")
    return user


def unique_login(session: Session, first_name: str, last_name: str, taken: set[str] | None = None) -> str:
    base = rules.login_base(first_name, last_name)
    rules.check_login_not_reserved(base)
    if taken is None:
        taken = set(session.exec(select(User.login).where(col(User.login).startswith(base))).all())
    n = 1
    while (candidate := rules.with_suffix(base, n, "", 100)) in taken:
        n += 1
    return candidate


def chosen_login(session: Session, login: str) -> str:
    """`user create --login`: checked like a derived login (shape, reserved words) and free."""
    login = rules.check_login(login)
    if session.exec(select(User.id).where(User.login == login)).first() is not None:
        raise Conflict(f"login {login!r} is taken", hint="choose another --login or leave it out to derive one")
    return login


def check_email_free(session: Session, email: str, except_id: int | None = None, actor: Actor | None = None) -> None:
    """E-mail addresses are unique across the platform, so a taken one must be refused; for a user
    outside the actor's scope the message does not name or describe them (docs/security.md)."""
    existing = session.exec(select(User).where(User.email_key == rules.email_key(email))).first()
    if existing is None or existing.id == except_id:
        return
    if actor is not None and not can_see_user(session, actor, existing.id):  # type: ignore[arg-type]
        raise Conflict(f"the e-mail address {email} cannot be used for a new account",
                       hint="if the person has an account already, send them a member invitation: "
                            "tenantctl invite create --kind member --tenant KEY --email ADDRESS --role ROLE")
    raise Conflict(f"a user with e-mail {email} already exists",
                   hint=f"add a membership instead: tenantctl member add {email} --tenant KEY")


def add_user(ctx: Ctx, tenant: Tenant, first_name: str, last_name: str, email: str, *, role: str = Role.member,
             language: str | None = None, via: str | None = None, login: str | None = None,
             time_zone: str | None = None) -> User:
    """The one write path for a new user (user create, invitations, init): validated names and
    address, a unique login, the first membership, the audit events. Scope is the caller's check."""
    s, actor = ctx.session, ctx.actor
    first_name = rules.clean_name(first_name, "first name")
    last_name = rules.clean_name(last_name, "last name")
    email = rules.normalise_email(email)
    check_choice(role, Role, "role")
    check_choice(language, Language, "language")
    zone = clean_user_zone(time_zone)
    for text, what in ((first_name, "first name"), (last_name, "last name"), (email, "e-mail")):
        ctx.check_lookalike(text, what)
    check_email_free(s, email, actor=actor)
    login = chosen_login(s, login) if login else unique_login(s, first_name, last_name)
    user = User(login=login, email=email, email_key=rules.email_key(email), first_name=first_name,
                last_name=last_name, language=language or tenant.language, time_zone=zone,
                status=UserStatus.invited, created_by=actor.label)
    s.add(user)
    s.flush()
    details: dict[str, Any] = {"via": via} if via else {}
    if zone:
        details["time_zone"] = zone
    record(s, actor, "user.create", "user", login, tenant.id, email=email, first_name=first_name,
           last_name=last_name, tenant=tenant.key, role=role, **details)
    memberships.add(ctx, user, tenant, role, via=via, audit=False)
    return user


def create_user(ctx: Ctx, tenant: str, first_name: str, last_name: str, email: str, *,
                role: str = Role.member, language: str | None = None, login: str | None = None,
                time_zone: str | None = None) -> User:
    check_choice(role, Role, "role")
    t = get_tenant(ctx.session, ctx.actor, tenant, manage=True)
    return add_user(ctx, t, first_name, last_name, email, role=role, language=language, login=login,
                    time_zone=time_zone)


def clean_user_zone(text: str | None) -> str | None:
    """A person's own time zone (None or '': none, their tenant's or the platform's applies)."""
    return rules.clean_time_zone(text, cleared="their tenant's or the platform's") if text is not None else None


def memberships_of(session: Session, user_id: int, visible: set[int] | None) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Membership, Tenant).join(Tenant, col(Tenant.id) == Membership.tenant_id)
        .where(Membership.user_id == user_id).order_by(col(Tenant.key))
    ).all()
    return [{"tenant": t.key, "tenant_name": t.name, "kind": t.kind, "role": m.role}
            for m, t in rows if visible is None or t.id in visible]


def describe(ctx: Ctx, user: User) -> dict[str, Any]:
    visible = visible_tenant_ids(ctx.session, ctx.actor)
    return _shown(ctx, user_out(user, memberships_of(ctx.session, user.id, visible)))  # type: ignore[arg-type]


def _shown(ctx: Ctx, out: dict[str, Any]) -> dict[str, Any]:
    out["created_by"] = creator_shown(ctx.session, ctx.actor, out["created_by"])
    return out


def list_users(ctx: Ctx, *, tenant: str | None = None, status: str | None = None, search: str | None = None,
               limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    check_choice(status, UserStatus, "status")
    stmt = select(User).order_by(col(User.login))
    scope: set[int] | None = visible_tenant_ids(s, ctx.actor)
    if tenant:
        scope = {get_tenant(s, ctx.actor, tenant).id or 0}
    if scope is not None:  # members of these tenants, and the people these tenants released (no membership left)
        stmt = stmt.where(or_(col(User.id).in_(select(Membership.user_id).where(col(Membership.tenant_id).in_(scope))),
                              and_(col(User.released_by_tenant_id).in_(scope),
                                   col(User.id).not_in(select(Membership.user_id)))))
    if status:
        stmt = stmt.where(User.status == status)
    if search:
        pattern = like(search)
        stmt = stmt.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in
                                (User.login, User.email_key, User.first_name, User.last_name))))
    items, total = paginate(s, stmt, limit, offset)
    visible = visible_tenant_ids(s, ctx.actor)
    return Page([_shown(ctx, user_out(u, memberships_of(s, u.id or 0, visible))) for u in items], total, limit,
                offset)


def update_user(ctx: Ctx, ident: str, *, first_name: str | None = None, last_name: str | None = None,
                email: str | None = None, language: str | None = None,
                time_zone: str | None = None) -> dict[str, Any]:
    """Change the given fields (None: keep); time_zone '' clears the person's own zone."""
    s, actor = ctx.session, ctx.actor
    user = get_user(ctx, ident, manage=True)
    new_email = rules.normalise_email(email) if email is not None else None
    if new_email is not None and rules.email_key(new_email) != user.email_key:
        check_email_free(s, new_email, except_id=user.id, actor=actor)
    changed = changes(user, {
        "first_name": rules.clean_name(first_name, "first name") if first_name is not None else None,
        "last_name": rules.clean_name(last_name, "last name") if last_name is not None else None,
        "email": new_email,
        "language": check_choice(language, Language, "language"),
    })
    if time_zone is not None and (zone := clean_user_zone(time_zone)) != user.time_zone:
        changed["time_zone"] = [user.time_zone, zone]
        user.time_zone = zone
    for what in ("first_name", "last_name", "email"):
        if what in changed:
            ctx.check_lookalike(getattr(user, what), what.replace("_", " ").replace("email", "e-mail"))
    if "email" in changed:
        user.email_key = rules.email_key(user.email)
        user.credential_version += 1  # links sent to the old address die
    if changed:
        user.updated_at = utcnow()
        s.add(user)
        s.flush()
        record(s, actor, "user.update", "user", user.login, _home_tenant(s, user), changed=changed)
    return {**describe(ctx, user), "changed": changed}


def _home_tenant(s: Session, user: User) -> int | None:
    ids = sorted(home_tenant_ids(s, user.id))  # type: ignore[arg-type]
    return ids[0] if ids else None


def set_enabled(ctx: Ctx, ident: str, enabled: bool) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    user = get_user(ctx, ident, manage=True)
    if actor.user_id == user.id and not enabled:
        raise PermissionDenied("you cannot disable yourself", hint="ask another admin")
    if not enabled and user.status != UserStatus.disabled:
        memberships.check_not_last_admin(s, user)
    old = user.status
    if enabled:
        new = UserStatus.active if user.password_hash else UserStatus.invited
        if old != UserStatus.disabled:
            return {**describe(ctx, user), "changed": {}}
    else:
        new = UserStatus.disabled
        if old == UserStatus.disabled:
            return {**describe(ctx, user), "changed": {}}
        user.credential_version += 1  # open links die with the account
    user.status = new
    user.updated_at = utcnow()
    s.add(user)
    s.flush()
    record(s, actor, "user.enable" if enabled else "user.disable", "user", user.login, _home_tenant(s, user),
           changed={"status": [old, new]})
    return {**describe(ctx, user), "changed": {"status": [old, new]}}


def get_user_by_email(ctx: Ctx, email: str) -> User:
    """Exact look-up by e-mail (`user show --email`): never a login, whatever the text looks like."""
    s = ctx.session
    user = s.exec(select(User).where(User.email_key == rules.email_key(email.strip()))).first()
    visible = visible_tenant_ids(s, ctx.actor)
    if user is None or (visible is not None and not (home_tenant_ids(s, user.id) & visible)):  # type: ignore[arg-type]
        raise NotFound(f"no user with e-mail {email.strip()!r}", hint="see tenantctl user list --search")
    return user
