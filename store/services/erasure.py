"""Erasure (GDPR Art. 17): `user erase` and `tenant erase`, in the command's one transaction.

A person's row stays as a pseudonym, `erased-<n>`, under a new id (nothing in the store names the
old one): names, address, login, password hash, links, invitations to them, API tokens, mails to
them and memberships go; every text that names them (audit entries, `*_by` labels, free text, mail
contexts, import records) is rewritten to the pseudonym (store/services/pseudonyms.py). The `.eml`
copies go after the commit (store/services/outbox_files.py; a kill in between leaves them to the
next sweep). `--dry-run` runs the same code in a savepoint that is rolled back, so the receipt it
prints is exactly what the real run writes. Who may erase: store/actor.py."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from tenantctl.store.actor import can_see_user, get_tenant, may_erase_tenant, may_erase_user
from tenantctl.store.audit import record
from tenantctl.store.context import Ctx
from tenantctl.store.enums import InvitationStatus, MailState, TenantKind, TenantStatus, UserStatus
from tenantctl.store.errors import Conflict, NotFound, PermissionDenied
from tenantctl.store.lookup import find_user_row
from tenantctl.store.models import (
    AccessRight,
    ApiToken,
    ImportRunItem,
    Invitation,
    Membership,
    OutboxMail,
    PasswordLink,
    Tenant,
    User,
)
from tenantctl.store.services import memberships, outbox_files, savepoint
from tenantctl.store.services.pseudonyms import Identity, person, rewrite_everywhere
from tenantctl.store.types import utcnow
from tenantctl.store.wipe import zero_freed_content

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never deliverable


def _add(counts: dict[str, int], table: str, n: int) -> None:
    if n:
        counts[table] = counts.get(table, 0) + n


def _delete(s: Session, model: Any, *where: Any) -> int:
    return int(s.execute(delete(model).where(*where).execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def _erase_person(ctx: Ctx, user: User, deleted: dict[str, int], rewritten: dict[str, int], *,
                  leaving_tenant: int | None = None) -> str:
    """Erase one person; returns the pseudonym. `leaving_tenant`: a tenant being erased itself,
    whose last-admin rule no longer applies (its membership is deleted here, not through the
    membership service that would refuse it)."""
    s, now = ctx.session, utcnow()
    old_id, login, email_key = user.id, user.login, user.email_key
    assert old_id is not None
    rows = s.exec(select(Membership, Tenant).join(Tenant, col(Tenant.id) == Membership.tenant_id)
                  .where(Membership.user_id == old_id).order_by(col(Tenant.key))).all()
    membership_ids = [m.id for m, _ in rows]
    _add(deleted, "access_right", int(s.exec(select(func.count()).select_from(AccessRight).where(
        col(AccessRight.membership_id).in_(membership_ids))).one()) if membership_ids else 0)
    said = len(ctx.warnings)
    for m, t in rows:
        if t.id == leaving_tenant:
            s.delete(m)
            s.flush()
        else:
            memberships.remove_member(ctx, login, t.key)
    del ctx.warnings[said:]  # "now belongs to no tenant, can be brought back": not for an erasure
    _add(deleted, "membership", len(rows))
    _add(deleted, "password_link", _delete(s, PasswordLink, col(PasswordLink.user_id) == old_id))
    _add(deleted, "api_token", _delete(s, ApiToken, col(ApiToken.user_id) == old_id))
    _add(deleted, "invitation", _delete(s, Invitation, func.lower(Invitation.email) == email_key))
    _add(deleted, "outbox_mail", _delete(s, OutboxMail, func.lower(OutboxMail.to_address) == email_key))
    items = (((col(ImportRunItem.object_type) == "user") & (col(ImportRunItem.object_id) == old_id))
             | ((col(ImportRunItem.object_type) == "membership") & col(ImportRunItem.object_id).in_(membership_ids)))
    _add(deleted, "import_run_item", _delete(s, ImportRunItem, items))

    # the pseudonym's row under a new id; what pointed at the old row now points at it
    row = User(login=f"erasing-{uuid.uuid4().hex}", email="", email_key=f"erasing-{uuid.uuid4().hex}",
               first_name="", last_name="", language=user.language, status=UserStatus.disabled,
               created_at=user.created_at, created_by=user.created_by, updated_at=now)
    s.add(row)
    s.flush()
    pseudonym = f"erased-{row.id}"
    row.login, row.first_name = pseudonym, pseudonym
    row.email = row.email_key = f"{pseudonym}@{ERASED_DOMAIN}"
    s.add(row)
    s.execute(update(Invitation).where(col(Invitation.invited_by_user_id) == old_id)
              .values(invited_by_user_id=row.id).execution_options(synchronize_session=False))
    s.expunge(user)
    _delete(s, User, col(User.id) == old_id)
    s.flush()

    who = person(pseudonym, login=login, email=email_key, first_name=user.first_name, last_name=user.last_name,
                 skip_rows={"user_account": {row.id}})  # type: ignore[arg-type]
    _rewrite(ctx, who, rewritten)
    return pseudonym


def _rewrite(ctx: Ctx, who: Identity, rewritten: dict[str, int]) -> None:
    """Rewrite every mention; a delivered mail that named them loses its body (and its .eml copy)."""
    s = ctx.session
    ids = rewrite_everywhere(s, who)
    for table, changed in ids.items():
        _add(rewritten, table, len(changed))
    mails = sorted(ids.get("outbox_mail", set()))
    if mails:
        s.execute(update(OutboxMail).where(col(OutboxMail.id).in_(mails),
                                           col(OutboxMail.state).in_([MailState.sent, MailState.failed]))
                  .values(context={}, purged_at=utcnow()).execution_options(synchronize_session=False))


def _after_commit_sweep(ctx: Ctx, receipt: dict[str, Any]) -> None:
    """The .eml copies of deleted or purged mails go once the erasure is committed."""
    from tenantctl.store.db import Store

    store = Store.of_session(ctx.session)
    settings = ctx.settings

    def sweep() -> None:
        receipt["files_deleted"], left = outbox_files.sweep(store, settings)
        if left:  # the CLI says so; the next erase or db prune deletes them
            receipt["files_left"] = left

    ctx.after_commit.append(sweep)


def _receipt(ctx: Ctx, what: str, dry_run: bool, deleted: dict[str, int], rewritten: dict[str, int],
             **more: Any) -> dict[str, Any]:
    files = len(outbox_files.stale_files(ctx.session, ctx.settings))
    out = {"action": f"would erase {what}" if dry_run else "erased", **more,
           "deleted": dict(sorted(deleted.items())), "rewritten": dict(sorted(rewritten.items())),
           "outbox_files": files, "by": ctx.actor.label, "at": utcnow().isoformat(timespec="seconds")}
    return out


def erase_user(ctx: Ctx, ident: str, *, dry_run: bool = False) -> dict[str, Any]:
    """`user erase LOGIN|EMAIL`: refused (nothing changes) for the last admin of a tenant."""
    s, actor = ctx.session, ctx.actor
    user = find_user_row(s, ident)
    if user is None or not can_see_user(s, actor, user.id):  # type: ignore[arg-type]
        raise NotFound(f"user {ident!r} not found", hint="see tenantctl user list")
    if not may_erase_user(s, actor, user.id):  # type: ignore[arg-type]
        raise PermissionDenied(f"{actor.label} may not erase user {user.login!r}",
                               hint="erasure is for the operator, or the reseller that manages every tenant of "
                                    "the person; remove the membership instead: tenantctl member remove")
    if actor.user_id == user.id:
        raise PermissionDenied("you cannot erase yourself", hint="ask the operator")
    if user.login.startswith("erased-") and user.email_key.endswith("@" + ERASED_DOMAIN):
        raise Conflict(f"user {user.login!r} is erased already", hint="nothing left to erase")
    memberships.check_not_last_admin(s, user)
    zero_freed_content(s)
    login = user.login
    deleted: dict[str, int] = {"user_account": 1}
    rewritten: dict[str, int] = {}
    with savepoint(s, rollback=dry_run):
        pseudonym = _erase_person(ctx, user, deleted, rewritten)
        receipt = _receipt(ctx, "user", dry_run, deleted, rewritten, user=login, pseudonym=pseudonym)
        record(s, actor, "user.erase", "user", pseudonym, None, deleted=receipt["deleted"],
               rewritten=receipt["rewritten"])
        s.flush()
    if dry_run:
        receipt["pseudonym"] = "erased-<n>"  # the id is drawn when it is written
    else:
        _after_commit_sweep(ctx, receipt)
    return receipt


def erase_tenant(ctx: Ctx, key: str, *, dry_run: bool = False) -> dict[str, Any]:
    """`tenant erase KEY`: a departing customer company. Its people who belong nowhere else are
    erased; the others lose this membership. The tenant stays as a pseudonym (`erased-tenant-<id>`,
    suspended) so that its connection history and bookings keep their place."""
    s, actor = ctx.session, ctx.actor
    tenant = get_tenant(s, actor, key)
    if not may_erase_tenant(s, actor, tenant):
        raise PermissionDenied(f"{actor.label} may not erase tenant {tenant.key!r}",
                               hint="erasure is for the operator, or the reseller the customer is connected to")
    if tenant.kind != TenantKind.customer:
        raise Conflict(f"tenant {tenant.key!r} is a {tenant.kind}: tenant erase is for customer companies",
                       hint="erase its people one by one with tenantctl user erase")
    if tenant.key.startswith("erased-tenant-"):
        raise Conflict(f"tenant {tenant.key!r} is erased already", hint="nothing left to erase")
    zero_freed_content(s)
    old_key, old_name = tenant.key, tenant.name
    deleted: dict[str, int] = {}
    rewritten: dict[str, int] = {}
    erased: list[str] = []
    detached: list[str] = []
    with savepoint(s, rollback=dry_run):
        rows = s.exec(select(Membership, User).join(User, col(User.id) == Membership.user_id)
                      .where(Membership.tenant_id == tenant.id).order_by(col(User.login))).all()
        if any(u.id == actor.user_id for _, u in rows):
            raise PermissionDenied("you cannot erase a tenant you belong to", hint="ask the operator")
        for m, u in rows:
            if s.exec(select(func.count()).select_from(Membership).where(Membership.user_id == u.id)).one() > 1:
                # stays a person elsewhere: only this membership goes (the tenant's last-admin rule
                # no longer applies, the tenant itself goes)
                s.delete(m)
                s.flush()
                record(s, actor, "member.remove", "membership", f"{u.login}@{old_key}", tenant.id, role=m.role,
                       via="tenant erase")
                _add(deleted, "membership", 1)
                detached.append(u.login)
            else:
                _add(deleted, "user_account", 1)
                erased.append(_erase_person(ctx, u, deleted, rewritten, leaving_tenant=tenant.id))
        pseudonym = f"erased-tenant-{tenant.id}"
        s.refresh(tenant)
        tenant.key, tenant.name, tenant.status = pseudonym, pseudonym, TenantStatus.suspended
        tenant.external_id = tenant.decision_reason = None
        tenant.mail_sender_name = tenant.mail_reply_to = tenant.mail_signature = None
        tenant.updated_at = utcnow()
        s.add(tenant)
        n = s.execute(update(Invitation).where(col(Invitation.from_tenant_id) == tenant.id,
                                               col(Invitation.status) == InvitationStatus.pending)
                      .values(status=InvitationStatus.revoked, revoked_at=utcnow(), revoked_by=actor.label)
                      .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        s.flush()
        _rewrite(ctx, Identity(pseudonym, [old_name], keys=[old_key],
                               skip_rows={"tenant": {tenant.id}}), rewritten)  # type: ignore[arg-type]
        receipt = _receipt(ctx, "tenant", dry_run, deleted, rewritten, tenant=old_key, pseudonym=pseudonym,
                           erased_users=len(erased), detached_users=detached, invitations_revoked=int(n))
        record(s, actor, "tenant.erase", "tenant", pseudonym, tenant.id, deleted=receipt["deleted"],
               rewritten=receipt["rewritten"], erased_users=erased, detached_users=len(detached))
        s.flush()
    if not dry_run:
        _after_commit_sweep(ctx, receipt)
    return receipt
