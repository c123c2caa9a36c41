"""The outbox: every mail is a row written in the same transaction as the change that causes it.
Delivery happens after the commit (store/mail/). A mail about a token-bearing object (password link,
invitation) names it by `ref_type`/`ref_id`; the token is minted at delivery by the minter
registered in MINTERS, so the database never holds a usable token."""

from __future__ import annotations

from typing import Any

from store.context import Ctx
from store.enums import MailState
from store.models import OutboxMail
from store.types import utcnow

# ref_type → "module:function"; the function is called at delivery as fn(session, ref_id, settings)
# and returns extra template variables (e.g. {"link": url}), or None when the object is no longer
# valid (superseded, revoked) so that the mail is not sent.
MINTERS: dict[str, str] = {}
MINTERS["invitation"] = "store.services.invitations:mint_for_mail"


def queue(ctx: Ctx, *, to_address: str, template: str, language: str, context: dict[str, Any],
          to_name: str | None = None, ref_type: str | None = None, ref_id: int | None = None) -> OutboxMail:
    """Add one mail to the outbox in the current transaction. `context` must be JSON-serialisable
    and must never hold a secret."""
    mail = OutboxMail(to_address=to_address, to_name=to_name, template=template, language=language,
                      context=context, ref_type=ref_type, ref_id=ref_id, state=MailState.queued,
                      next_attempt_at=utcnow(), created_by=ctx.actor.label)
    ctx.session.add(mail)
    ctx.session.flush()
    return mail
