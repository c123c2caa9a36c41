"""Building the RFC 5322 message of one mail (text + HTML alternative)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from store.types import utcnow

if TYPE_CHECKING:
    from store.settings import Settings


def sender_domain(settings: Settings) -> str:
    return str(settings.mail_from).rsplit("@", 1)[-1] or "localhost"


def build(settings: Settings, *, to_address: str, to_name: str | None, sender_name: str | None,
          subject: str, text: str, html: str, mail_id: int | None = None) -> tuple[str, bytes]:
    """(Message-ID, bytes). Header values come from validated data; the policy refuses line breaks."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=sender_name or settings.mail_from_name or "", addr_spec=settings.mail_from)
    msg["To"] = Address(display_name=to_name or "", addr_spec=to_address)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    message_id = make_msgid(idstring=f"m{mail_id}" if mail_id is not None else None, domain=sender_domain(settings))
    msg["Message-ID"] = message_id
    if mail_id is not None:
        msg["X-Tenantctl-Mail"] = str(mail_id)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message_id, msg.as_bytes()
