"""/api/v1/password-links: `tenantctl password send-link` over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tenantctl.store.enums import LinkPurpose
from tenantctl.web.api.common import JSONEnvelope, ok, transaction

router = APIRouter(tags=["password links"])


class SendLinks(BaseModel):
    users: list[str] = Field(default_factory=list, examples=[["max.mueller", "mia@mueller.example"]])
    tenant: str | None = Field(None, description="Every user of this tenant.")
    without_password: bool = Field(False, description="Every user (in scope) who has no password yet.")
    purpose: LinkPurpose | None = None
    print_link: bool = Field(False, description="Return each link once instead of mailing it.")
    also_mail: bool = False
    dry_run: bool = False
    send_now: bool = Field(True, description="Deliver the queued mails before answering.")
    unless_open: bool = Field(False, description="Leave users alone who hold an open link (safe to re-run).")


@router.post("/password-links", summary="Send password-setting links (or plan them: dry_run)")
def send(request: Request, body: SendLinks) -> JSONEnvelope:
    from tenantctl.store.services import passwords

    # a printed link is in the answer: never stored, so no Idempotency-Key
    with transaction(request, write=not body.dry_run, idempotent=not body.print_link) as ctx:
        data = passwords.send_links(ctx, body.users, tenant=body.tenant, without_password=body.without_password,
                                    purpose=body.purpose.value if body.purpose else None,
                                    print_link=body.print_link, also_mail=body.also_mail, dry_run=body.dry_run,
                                    send_now=body.send_now, unless_open=body.unless_open)
    return ok(data)
