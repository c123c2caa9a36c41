"""Personal API tokens: the credential with which a user works through `tenantctl serve`.

A token reads `tctl_<id>_<secret>` (the prefix lets secret scanners and people recognise it; the
id selects the row; the secret is `secrets.token_urlsafe(32)`). Only the SHA-256 of the whole
token is stored and compared in constant time (store/tokens.py). A token carries no rights of
its own: each request resolves its user's *current* memberships and roles, so disabling the user,
removing a membership or suspending a tenant takes effect on the next request."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tenantctl.store import rules, tokens
from tenantctl.store.actor import Actor, label_for, resolve_actor
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.durations import parse_duration
from tenantctl.store.enums import UserStatus
from tenantctl.store.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from tenantctl.store.models import ApiToken, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import Page, paginate
from tenantctl.store.types import MAX_ID, utcnow

PREFIX = "tctl_"
TOKEN_RE = re.compile(r"^tctl_(\d{1,18})_([A-Za-z0-9_-]{43})$")
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
NAME_MAX = 40
# last_used_at is written at most this often per token: a busy script does not turn every read
# into a write (and on SQLite into a wait for the write lock)
TOUCH_EVERY = timedelta(seconds=60)
BAD_TOKEN = "the API token is invalid, expired or revoked"
BAD_TOKEN_HINT = "create a new one (tenantctl token create, or tenantctl login)"


def parse_lifetime(text: str | None) -> timedelta:
    """`90d` (default), `12h`, `30m` or a plain number of days; at most 366 days."""
    return parse_duration(text, default=DEFAULT_LIFETIME, maximum=MAX_LIFETIME, example="90d")


def parse(raw: str) -> tuple[int, str] | None:
    text = (raw or "").strip()
    m = TOKEN_RE.match(text)
    if not m or len(m.group(1)) > 10 or int(m.group(1)) > MAX_ID:  # no row has such an id: no query
        return None
    return int(m.group(1)), text


def id_of(raw: str) -> int | None:
    """The id a presented token names (whether or not it is valid)."""
    parsed = parse(raw)
    return parsed[0] if parsed else None


def _clean_name(name: str | None) -> str:
    value = rules.clean_name(name, "token name") if name and name.strip() else "default"
    if len(value) > NAME_MAX:
        raise InvalidInput(f"the token name is longer than {NAME_MAX} characters", hint="choose a shorter --name")
    # a name must be revocable by name: digits would be read as an id (another token), and
    # DELETE /tokens/current is the request's own token (tenantctl logout)
    if value.isdigit():
        raise InvalidInput(f"token name {value!r} is only digits: `token revoke {value}` would mean the token "
                           "with that id", hint="choose a name with a letter, e.g. --name ci-2026")
    if value.casefold() == "current":
        raise InvalidInput(f"token name {value!r} is reserved: over HTTP 'current' means the token a request "
                           "comes with", hint="choose another --name")
    return value


def _acting_user(ctx: Ctx) -> User:
    if ctx.actor.user_id is None:
        raise InvalidInput("the operator without --as is no user and cannot own a token",
                           hint="create it for a user: tenantctl --as LOGIN token create --name ci")
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    return user


def token_out(t: ApiToken, login: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    if t.revoked_at is not None:
        state = "revoked"
    elif t.expires_at is not None and t.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return {"id": t.id, "name": t.name, "user": login, "read_only": t.read_only, "state": state,
            "created_at": ts(t.created_at), "created_by": t.created_by, "last_used_at": ts(t.last_used_at),
            "expires_at": ts(t.expires_at), "revoked_at": ts(t.revoked_at), "revoked_by": t.revoked_by}


def create(ctx: Ctx, *, name: str | None = None, expires_in: str | None = None,
           read_only: bool = False) -> dict[str, Any]:
    """A token for the acting user. The returned `token` is the only copy there will ever be."""
    s = ctx.session
    user = _acting_user(ctx)
    name = _clean_name(name)
    lifetime = parse_lifetime(expires_in)
    row = ApiToken(user_id=user.id, name=name, token_hash="-", read_only=read_only,  # type: ignore[arg-type]
                   expires_at=utcnow() + lifetime, created_by=ctx.actor.label)
    s.add(row)
    s.flush()  # the id is part of the token
    raw = f"{PREFIX}{row.id}_{tokens.new_token(row.id or 0).split('.', 1)[1]}"
    row.token_hash = tokens.hash_token(raw)
    s.add(row)
    s.flush()
    record(s, ctx.actor, "token.create", "token", f"{user.login}/{name}", None, id=row.id, read_only=read_only,
           expires_at=row.expires_at)
    return {**token_out(row, user.login), "token": raw}


def list_tokens(ctx: Ctx, *, user: str | None = None, all_users: bool = False, include_inactive: bool = False,
                limit: int | None = None, offset: int = 0) -> Page[dict[str, Any]]:
    """The acting user's tokens; the operator may ask for one user's or everyone's (the operator
    without --as, who owns none, gets everyone's). Never a secret."""
    s, actor = ctx.session, ctx.actor
    all_users = all_users or (actor.is_operator and actor.user_id is None and not user)
    stmt = select(ApiToken, User.login).join(User, col(User.id) == ApiToken.user_id).order_by(col(ApiToken.id))
    if user or all_users:
        if not actor.is_operator:
            raise PermissionDenied("only the operator lists other users' tokens", hint="drop --user / --all")
        if user:
            from tenantctl.store.services.users import find_user_row

            owner = find_user_row(s, user)
            if owner is None:
                raise NotFound(f"user {user!r} not found", hint="see tenantctl user list")
            stmt = stmt.where(ApiToken.user_id == owner.id)
    else:
        stmt = stmt.where(ApiToken.user_id == _acting_user(ctx).id)
    if not include_inactive:
        stmt = stmt.where(col(ApiToken.revoked_at).is_(None),
                          col(ApiToken.expires_at).is_(None) | (col(ApiToken.expires_at) > utcnow()))
    rows, total = paginate(s, stmt, limit, offset)
    now = utcnow()
    return Page([token_out(t, login, now) for t, login in rows], total, limit, offset)


