"""/api/v1/mail: `tenantctl mail list` over HTTP, so that an admin with only a token can tell whether a
link mail reached someone. The outbox in the caller's scope (the operator: all of it; an admin: the
mails to the users it manages), without the mails' contents; sending, retrying and showing a mail
stay with the operator on the store's machine."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from tenantctl.web.api.common import LIMIT, OFFSET, JSONEnvelope, limit_of, page, transaction

router = APIRouter(prefix="/mail", tags=["mail"])


@router.get("", summary="The outbox in the caller's scope, newest first")
def list_(request: Request, state: Literal["queued", "sending", "sent", "failed"] | None = None,
          to: str | None = Query(None, description="Only mails to this address."),
          user: str | None = Query(None, description="Only mails to this user (login)."),
          limit: int = LIMIT, offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.services import outbox

    with transaction(request, write=False) as ctx:
        p = outbox.list_mails(ctx, state=state, to=to, user=user, limit=limit_of(limit), offset=offset)
    return page(p)
