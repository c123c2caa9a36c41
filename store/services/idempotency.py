"""`Idempotency-Key` on the API's creating requests (as Stripe and the IETF draft
"The Idempotency-Key HTTP Header Field" describe): a client that retries after a timeout or a
lost answer gets the first answer again instead of a second change.

The key is claimed in the request's own transaction, so a change that was stored always has its
key; the answer is kept once it is sent (web.request_scope). Kept 24 hours, per user.
- the same key with the same request: the kept answer (or 409 while the first is still running);
- the same key with another request (method, path, query or body differ): 422."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tenantctl.store.errors import Conflict, InvalidInput
from tenantctl.store.models import IdempotencyKey
from tenantctl.store.types import utcnow

KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255
PRUNE_EVERY = 500
_claims = 0


class Replay(Exception):
    """The kept answer of an earlier request with the same key (sent as it was, not an error)."""

    def __init__(self, status: int, answer: str) -> None:
        super().__init__(status)
        self.status = status
        self.answer = answer


def fingerprint(method: str, path: str, query: bytes, body_digest: str) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query, body_digest.encode()])).hexdigest()


def claim(session: Session, user_id: int, key: str, request: str, print_: str) -> int:
    """Claim `key` for this request in the request's transaction: its id, or Replay / Conflict /
    InvalidInput as the module says."""
    global _claims
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"the Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
                           hint="send a fresh UUID per request")
    now = utcnow()
    hashed = hashlib.sha256(key.encode()).hexdigest()
    row = session.exec(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                    IdempotencyKey.key == hashed)).first()
    if row is not None and row.created_at <= now - KEEP:
        session.delete(row)
        session.flush()
        row = None
    if row is not None:
        if row.request != request or row.fingerprint != print_:
            raise InvalidInput("this Idempotency-Key was used for another request (its method, path or body "
                               "differ); nothing was done", hint="use a new key for a new request")
        if row.status is None or row.answer is None:
            raise Conflict("a request with this Idempotency-Key is still running, or its answer was lost after it "
                           "was stored", hint="retry in a second; if this stays, look the object up")
        raise Replay(row.status, row.answer)
    row = IdempotencyKey(user_id=user_id, key=hashed, request=request[:300], fingerprint=print_, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same key, committed by a request that ran at the same time
        raise Conflict("a request with this Idempotency-Key is still running",
                       hint="retry in a second: you then get its answer") from None
    _claims += 1
    if _claims >= PRUNE_EVERY:
        _claims = 0
        session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) <= now - KEEP))
    return int(row.id or 0)


def keep_answer(session: Session, row_id: int, status: int, answer: str) -> None:
    session.execute(update(IdempotencyKey).where(col(IdempotencyKey.id) == row_id)
                    .values(status=status, answer=answer))


def find(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    """The kept record of a key (for a client, or a test, that checks what a key did)."""
    hashed = hashlib.sha256(key.encode()).hexdigest()
    return session.exec(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                     IdempotencyKey.key == hashed)).first()