def find_token_id(ctx: Ctx, ref: str | int, user: str | None = None) -> int:
    """A token named by its id or by its name. A name means the acting user's token (the operator:
    anyone's, or `user`'s); revoked and expired ones are skipped, and a name several live tokens
    share is refused with their ids rather than guessed."""
    text = str(ref).strip()
    if text.isdigit():
        if len(text) > 10 or int(text) > MAX_ID:
            raise InvalidInput(f"token id {text[:20]} is out of range", hint="see tenantctl token list")
        return int(text)
    s, actor = ctx.session, ctx.actor
    stmt = select(ApiToken, User.login).join(User, col(User.id) == ApiToken.user_id).where(
        ApiToken.name == text, col(ApiToken.revoked_at).is_(None),
        col(ApiToken.expires_at).is_(None) | (col(ApiToken.expires_at) > utcnow())).order_by(col(ApiToken.id))
    if user:
        if not actor.is_operator:
            raise PermissionDenied("only the operator revokes other users' tokens", hint="drop --user")
        from tenantctl.store.services.users import find_user_row

        owner = find_user_row(s, user)
        if owner is None:
            raise NotFound(f"user {user!r} not found", hint="see tenantctl user list")
        stmt = stmt.where(ApiToken.user_id == owner.id)
    elif not (actor.is_operator and actor.user_id is None):
        stmt = stmt.where(ApiToken.user_id == _acting_user(ctx).id)
    found = s.exec(stmt).all()
    if not found:
        raise NotFound(f"no active token named {text!r}", hint="see tenantctl token list")
    if len(found) > 1:
        ids = ", ".join(f"{t.id} ({login})" for t, login in found)
        raise Conflict(f"{len(found)} active tokens are named {text!r}: {ids}", hint="revoke one by its id")
    return found[0][0].id or 0


