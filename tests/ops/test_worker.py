"""tenantctl worker: due mails delivered with their backoff against a real SMTP server going down
and up, the periodic jobs once per interval, a stop that hands back what it claimed, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from tenantctl.store.models import OutboxMail, PeriodicJob, RateLimitHit
from tenantctl.store.types import utcnow


def _mails(store: Any) -> list[OutboxMail]:
    with store.transaction(write=False) as s:
        return list(s.exec(select(OutboxMail).order_by(OutboxMail.id)))


def _worker(store: Any, clock: Any = utcnow, **kw: Any) -> Any:
    from tenantctl.store.settings import load_settings
    from tenantctl.store.worker import Worker

    return Worker(load_settings(), store, clock=clock, **kw)


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> Any:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def test_mails_queued_while_smtp_is_down_are_delivered_once_after_it_comes_up(world, ok, store, smtp, backend):
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    ok("password", "send-link", "--tenant", "acme", "--no-send")
    clock = Clock()
    worker = _worker(store, clock)

    tick = worker.tick()  # the server is down: the first mail counts an attempt, the others wait unattempted
    assert tick.delivery.unreachable and tick.delivery.sent == 0
    mails = _mails(store)
    assert [m.state for m in mails] == ["queued"] * 3
    assert [m.attempts for m in mails] == [1, 0, 0]
    assert mails[0].next_attempt_at == clock.at + timedelta(seconds=1)  # backoff: mail_retry_seconds

    received = smtp.up()
    tick = worker.tick()  # due now: the two unattempted ones; the first waits for its backoff
    assert (tick.delivery.sent, tick.delivery.unreachable) == (2, None)
    assert sorted(received.mail_ids()) == [m.id for m in mails[1:]]
    clock.advance(1)
    assert worker.tick().delivery.sent == 1
    worker.tick()  # nothing left: nothing sent twice
    assert sorted(received.mail_ids()) == [m.id for m in mails]
    assert [(m.state, m.attempts) for m in _mails(store)] == [("sent", 2), ("sent", 1), ("sent", 1)]


def test_a_stop_finishes_the_batch_and_hands_back_the_one_claimed_ahead(world, ok, store, smtp, monkeypatch):
    from tenantctl.store.mail import delivery
    from tenantctl.store.settings import load_settings

    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    ok("password", "send-link", "--tenant", "acme", "--no-send")
    ok("password", "send-link", "--tenant", "other", "--no-send")
    monkeypatch.setattr(delivery, "BATCH", 2)
    received = smtp.up()
    summary = delivery.deliver_pending(load_settings(), store, stop=lambda: True)
    assert summary.sent == 2
    mails = _mails(store)
    assert [(m.state, m.attempts) for m in mails] == [("sent", 1), ("sent", 1), ("queued", 0), ("queued", 0)]
    assert all(m.next_attempt_at <= utcnow() for m in mails[2:])  # due at once, no backoff
    assert sorted(received.mail_ids()) == [m.id for m in mails[:2]]


def _count_runs(calls: list[Any]) -> Any:
    from tenantctl.store.services.housekeeping import Job

    def run(store: Any, settings: Any, now: Any) -> str:
        calls.append(now)
        return "counted"

    return (Job("count", timedelta(hours=1), run),)


def _run_due(store: Any, now: Any, jobs: Any) -> Any:
    from tenantctl.store.services.housekeeping import run_due
    from tenantctl.store.settings import load_settings

    return run_due(store, load_settings(), now, jobs)


def test_a_periodic_job_runs_once_per_interval_whichever_worker_asks(store, backend):
    calls: list[Any] = []
    jobs = _count_runs(calls)
    now = utcnow()
    assert [r.result for r in _run_due(store, now, jobs)] == ["counted"]
    assert _run_due(store, now + timedelta(minutes=59), jobs) == []  # a second worker: not yet due
    assert [r.result for r in _run_due(store, now + timedelta(hours=1), jobs)] == ["counted"]
    assert len(calls) == 2
    with store.transaction(write=False) as s:
        row = s.get(PeriodicJob, "count")
        assert (row.last_run_at, row.last_result) == (now + timedelta(hours=1), "counted")


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_job_running_in_another_worker_is_skipped(store, backend):
    """PostgreSQL's advisory lock, held while the job runs (SQLite runs one writer at a time)."""
    from tenantctl.store.db import take_exclusive

    calls: list[Any] = []
    with store.transaction() as other:  # another worker inside the job
        assert take_exclusive(other, "tenantctl.job.count")
        assert _run_due(store, utcnow(), _count_runs(calls)) == []
    assert calls == []
    assert len(_run_due(store, utcnow(), _count_runs(calls))) == 1
    with store.transaction() as other:  # and the lock was given back
        assert take_exclusive(other, "tenantctl.job.count")


