"""Rate limits with several worker processes: on PostgreSQL the workers count together in the store,
so a client gets the documented limit, not workers × limit; SQLite (one process) counts in memory."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from webhelpers import csrf_of

from tenantctl.web.errors import TooManyRequests


def test_sqlite_counts_in_memory(store: Any) -> None:
    from tenantctl.web.limits import Limits
    from tenantctl.web.security import RateLimiter

    limits = Limits.for_store(store)
    assert all(isinstance(limiter, RateLimiter) for limiter in vars(limits).values())


def _pg_store(db_url: str) -> Any:
    from tenantctl.store.db import Store

    return Store(db_url)


@pytest.fixture
def pg_url(backend: str, db_url: str) -> str:
    if backend != "postgres":
        pytest.skip("the shared count is PostgreSQL's (SQLite serves one process)")
    return db_url


def test_two_workers_share_one_sliding_window(pg_url: str) -> None:
    """Two workers (two stores, two limiter sets) see each other's hits; the window slides."""
    from tenantctl.web.limits import Limits
    from tenantctl.web.security import SharedRateLimiter

    now = [1_000_000.0]
    workers = [_pg_store(pg_url), _pg_store(pg_url)]
    try:
        a, b = (Limits.for_store(s).forgot_address for s in workers)
        assert isinstance(a, SharedRateLimiter) and (a.limit, a.window) == (3, 3600.0)
        a.clock = b.clock = lambda: now[0]
        a.hit("max@example.com")
        now[0] += 100
        b.hit("max@example.com")
        now[0] += 500
        a.hit("max@example.com")
        with pytest.raises(TooManyRequests) as refused:
            b.hit("max@example.com")  # the 4th within the hour, on the other worker
        assert refused.value.retry_after == 3001  # when the first hit leaves the window
        b.hit("eva@example.com")  # another address has its own count
        now[0] += 3000.5  # the first hit (t0) leaves the window, t0+100 stays
        b.hit("max@example.com")  # the first hit left the window: one place free again
        with pytest.raises(TooManyRequests):
            a.hit("max@example.com")
    finally:
        for s in workers:
            s.dispose()


def test_concurrent_hits_never_exceed_the_limit(pg_url: str) -> None:
    """Eight threads on four workers hit one key at once: exactly `limit` get through (the
    advisory lock serialises the count of one key)."""
    from tenantctl.web.security import SharedRateLimiter

    workers = [_pg_store(pg_url) for _ in range(4)]
    try:
        limiters = [SharedRateLimiter(s, "login_account", 5, 900.0) for s in workers]
        passed: list[int] = []
        barrier = threading.Barrier(8)

        def attempt(i: int) -> None:
            barrier.wait()
            for _ in range(3):
                try:
                    limiters[i % 4].hit("max.mueller")
                    passed.append(i)
                except TooManyRequests:
                    pass

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(passed) == 5
    finally:
        for s in workers:
            s.dispose()


def test_the_stored_key_is_a_hash(pg_url: str, store: Any) -> None:
    from sqlmodel import select

    from tenantctl.store.models import RateLimitHit
    from tenantctl.web.security import SharedRateLimiter

    SharedRateLimiter(store, "forgot_address", 3, 3600.0).hit("max@example.com")
    with store.transaction(write=False) as s:
        [row] = s.exec(select(RateLimitHit)).all()
    assert row.bucket == "forgot_address" and len(row.key) == 64 and "max" not in row.key


def test_forgot_password_over_two_worker_apps_mails_three_times_at_most(
        pg_url: str, world: Any, make_client: Any, outbox: Any) -> None:
    """The same address asked for on two workers: 3 mails in the hour, not 6; the answer is the same."""
    workers = [make_client(), make_client()]
    pages = [c.get("/password/forgot") for c in workers]
    for i in range(6):
        c, page = workers[i % 2], pages[i % 2]
        r = c.post("/password/forgot", data={"csrf_token": csrf_of(page.text), "ident": "max.mueller"})
        assert r.status_code == 200 and "Bitte sehen Sie in Ihr Postfach" in r.text
    mailed = [m for m in outbox() if m["To"].addresses[0].addr_spec == "max@mueller.example"]
    assert len(mailed) == 3
