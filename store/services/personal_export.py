"""Access (GDPR Art. 15): `user export` — everything the store holds about one person, as one JSON
document. Secrets never leave (password and token hashes); mail bodies only while stored.

Besides the person's own rows, `mentions` lists every other row that names them (`*_by` labels,
free text, mails to others, import records) with the columns that do: the same search that an
erasure rewrites (store/services/pseudonyms.py), so the export shows everything an erasure
touches, and of other people's rows no more than what names the person. Who may export:
store/actor.py (`may_export_user`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from tenantctl.store.actor import can_see_user, may_export_user
from tenantctl.store.context import Ctx
from tenantctl.store.errors import NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.models import (
    AccessRight,
    ApiToken,
    Application,
    AuditEvent,
    Invitation,
    Membership,
    OutboxMail,
    PasswordLink,
    Tenant,
)
from tenantctl.store.schemas import ts
from tenantctl.store.services.pseudonyms import SKIPPED_COLUMNS, mentions, person
from tenantctl.store.types import utcnow

FORMAT = "tenantctl-personal-data/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


def _row(obj: Any, skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    return {k: _plain(v) for k, v in obj.model_dump().items() if k not in SKIPPED_COLUMNS and k not in skip}


def export_user(ctx: Ctx, ident: str) -> dict[str, Any]:
    s, actor = ctx.session, ctx.actor
    user = find_user_row(s, ident)
    if user is None or not (actor.user_id == user.id or can_see_user(s, actor, user.id)):  # type: ignore[arg-type]
        raise NotFound(f"user {ident!r} not found", hint="see tenantctl user list")
    if not may_export_user(s, actor, user.id):  # type: ignore[arg-type]
        raise PermissionDenied(f"{actor.label} may not export user {user.login!r}",
                               hint="the export covers the whole platform: the person exports their own data, "
                                    "or the operator does")
    uid, key = user.id, user.email_key
    account = {**_row(user), "has_password": user.password_hash is not None}
    rows = s.exec(select(Membership, Tenant).join(Tenant, col(Tenant.id) == Membership.tenant_id)
                  .where(Membership.user_id == uid).order_by(col(Tenant.key))).all()
    member_of = []
    for m, t in rows:
        apps = s.exec(select(Application.key).join(AccessRight, col(AccessRight.application_id) == Application.id)
                      .where(AccessRight.membership_id == m.id).order_by(col(Application.key))).all()
        member_of.append({"id": m.id, "tenant": t.key, "tenant_name": t.name, "kind": t.kind, "role": m.role,
                          "applications": list(apps), "since": ts(m.created_at), "created_by": m.created_by})
    invited = s.exec(select(Invitation).where(func.lower(Invitation.email) == key).order_by(col(Invitation.id))).all()
    inviter = s.exec(select(Invitation).where(Invitation.invited_by_user_id == uid)
                     .order_by(col(Invitation.id))).all()
    links = s.exec(select(PasswordLink).where(PasswordLink.user_id == uid).order_by(col(PasswordLink.id))).all()
    tokens = s.exec(select(ApiToken).where(ApiToken.user_id == uid).order_by(col(ApiToken.id))).all()
    mails = s.exec(select(OutboxMail).where(func.lower(OutboxMail.to_address) == key)
                   .order_by(col(OutboxMail.id))).all()
    who = person("", login=user.login, email=key, first_name=user.first_name, last_name=user.last_name,
                 skip_rows={"user_account": {uid}})  # type: ignore[arg-type]
    own_mails = {m.id for m in mails}
    found = mentions(s, who)
    audit_ids = [r["id"] for r, _ in found.pop("audit_event", [])]
    audit = s.exec(select(AuditEvent).where(col(AuditEvent.id).in_(audit_ids)).order_by(col(AuditEvent.id))).all() \
        if audit_ids else []
    listed = {"outbox_mail": own_mails, "invitation": {i.id for i in [*invited, *inviter]}}
    others = {table: [(row, named) for row, named in rows if row["id"] not in listed.get(table, set())]
              for table, rows in found.items()}
    return {
        "format": FORMAT, "exported_at": ts(utcnow()), "exported_by": actor.label,
        "account": account,
        "memberships": member_of,
        "invitations_to_them": [_row(i) for i in invited],
        "invitations_by_them": [_row(i) for i in inviter],
        "password_links": [_row(link) for link in links],
        "api_tokens": [_row(t) for t in tokens],
        "mails": [{**_row(m, {"context"}), "body": None if m.purged_at else m.context} for m in mails],
        "audit": [_row(e) for e in audit],
        "logins": {"last_login_at": ts(user.last_login_at), "password_changed_at": ts(user.password_changed_at),
                   "events": [ts(e.at) for e in audit if e.action == "auth.login" and e.object_key == user.login]},
        # of other rows, only the columns that name the person: the rest is other people's data
        "mentions": {table: [{"id": row["id"], **{k: _plain(row[k]) for k in named}} for row, named in rows]
                     for table, rows in sorted(others.items()) if rows},
    }

