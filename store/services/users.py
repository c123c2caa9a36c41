"""Users: a person with one login and one e-mail, member of one or more tenants."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, or_, select

from store import rules
from store.actor import get_tenant, managed_tenant_ids, visible_tenant_ids
from store.audit import changes, record
from store.context import Ctx
from store.enums import Language, Role, UserStatus
from store.errors import Conflict, NotFound, PermissionDenied
from store.models import Membership, Tenant, User
from store.schemas import user_out
from store.services import Page, like, paginate
from store.services.tenants import check_choice
from store.types import utcnow


def find_user_row(session: Session, ident: str) -> User | None:
    """By login or (case-insensitively) by e-mail."""
    text = ident.strip()
    if "@" in text:
        return session.exec(select(User).where(User.email_key == rules.email_key(text))).first()
    return session.exec(select(User).where(User.login == text.lower())).first()


def user_tenant_ids(session: Session, user_id: int) -> set[int]:
    return set(session.exec(select(Membership.tenant_id).where(Membership.user_id == user_id)).all())


def get_user(ctx: Ctx, ident: str, *, manage: bool = False) -> User:
    """A user the actor may see (or, with manage, change: every tenant of the user is managed by the
    actor, so a customer admin cannot disable an agency person who also works elsewhere)."""
    s = ctx.session
    user = find_user_row(s, ident)
    visible = visible_tenant_ids(s, ctx.actor)
    if user is None or (visible is not None and not (user_tenant_ids(s, user.id) & visible)):  # type: ignore[arg-type]
        raise NotFound(f"user {ident!r} not found", hint="see tenantctl user list")
    if manage:
        managed = managed_tenant_ids(s, ctx.actor)
        if managed is not None and not user_tenant_ids(s, user.id) <= managed:  # type: ignore[arg-type]
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


def check_email_free(session: Session, email: str, except_id: int | None = None) -> None:
    existing = session.exec(select(User).where(User.email_key == rules.email_key(email))).first()
    if existing is not None and existing.id != except_id:
        raise Conflict(f"a user with e-mail {email} already exists",
                       hint=f"add a membership instead: tenantctl member add {email} --tenant KEY")


def create_user(ctx: Ctx, tenant: str, first_name: str, last_name: str, email: str, *,
                role: str = Role.member, language: str | None = None, login: str | None = None) -> User:
    s, actor = ctx.session, ctx.actor
    first_name = rules.clean_name(first_name, "first name")
    last_name = rules.clean_name(last_name, "last name")
    email = rules.normalise_email(email)
    check_choice(role, Role, "role")
    check_choice(language, Language, "language")
    for text, what in ((first_name, "first name"), (last_name, "last name"), (email, "e-mail")):
        ctx.check_lookalike(text, what)
    t = get_tenant(s, actor, tenant, manage=True)
    check_email_free(s, email)
    login = chosen_login(s, login) if login else unique_login(s, first_name, last_name)
    user = User(login=login, email=email, email_key=rules.email_key(email), first_name=first_name,
                last_name=last_name, language=language or t.language, status=UserStatus.invited,
                created_by=actor.label)
    s.add(user)
    s.flush()
    s.add(Membership(user_id=user.id, tenant_id=t.id, role=role, created_by=actor.label))  # type: ignore[arg-type]
    s.flush()
    record(s, actor, "user.create", "user", login, t.id, email=email, first_name=first_name,
           last_name=last_name, tenant=t.key, role=role)
    return user


def memberships_of(session: Session, user_id: int, visible: set[int] | None) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Membership, Tenant).join(Tenant, col(Tenant.id) == Membership.tenant_id)
        .where(Membership.user_id == user_id).order_by(col(Tenant.key))
    ).all()
    return [{"tenant": t.key, "tenant_name": t.name, "kind": t.kind, "role": m.role}
            for m, t in rows if visible is None or t.id in visible]


def describe(ctx: Ctx, user: User) -> dict[str, Any]:
    visible = visible_tenant_ids(ctx.session, ctx.actor)
    return user_out(user, memberships_of(ctx.session, user.id, visible))  # type: ignore[arg-type]


def list_users(ctx: Ctx, *, tenant: str | None = None, status: str | None = None, search: str | None = None,
               limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    s = ctx.session
    check_choice(status, UserStatus, "status")
    stmt = select(User).order_by(col(User.login))
    scope: set[int] | None = visible_tenant_ids(s, ctx.actor)
    if tenant:
        scope = {get_tenant(s, ctx.actor, tenant).id or 0}
    if scope is not None:
        stmt = stmt.where(col(User.id).in_(select(Membership.user_id).where(col(Membership.tenant_id).in_(scope))))
    if status:
        stmt = stmt.where(User.status == status)
    if search:
        pattern = like(search)
        stmt = stmt.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in
                                (User.login, User.email_key, User.first_name, User.last_name))))
    items, total = paginate(s, stmt, limit, offset)
    visible = visible_tenant_ids(s, ctx.actor)
    return Page([user_out(u, memberships_of(s, u.id or 0, visible)) for u in items], total, limit, offset)


def update_user(ctx: Ctx, ident: str, *, first_name: str | None = None, last_name: str | None = None,
                email: str | None = None, language: str | None = None) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    user = get_user(ctx, ident, manage=True)
    new_email = rules.normalise_email(email) if email is not None else None
    if new_email is not None and rules.email_key(new_email) != user.email_key:
        check_email_free(s, new_email, except_id=user.id)
    changed = changes(user, {
        "first_name": rules.clean_name(first_name, "first name") if first_name is not None else None,
        "last_name": rules.clean_name(last_name, "last name") if last_name is not None else None,
        "email": new_email,
        "language": check_choice(language, Language, "language"),
    })
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
    ids = sorted(user_tenant_ids(s, user.id))  # type: ignore[arg-type]
    return ids[0] if ids else None


def set_enabled(ctx: Ctx, ident: str, enabled: bool) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    user = get_user(ctx, ident, manage=True)
    if actor.user_id == user.id and not enabled:
        raise PermissionDenied("you cannot disable yourself", hint="ask another admin")
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



# -- what `user show` adds: link and mail state, so that a re-run can tell who still needs a link --

LAST_MAILS = 5


def open_links(ctx: Ctx, user: User) -> list[dict[str, Any]]:
    """The user's open password links (never a token: only purpose and times)."""
    from store.models import PasswordLink
    from store.schemas import ts
    from store.services.passwords import is_open

    now = utcnow()
    rows = ctx.session.exec(select(PasswordLink).where(PasswordLink.user_id == user.id,
                                                       col(PasswordLink.used_at).is_(None),
                                                       col(PasswordLink.voided_at).is_(None))
                            .order_by(col(PasswordLink.id))).all()
    return [{"id": link.id, "purpose": link.purpose, "created_at": ts(link.created_at),
             "expires_at": ts(link.expires_at)} for link in rows if is_open(link, user, now)]


