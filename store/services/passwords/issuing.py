"""Issuing password links: the plan of a dry run, the links and their mails (set-based), and
`password send-link` / POST /api/v1/password-links in one function for both faces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import col

from tenantctl.store.context import Ctx
from tenantctl.store.enums import LinkPurpose, UserStatus
from tenantctl.store.errors import UsageError
from tenantctl.store.models import AuditEvent, PasswordLink, User
from tenantctl.store.schemas import ts
from tenantctl.store.services import mail_identity, outbox
from tenantctl.store.services.passwords.links import chunks, lifetime, link_out, mint_now
from tenantctl.store.services.passwords.recipients import homes_of, pick_language, select_users, with_open_link
from tenantctl.store.types import utcnow


def plan(ctx: Ctx, users: Sequence[User], purpose: str | None = None) -> list[dict[str, Any]]:
    """What issue_links would do, without writing (for --dry-run)."""
    now = utcnow()
    homes = homes_of(ctx.session, [u.id for u in users])  # type: ignore[misc]
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
    for chunk in chunks(user_ids):
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
    homes = homes_of(s, user_ids)  # type: ignore[arg-type]
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