def revoke(ctx: Ctx, ref: str | int, user: str | None = None) -> dict[str, Any]:
    """Revoke one of the acting user's tokens (the operator: anyone's), by id or name. It stops
    working at once."""
    s, actor = ctx.session, ctx.actor
    token_id = find_token_id(ctx, ref, user)
    row = s.get(ApiToken, token_id)
    if row is None or not (actor.is_operator or row.user_id == actor.user_id):
        raise NotFound(f"token {token_id} not found", hint="see tenantctl token list")
    owner = s.get(User, row.user_id)
    assert owner is not None
    changed = row.revoked_at is None
    if changed:
        row.revoked_at = utcnow()
        row.revoked_by = actor.label
        s.add(row)
        s.flush()
        record(s, actor, "token.revoke", "token", f"{owner.login}/{row.name}", None, id=row.id)
    return {**token_out(row, owner.login), "changed": changed}


def revoke_presented(ctx: Ctx, raw: str) -> dict[str, Any]:
    """`tenantctl logout`: revoke the token the request came with."""
    found = _lookup(ctx.session, raw)
    if found is None:
        raise Unauthenticated(BAD_TOKEN, hint=BAD_TOKEN_HINT)
    return revoke(ctx, found.id or 0)


def _lookup(session: Session, raw: str) -> ApiToken | None:
    parsed = parse(raw)
    if parsed is None:
        return None
    row = session.get(ApiToken, parsed[0])
    if row is None or not tokens.same_hash(row.token_hash, parsed[1]):
        return None
    return row


def authenticate(session: Session, raw: str | None, now: datetime | None = None) -> tuple[Actor, ApiToken]:
    """The actor a presented token stands for, with the user's current rights; Unauthenticated
    (one message for every reason) when the token is unknown, wrong, revoked or expired, or its
    user is disabled."""
    now = now or utcnow()
    row = _lookup(session, raw or "")
    if row is None:
        raise Unauthenticated(BAD_TOKEN, hint=BAD_TOKEN_HINT)
    # past this point the caller holds the real token: telling them why it no longer works is safe
    if row.revoked_at is not None:
        raise Unauthenticated(f"the API token {row.name!r} was revoked", hint=BAD_TOKEN_HINT)
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated(f"the API token {row.name!r} has expired", hint=BAD_TOKEN_HINT)
    user = session.get(User, row.user_id)
    if user is None or user.status == UserStatus.disabled:
        raise Unauthenticated(f"the user of the API token {row.name!r} is disabled",
                              hint="ask an admin to enable the user")
    actor = resolve_actor(session, user.login)
    return replace(actor, label=label_for(user.login, row.name)), row


def needs_touch(row: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY


def touch(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Record the token's use (in its own short write transaction, see TOUCH_EVERY)."""
    from sqlalchemy import update

    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now or utcnow()))


def login_and_create(ctx: Ctx, ident: str, password: str, *, name: str | None = None,
                     expires_in: str | None = None, read_only: bool = False) -> dict[str, Any]:
    """`tenantctl login`: check the password like the platform's login does (one error for every
    failure), then create a token for that user, acting as the user."""
    from tenantctl.store.services import passwords

    try:
        result = passwords.login(ctx, ident, password)
    except PermissionDenied as exc:
        raise Unauthenticated(exc.message, hint=exc.hint) from None
    user = _find(ctx.session, result["login"])
    user_ctx = Ctx(ctx.session, resolve_actor(ctx.session, user.login), ctx.settings, ctx.after_commit)
    return create(user_ctx, name=name, expires_in=expires_in, read_only=read_only)


def _find(session: Session, login: str) -> User:
    user = session.exec(select(User).where(User.login == login)).first()
    assert user is not None
    return user
