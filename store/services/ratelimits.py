"""Rate limits counted in the store, for `tenantctl serve` with several worker processes on
PostgreSQL: every worker sees every hit, so a client gets the documented limit (a sliding window
of `limit` hits per `window` seconds), not workers × limit. One short transaction of two
statements per hit: a transaction-scoped advisory lock on the bucket and key (two workers
counting at once cannot both take the last place), then one statement that forgets the hits
that left the window, counts the rest and records this one if there is room."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, text
from sqlmodel import Session, col

from tenantctl.store.models import RateLimitHit

# rows older than this are removed by every PRUNE_EVERY-th hit (the longest window is an hour)
KEEP_SECONDS = 24 * 3600.0
PRUNE_EVERY = 1000
_hits_since_prune = 0

# a hit lost in a crash does not matter: the commit need not wait for the WAL flush
LOCK = text("SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(:lock)")
COUNT_AND_HIT = text("""
WITH gone AS (
    DELETE FROM rate_limit_hit WHERE bucket = :bucket AND key = :key AND at <= :cut
), live AS (
    SELECT count(*) AS n, min(at) AS oldest FROM rate_limit_hit WHERE bucket = :bucket AND key = :key AND at > :cut
), hit AS (
    INSERT INTO rate_limit_hit (bucket, key, at) SELECT :bucket, :key, :now FROM live WHERE n < :limit
)
SELECT n, oldest FROM live
""")


def digest(bucket: str, key: str) -> str:
    return hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()


def hit(session: Session, bucket: str, key: str, limit: int, window: float, now: float) -> int | None:
    """Count one attempt of `key` in `bucket` (PostgreSQL): None when it is within the limit (and
    counted), else the seconds to wait (and it is not counted)."""
    global _hits_since_prune
    hashed = digest(bucket, key)
    session.execute(LOCK, {"lock": int(hashed[:15], 16)})
    count, oldest = session.execute(COUNT_AND_HIT, {"bucket": bucket, "key": hashed, "cut": now - window,
                                                    "now": now, "limit": limit}).one()
    if count >= limit:
        return max(1, int(oldest + window - now) + 1)
    _hits_since_prune += 1
    if _hits_since_prune >= PRUNE_EVERY:
        _hits_since_prune = 0
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.at) <= now - KEEP_SECONDS))
    return None


def count(session: Session, bucket: str, key: str, window: float, now: float) -> tuple[int, float, float]:
    """(hits of `key` within the window, the oldest's time, the newest's time) without counting one."""
    row = session.execute(text("SELECT count(*), min(at), max(at) FROM rate_limit_hit "
                               "WHERE bucket = :bucket AND key = :key AND at > :cut"),
                          {"bucket": bucket, "key": digest(bucket, key), "cut": now - window}).one()
    return int(row[0]), float(row[1] or 0.0), float(row[2] or 0.0)


def add(session: Session, bucket: str, key: str, now: float) -> None:
    """Count one event of `key` (a failed login), whatever the count."""
    session.execute(text("SELECT set_config('synchronous_commit', 'off', true)"))
    session.add(RateLimitHit(bucket=bucket, key=digest(bucket, key), at=now))


def forget(session: Session, bucket: str, key: str) -> None:
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.bucket) == bucket,
                                               col(RateLimitHit.key) == digest(bucket, key)))


def reset(session: Session, bucket: str) -> None:
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.bucket) == bucket))
