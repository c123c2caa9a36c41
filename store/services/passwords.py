"""Password links (S3), setting a password through a link, and the login check.

A link is valid only if unused, not voided, not expired (valid up to and including `expires_at`,
as in Django's token tests), its user is not disabled and the user's `credential_version` still
equals the one at issue. Every login, password change, e-mail change and disable bumps that
version, so all of them kill open links; the explicit `voided_at` rows make it visible why.

Races (login vs redemption, two redemptions): both write with compare-and-set UPDATEs guarded by
the credential version they read (`WHERE credential_version = :seen`), so of two racing
transactions exactly one wins on SQLite (BEGIN IMMEDIATE serialises) and on PostgreSQL (the
second UPDATE waits for the first's row lock, re-reads the row and matches nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from tenantctl.store import passwords, tokens
from tenantctl.store.actor import get_tenant, managed_tenant_ids, manages_user
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState, Language, LinkPurpose, TenantKind, TenantStatus, UserStatus
from tenantctl.store.errors import InvalidInput, PermissionDenied, UsageError
from tenantctl.store.mail.minters import minter
from tenantctl.store.models import AuditEvent, Connection, Membership, PasswordLink, Tenant, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import mail_identity, outbox
from tenantctl.store.settings import Settings
from tenantctl.store.types import utcnow

BAD_LINK = "this password link is invalid or has expired"
BAD_LINK_HINT = "ask for a new link (tenantctl password send-link LOGIN)"
LOGIN_FAILED = "login failed: unknown login or wrong password"
CHUNK = 500

# link id → token minted in this process for `--print-link --also-mail`, so that the mail carries
# the same link that was printed. Memory only; never stored.
_PREMINTED: dict[int, str] = {}

# Test seam: called between the checks and the compare-and-set writes (racing tests).
_before_write: Callable[[str], None] | None = None


class InvalidLink(InvalidInput):
    def __init__(self) -> None:
        super().__init__(BAD_LINK, hint=BAD_LINK_HINT)


class LoginFailed(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED, hint="check the login and the password")


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def link_url(settings: Settings, token: str) -> str:
    return f"{str(settings.base_url).rstrip('/')}/password/set?token={token}"


def lifetime(settings: Settings, purpose: str) -> timedelta:
    if purpose == LinkPurpose.initial:
        return timedelta(days=int(settings.initial_link_days))
    return timedelta(hours=int(settings.reset_link_hours))


def is_open(link: PasswordLink, user: User | None, now: datetime) -> bool:
    return (user is not None and link.used_at is None and link.voided_at is None and now <= link.expires_at
            and user.status != UserStatus.disabled and user.credential_version == link.credential_version)


def pick_language(user_language: str | None, tenant_language: str | None, default: str) -> str:
    """The user's language, then the tenant's, then the default (all must be one we have)."""
    known = {lang.value for lang in Language}
    for lang in (user_language, tenant_language, default):
        if lang in known:
            return str(lang)
    return "de"


# -- choosing users -------------------------------------------------------------------------------

def select_users(ctx: Ctx, idents: Sequence[str], *, tenant: str | None = None,
                 without_password: bool = False) -> tuple[list[User], list[User], int]:
    """(users to send to, disabled users skipped, number of users skipped as outside the actor's
    scope). Named users must be managed by the actor and not disabled; --tenant /
    --without-password select in bulk and skip disabled users, and users who also belong to a
    tenant the actor does not manage (their links are never created, printed or mailed)."""
    from tenantctl.store.services.users import get_user

    s = ctx.session
    if not idents and not tenant and not without_password:
        raise UsageError("name at least one user, or use --tenant KEY or --without-password",
                         hint="e.g. tenantctl password send-link max.mueller")
    chosen: dict[int, User] = {}
    outside = 0
    for ident in idents:
        user = get_user(ctx, ident, manage=True)
        if user.status == UserStatus.disabled:
            raise InvalidInput(f"user {user.login} is disabled; no link was sent to anyone",
                               hint=f"enable the user first: tenantctl user enable {user.login}")
        chosen[user.id] = user  # type: ignore[index]
    if tenant or without_password:
        stmt = select(User).order_by(col(User.id))
        if tenant:
            t = get_tenant(s, ctx.actor, tenant, manage=True)
            stmt = stmt.where(col(User.id).in_(select(Membership.user_id).where(Membership.tenant_id == t.id)))
        else:
            managed = managed_tenant_ids(s, ctx.actor)
            if managed is not None:
                stmt = stmt.where(col(User.id).in_(
                    select(Membership.user_id).where(col(Membership.tenant_id).in_(managed))))
        if without_password:
            stmt = stmt.where(col(User.password_hash).is_(None))
        found = [u for u in s.exec(stmt).all() if u.id not in chosen]
        mine, outside = fully_managed(ctx, found)
        chosen.update({u.id: u for u in mine})  # type: ignore[misc]
    users = [u for u in chosen.values() if u.status != UserStatus.disabled]
    skipped = [u for u in chosen.values() if u.status == UserStatus.disabled]
    return users, skipped, outside


def fully_managed(ctx: Ctx, users: list[User]) -> tuple[list[User], int]:
    """(the users whose every tenant the actor manages, how many others): the rule for sending
    anyone a link, on every bulk path (send-link --tenant/--without-password, apply
    --send-links=missing)."""
    managed = managed_tenant_ids(ctx.session, ctx.actor)
    homes = _tenants_of(ctx.session, [u.id for u in users])  # type: ignore[misc]
    mine = [u for u in users if manages_user(ctx.session, ctx.actor, u.id,  # type: ignore[arg-type]
                                             managed=managed, tenants=homes.get(u.id, set()))]  # type: ignore[arg-type]
    return mine, len(users) - len(mine)


def _tenants_of(session: Session, user_ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for chunk in _chunks(user_ids):
        for uid, tid in session.exec(select(Membership.user_id, Membership.tenant_id)
                                     .where(col(Membership.user_id).in_(chunk))):
            out.setdefault(uid, set()).add(tid)
    return out


def with_open_link(session: Session, users: Sequence[User], now: datetime | None = None) -> set[int]:
    """Ids of the users who hold an open link (`send-link --unless-open` leaves them alone)."""
    now = now or utcnow()
    by_id = {u.id: u for u in users}
    out: set[int] = set()
    for chunk in _chunks(list(by_id)):
        for link in session.exec(select(PasswordLink).where(col(PasswordLink.user_id).in_(chunk),
                                                            col(PasswordLink.used_at).is_(None),
                                                            col(PasswordLink.voided_at).is_(None))):
            if is_open(link, by_id[link.user_id], now):
                out.add(link.user_id)
    return out


def _homes(session: Session, user_ids: list[int]) -> dict[int, tuple[Tenant, Tenant | None]]:
    """user id → (home tenant = the first membership, the reseller whose identity its mails carry:
    itself when it is a reseller, a customer's active reseller, else None)."""
    first: dict[int, int] = {}
    for chunk in _chunks(user_ids):
        for uid, tid in session.exec(select(Membership.user_id, Membership.tenant_id)
                                     .where(col(Membership.user_id).in_(chunk)).order_by(col(Membership.id))):
            first.setdefault(uid, tid)
    tenant_ids = sorted(set(first.values()))
    tenants: dict[int, Tenant] = {}
    resellers: dict[int, Tenant] = {}
    for chunk in _chunks(tenant_ids):
        for t in session.exec(select(Tenant).where(col(Tenant.id).in_(chunk))):
            tenants[t.id] = t  # type: ignore[index]
        rows = session.exec(
            select(Connection.customer_id, Tenant).join(Tenant, col(Tenant.id) == Connection.reseller_id)
            .where(col(Connection.customer_id).in_(chunk), Connection.state == ConnectionState.active)
            .order_by(col(Connection.id)))
        for cid, reseller in rows:
            resellers.setdefault(cid, reseller)

    def brand(t: Tenant) -> Tenant | None:
        if t.kind == TenantKind.reseller:
            return t
        return resellers.get(t.id) if t.kind == TenantKind.customer else None  # type: ignore[arg-type]

    return {uid: (tenants[tid], brand(tenants[tid])) for uid, tid in first.items()}


# -- issuing --------------------------------------------------------------------------------------

def plan(ctx: Ctx, users: Sequence[User], purpose: str | None = None) -> list[dict[str, Any]]:
    """What issue_links would do, without writing (for --dry-run)."""
    now = utcnow()
    homes = _homes(ctx.session, [u.id for u in users])  # type: ignore[misc]
    out = []
    for u in users:
        p = purpose or (LinkPurpose.reset if u.password_hash else LinkPurpose.initial)
        tenant = homes.get(u.id)  # type: ignore[arg-type]
        lang = pick_language(u.language, tenant[0].language if tenant else None, ctx.settings.default_language)
        out.append({"login": u.login, "email": u.email, "purpose": str(p), "language": lang,
                    "tenant": tenant[0].key if tenant else None, "expires_at": ts(now + lifetime(ctx.settings, p))})
    return out


def issue_links(ctx: Ctx, users: list[User], purpose: str | None = None, *, deliver: bool = True,
                mail: bool = True) -> list[PasswordLink]:
    """One new link per user (disabled users skipped), superseding each user's older open links;
    one password-link mail per link queued in the outbox (unless mail=False); one audit event per
    link; delivery appended to ctx.after_commit (unless deliver=False). Set-based: a few
    statements per 500 users, no hashing, no token (tokens are minted at delivery)."""
    if purpose is not None and purpose not in {p.value for p in LinkPurpose}:
        raise UsageError(f"unknown link purpose {purpose!r}", hint="use initial or reset")
    s, settings, actor = ctx.session, ctx.settings, ctx.actor
    users = [u for u in users if u.status != UserStatus.disabled]
    if not users:
        return []
    now = utcnow()
    user_ids = [u.id for u in users]
    for chunk in _chunks(user_ids):
        s.execute(update(PasswordLink)
                  .where(col(PasswordLink.user_id).in_(chunk), col(PasswordLink.used_at).is_(None),
                         col(PasswordLink.voided_at).is_(None))
                  .values(voided_at=now, void_reason="superseded").execution_options(synchronize_session=False))
    rows = []
    for u in users:
        p = purpose or (LinkPurpose.reset if u.password_hash else LinkPurpose.initial)
        rows.append({"user_id": u.id, "purpose": str(p), "expires_at": now + lifetime(settings, p),
                     "credential_version": u.credential_version, "created_at": now, "created_by": actor.label})
    links = list(s.scalars(insert(PasswordLink).returning(PasswordLink, sort_by_parameter_order=True), rows).all())
    homes = _homes(s, user_ids)  # type: ignore[arg-type]
    audit_rows = []
    mails = []
    for u, link in zip(users, links, strict=True):
        tenant, reseller = homes.get(u.id, (None, None))  # type: ignore[arg-type]
        lang = pick_language(u.language, tenant.language if tenant else None, settings.default_language)
        platform = str(settings.mail_from_name)
        # times are stored as ISO text and shown in the recipient's zone and language at rendering
        context = {"recipient_name": f"{u.first_name} {u.last_name}", "login": u.login,
                   "tenant_name": tenant.name if tenant else platform, "platform_name": platform,
                   **mail_identity.identity(settings, reseller, lang),
                   "expires_at": ts(link.expires_at), "purpose": link.purpose,
                   "time_zone": mail_identity.person_zone(u, tenant)}
        mails.append({"to_address": u.email, "to_name": f"{u.first_name} {u.last_name}",
                      "template": f"password_link_{link.purpose}", "language": lang, "context": context,
                      "ref_type": "password_link", "ref_id": link.id})
        audit_rows.append({"at": now, "actor": actor.label, "action": "password.link", "object_type": "user",
                           "object_key": u.login, "tenant_id": tenant.id if tenant else None,
                           "details": {"link_id": link.id, "purpose": link.purpose,
                                       "expires_at": ts(link.expires_at), "mailed": mail}})
    s.execute(insert(AuditEvent), audit_rows)
    if mail:
        ids = outbox.queue_many(ctx, mails)
        if deliver:
            from tenantctl.store.mail.delivery import delivery_for

            delivery_for(ctx).add(ids)
    return links


def mint_now(ctx: Ctx, links: Sequence[PasswordLink], *, for_mail: bool = False) -> dict[int, str]:
    """Mint the tokens of fresh links now (for --print-link): only their hashes are stored. With
    for_mail, this process keeps them in memory so that the mails delivered after the commit carry
    the same links (a later delivery by another process mints new ones, superseding these)."""
    out: dict[int, str] = {}
    for chunk in _chunks(list(links)):
        for link in chunk:
            token = tokens.new_token(link.id)
            out[link.id] = token
            ctx.session.execute(update(PasswordLink).where(col(PasswordLink.id) == link.id)
                                .values(token_hash=tokens.hash_token(token))
                                .execution_options(synchronize_session=False))
    if for_mail:
        _PREMINTED.update(out)
    return out


@minter("password_link")
def mint_for_mail(session: Session, ref_id: int, settings: Settings) -> dict[str, Any] | None:
    """The minter of "password_link" mails: at delivery, a fresh token for a still-open link (its hash
    replaces any earlier one), or None when the link is no longer valid."""
    link = session.get(PasswordLink, ref_id)
    if link is None:
        return None
    user = session.get(User, link.user_id)
    if not is_open(link, user, utcnow()):
        _PREMINTED.pop(ref_id, None)
        return None
    token = _PREMINTED.pop(ref_id, None)
    if token is None or not tokens.same_hash(link.token_hash, token):
        token = tokens.new_token(ref_id)
        link.token_hash = tokens.hash_token(token)
        session.add(link)
    return {"link": link_url(settings, token)}


def _preload_links(session: Session, link_ids: list[int]) -> list[Any]:
    links = list(session.exec(select(PasswordLink).where(col(PasswordLink.id).in_(link_ids))).all())
    user_ids = sorted({link.user_id for link in links})
    return links + list(session.exec(select(User).where(col(User.id).in_(user_ids))).all())


mint_for_mail.preload = _preload_links  # type: ignore[attr-defined]


# -- using a link ---------------------------------------------------------------------------------

def check_token(session: Session, token_text: str, now: datetime | None = None) -> tuple[PasswordLink, User]:
    """The open link and its user for a token, or InvalidLink (the same error for every reason:
    unknown, tampered, expired, used, voided, superseded, stale credential version)."""
    parsed = tokens.parse(token_text or "")
    if parsed is None:
        raise InvalidLink()
    link_id, token = parsed
    link = session.get(PasswordLink, link_id)
    if link is None or not tokens.same_hash(link.token_hash, token):
        raise InvalidLink()
    user = session.get(User, link.user_id)
    if user is None or not is_open(link, user, now or utcnow()):
        raise InvalidLink()
    return link, user


def redeem(ctx: Ctx, token_text: str, password: str, now: datetime | None = None) -> dict[str, Any]:
    """Set the user's password through a link: policy, argon2id, credential version bumped, this
    link used, every other open link voided, status active, audit event."""
    s = ctx.session
    now = now or utcnow()
    link, user = check_token(s, token_text, now)
    passwords.check_policy(password, user.login, user.email)
    refuse_current(user, password)
    new_hash = passwords.hash_password(password)
    if _before_write:
        _before_write("redeem")
    seen = link.credential_version
    won = s.execute(update(User).where(col(User.id) == user.id, col(User.credential_version) == seen)
                    .values(password_hash=new_hash, credential_version=seen + 1, status=UserStatus.active,
                            password_changed_at=now, updated_at=now)
                    .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    used = s.execute(update(PasswordLink).where(col(PasswordLink.id) == link.id, col(PasswordLink.used_at).is_(None),
                                                col(PasswordLink.voided_at).is_(None))
                     .values(used_at=now).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if won != 1 or used != 1:
        raise InvalidLink()  # lost a race: the transaction is rolled back
    s.execute(update(PasswordLink).where(col(PasswordLink.user_id) == user.id, col(PasswordLink.id) != link.id,
                                         col(PasswordLink.used_at).is_(None), col(PasswordLink.voided_at).is_(None))
              .values(voided_at=now, void_reason="password_set").execution_options(synchronize_session=False))
    record(s, ctx.actor, "password.set", "user", user.login, None, link_id=link.id, purpose=link.purpose)
    s.expire_all()
    return {"login": user.login, "status": UserStatus.active.value, "password_changed_at": ts(now)}


def refuse_current(user: User, password: str) -> None:
    """A new password must differ from the current one (a "change" to the same password would
    leave an exposed password in place while looking like a fix). One argon2 verification."""
    if user.password_hash and passwords.verify_password(user.password_hash, password):
        raise InvalidInput("the new password is the current password", hint="choose a password you have not used "
                           "for this account", details={"rule": "current"})


def set_first_password(ctx: Ctx, user: User, password: str) -> None:
    """A newcomer's own password, chosen while accepting an invitation that reached their mailbox
    (store.services.invitations.password_on_page): the policy of a password link, argon2id,
    the account active at once; no password link is issued."""
    now = utcnow()
    passwords.check_policy(password, user.login, user.email)
    user.password_hash = passwords.hash_password(password)
    user.credential_version += 1
    user.status = UserStatus.active
    user.password_changed_at = now
    user.updated_at = now
    ctx.session.add(user)
    ctx.session.flush()
    record(ctx.session, ctx.actor, "password.set", "user", user.login, None, via="invitation")


# -- the login check ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verified:
    """A password that matched: the user and the hash it matched (for record_login's
    compare-and-set), and the password's new hash when the work factor changed."""

    user_id: int
    password_hash: str
    rehash: str | None = None


def person_key(session: Session, ident: str) -> str:
    """Whom a login or forgot-password attempt is about, whatever spelling was typed (login or
    e-mail): 'user:<id>', or the folded text for a name that is nobody's (web.login_throttle)."""
    from tenantctl.store.services.users import find_user_row

    text_ = (ident or "").strip()
    user = find_user_row(session, text_) if text_ and len(text_) <= 320 else None
    return f"user:{user.id}" if user is not None else "name:" + text_.casefold()[:320]


def login(ctx: Ctx, ident: str, password: str) -> dict[str, Any]:
    """The platform's login in one transaction (the invitation page, which accepts in the same
    one): verify_login then record_login. The CLI and the login check run the two halves in two
    transactions, so that the argon2 verification holds no write lock."""
    return record_login(ctx, verify_login(ctx, ident, password))


def verify_login(ctx: Ctx, ident: str, password: str) -> Verified:
    """The expensive half, read-only: the same LoginFailed for an unknown login (which costs one
    verification of a dummy hash: equal timing), a wrong password, a disabled user and a user
    without an active tenant. Writes nothing; record_login writes the login's effects."""
    from tenantctl.store.services.users import find_user_row

    s = ctx.session
    user = find_user_row(s, ident) if ident and ident.strip() else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.status == UserStatus.disabled or not _in_an_active_tenant(s, user):
        raise LoginFailed()
    assert user.id is not None and user.password_hash is not None
    rehash = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    return Verified(user.id, user.password_hash, rehash)


def record_login(ctx: Ctx, verified: Verified) -> dict[str, Any]:
    """The cheap half, in a write transaction: last login recorded, credential version bumped (so
    the user's open links die, S3), audit event. The user is read again (locked on PostgreSQL);
    a password that changed since verify_login (a link redeemed, another login's rehash), a user
    disabled or left without an active tenant meanwhile: LoginFailed, nothing written — the
    verified password is never written over a newer one. A credential version bumped by anything
    else (a second login, an e-mail change) does not matter: the same hash still matches, so the
    login goes ahead on the version read now."""
    from tenantctl.store.services.users import memberships_of

    s = ctx.session
    if _before_write:
        _before_write("login")
    user = s.exec(select(User).where(col(User.id) == verified.user_id).with_for_update()
                  .execution_options(populate_existing=True)).first()
    if (user is None or user.password_hash != verified.password_hash or user.status == UserStatus.disabled
            or not _in_an_active_tenant(s, user)):
        raise LoginFailed()
    now = utcnow()
    values: dict[str, Any] = {"credential_version": user.credential_version + 1, "last_login_at": now}
    if verified.rehash:
        values["password_hash"] = verified.rehash
    won = s.execute(update(User).where(col(User.id) == user.id, col(User.credential_version) == user.credential_version,
                                       col(User.password_hash) == verified.password_hash)
                    .values(**values).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise LoginFailed()  # changed between the read and the update (SQLite serialises; PostgreSQL locked it)
    voided = s.execute(update(PasswordLink).where(col(PasswordLink.user_id) == user.id,
                                                  col(PasswordLink.used_at).is_(None),
                                                  col(PasswordLink.voided_at).is_(None))
                       .values(voided_at=now, void_reason="login")
                       .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    record(s, ctx.actor, "auth.login", "user", user.login, None, links_voided=voided)
    s.expire_all()
    return {"login": user.login, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "language": user.language, "last_login_at": ts(now), "links_voided": voided,
            "memberships": memberships_of(s, user.id, None)}  # type: ignore[arg-type]


def can_log_in(s: Session, user: User) -> bool:
    """A login would succeed with the right password: active, in an active tenant."""
    return user.status != UserStatus.disabled and _in_an_active_tenant(s, user)


def _in_an_active_tenant(s: Session, user: User) -> bool:
    """A user whose every tenant is suspended, pending or rejected, or who has no membership
    left, cannot log in (the same answer as a wrong password)."""
    found = s.exec(select(Membership.id).join(Tenant, col(Tenant.id) == Membership.tenant_id)
                   .where(Membership.user_id == user.id, Tenant.status == TenantStatus.active).limit(1)).first()
    return found is not None


# -- listing links (for --print-link output and tests) --------------------------------------------

def link_out(link: PasswordLink, user: User, token: str | None, settings: Settings) -> dict[str, Any]:
    return {"link_id": link.id, "login": user.login, "email": user.email, "purpose": link.purpose,
            "expires_at": ts(link.expires_at), "link": link_url(settings, token) if token else None}


# -- `password send-link` (CLI) and POST /api/v1/password-links: one function for both faces -------

def send_links(ctx: Ctx, idents: Sequence[str], *, tenant: str | None = None, without_password: bool = False,
               purpose: str | None = None, print_link: bool = False, also_mail: bool = False,
               dry_run: bool = False, send_now: bool = True, unless_open: bool = False,
               progress: Any = None) -> dict[str, Any]:
    """Choose the users, then plan (dry run) or issue their links: mailed (queued in the outbox and,
    with send_now, delivered by the command's one hook once it committed), printed once
    (print_link), or both. With unless_open a user who holds an open link is left alone (listed in
    "skipped_open"). The delivery's summary lands in the result's "delivery"."""
    if also_mail and not print_link:
        raise UsageError("--also-mail only goes with --print-link", hint="links are mailed by default")
    mail = not print_link or also_mail
    chosen, skipped, outside = select_users(ctx, idents, tenant=tenant, without_password=without_password)
    has_link: list[User] = []
    if unless_open:
        holding = with_open_link(ctx.session, chosen)
        has_link = [u for u in chosen if u.id in holding]
        chosen = [u for u in chosen if u.id not in holding]
    result: dict[str, Any] = {"dry_run": dry_run, "links": [], "skipped": [u.login for u in skipped],
                              "skipped_outside_scope": outside, "skipped_open": [u.login for u in has_link],
                              "delivery": None}
    if dry_run:
        result["links"] = plan(ctx, chosen, purpose)
        return result
    links = issue_links(ctx, chosen, purpose, deliver=send_now, mail=mail)
    minted = mint_now(ctx, links, for_mail=also_mail) if print_link else {}
    by_id = {u.id: u for u in chosen}
    result["links"] = [{**link_out(link, by_id[link.user_id], minted.get(link.id or 0), ctx.settings),
                        "mailed": mail} for link in links]
    if mail and send_now:
        from tenantctl.store.mail.delivery import delivery_for

        hook = delivery_for(ctx)  # the one hook issue_links queued its mails on
        hook.progress = progress

        def summarise() -> None:  # after the hook (appended before this): what the delivery did
            result["delivery"] = hook.summary.as_dict() if hook.summary is not None else None

        ctx.after_commit.append(summarise)
    return result