def last_mails(ctx: Ctx, user: User, limit: int = LAST_MAILS) -> list[dict[str, Any]]:
    """The newest mails to the user's address (state, attempts, last error)."""
    from store.models import OutboxMail
    from store.schemas import ts

    rows = ctx.session.exec(select(OutboxMail).where(func.lower(OutboxMail.to_address) == user.email_key)
                            .order_by(col(OutboxMail.id).desc()).limit(limit)).all()
    return [{"id": m.id, "template": m.template, "state": m.state, "attempts": m.attempts,
             "last_error": m.last_error, "created_at": ts(m.created_at), "sent_at": ts(m.sent_at)} for m in rows]


def show_user(ctx: Ctx, user: User) -> dict[str, Any]:
    """`user show`: the user, memberships in scope, open links and last mails."""
    return {**describe(ctx, user), "open_links": open_links(ctx, user), "last_mails": last_mails(ctx, user)}


def get_user_by_email(ctx: Ctx, email: str) -> User:
    """Exact look-up by e-mail (`user show --email`): never a login, whatever the text looks like."""
    s = ctx.session
    user = s.exec(select(User).where(User.email_key == rules.email_key(email.strip()))).first()
    visible = visible_tenant_ids(s, ctx.actor)
    if user is None or (visible is not None and not (user_tenant_ids(s, user.id) & visible)):  # type: ignore[arg-type]
        raise NotFound(f"no user with e-mail {email.strip()!r}", hint="see tenantctl user list --search")
    return user