def test_a_failing_job_is_reported_and_the_others_still_run(store):
    from tenantctl.store.services.housekeeping import Job

    def broken(store: Any, settings: Any, now: Any) -> str:
        with store.transaction() as s:
            s.execute(insert(RateLimitHit).values(bucket="x", key="y", at=1.0))
            raise RuntimeError("boom")

    calls: list[Any] = []
    now = utcnow()
    ran = _run_due(store, now, (Job("broken", timedelta(hours=1), broken), *_count_runs(calls)))
    assert [(r.name, r.error) for r in ran] == [("broken", "RuntimeError: boom"), ("count", None)]
    with store.transaction(write=False) as s:  # its own transaction rolled back; the failure recorded
        assert s.exec(select(RateLimitHit)).all() == []
        row = s.get(PeriodicJob, "broken")
        assert (row.last_run_at, row.last_result) == (now, "failed: RuntimeError: boom")


def test_the_retention_prune_runs_on_schedule(store, backend):
    """The data-protection retention (tenantctl db prune) is the worker's periodic job; among other
    things it drops rate-limit rows older than a day."""
    from tenantctl.store.services.housekeeping import JOBS

    now = utcnow()
    with store.transaction() as s:
        s.execute(insert(RateLimitHit), [{"bucket": "login", "key": "a", "at": now.timestamp() - 25 * 3600},
                                         {"bucket": "login", "key": "b", "at": now.timestamp() - 60}])
    ran = _run_due(store, now, JOBS)
    assert [r.name for r in ran] == ["retention-prune"] and ran[0].error is None
    assert "rate_limit_rows 1" in ran[0].result, ran[0].result
    with store.transaction(write=False) as s:
        assert [r.key for r in s.exec(select(RateLimitHit))] == ["b"]
    assert _run_due(store, now + timedelta(minutes=30), JOBS) == []


def test_worker_once_delivers_and_reports_as_json(world, ok, cli, tmp_path):
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    data = ok("worker", "--once")
    assert (data["delivery"]["sent"], data["error"]) == (2, None)
    assert [j["name"] for j in data["jobs"]] == ["retention-prune"]
    assert len(list((tmp_path / "home" / "outbox").glob("*.eml"))) == 2


def test_worker_needs_the_operator_and_a_current_schema(world, cli, store):
    r = cli("worker", "--once", "--json", as_="max.mueller")
    assert r.exit_code == 9, r.stdout
    with store.transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = 'api_0001'"))
    r = cli("worker", "--once", "--json")
    assert r.exit_code == 10 and "tenantctl db upgrade" in r.json()["error"]["hint"]


def test_metrics_beyond_loopback_need_a_token(world, cli):
    r = cli("worker", "--metrics-port", "9999", "--metrics-host", "0.0.0.0", "--json")
    assert r.exit_code == 2, r.stdout
    assert "TENANTCTL_METRICS_TOKEN" in r.json()["error"]["hint"]
    r = cli("serve", "--metrics-port", "9999", "--metrics-host", "0.0.0.0")
    assert r.exit_code == 2
    assert "would show the metrics to the network without a token" in r.stderr


@pytest.mark.slow
def test_sigterm_during_delivery_finishes_the_batch_and_exits_0(world, ok, store, smtp, db_url):
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    ok("password", "send-link", "--tenant", "acme", "--no-send")
    ok("password", "send-link", "--tenant", "other", "--no-send")
    received = smtp.up(hang=0.3)  # 4 mails: about 1.2 s of sending
    proc = subprocess.Popen([sys.executable, "-m", "tenantctl.cli", "worker", "--log-format", "json",
                             "--interval", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(), text=True)
    try:
        deadline = time.monotonic() + 30
        while not received.received:  # the worker is inside the batch
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    mails = _mails(store)
    assert [m.state for m in mails] == ["sent"] * 4  # the batch was finished and recorded
    assert sorted(received.mail_ids()) == [m.id for m in mails]
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {"time", "level", "logger", "message"} <= set(logged[-1])
    assert logged[-1]["message"] == "worker stopped"
