"""Rate limits counted in the store, for `tenantctl serve` with several worker processes on
PostgreSQL: every worker sees every hit, so a client gets the documented limit (a sliding window
of `limit` hits per `window` seconds), not workers × limit. One short transaction per hit; the
hits of one bucket and key are serialised by a transaction-scoped advisory lock, so two workers
counting at once cannot both take the last place."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, insert, text
from sqlmodel import Session, col, select

from store.models import RateLimitHit

# rows older than this are removed by every PRUNE_EVERY-th hit (the longest window is an hour)
KEEP_SECONDS = 24 * 3600.0
PRUNE_EVERY = 1000
_hits_since_prune = 0


def digest(bucket: str, key: str) -> str:
    return hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()


def hit(session: Session, bucket: str, key: str, limit: int, window: float, now: float) -> int | None:
    """Count one attempt of `key` in `bucket`: None when it is within the limit (and counted), else
    the seconds to wait (and it is not counted)."""
    global _hits_since_prune
    hashed = digest(bucket, key)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": int(hashed[:15], 16)})
    mine = (col(RateLimitHit.bucket) == bucket, col(RateLimitHit.key) == hashed)
    session.execute(delete(RateLimitHit).where(*mine, col(RateLimitHit.at) <= now - window))
    count, oldest = session.execute(select(func.count(), func.min(RateLimitHit.at)).where(*mine)).one()
    if count >= limit:
        return max(1, int(oldest + window - now) + 1)
    session.execute(insert(RateLimitHit).values(bucket=bucket, key=hashed, at=now))
    _hits_since_prune += 1
    if _hits_since_prune >= PRUNE_EVERY:
        _hits_since_prune = 0
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.at) <= now - KEEP_SECONDS))
    return None


def reset(session: Session, bucket: str) -> None:
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.bucket) == bucket))
