"""Two `tenantctl serve` and two `tenantctl worker` processes on one PostgreSQL store, as two
machines would run them: mails queued through either server while the SMTP server is down are
delivered exactly once each after it comes up; the rate limits are shared; a token revoked through
one server is refused by the other at once; SIGTERM during delivery loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from mailhelpers import free_port
from sqlmodel import select

from tenantctl.store.models import OutboxMail

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", [pytest.param("postgres",
                                                                                 marks=pytest.mark.postgres)])]


def _mails(store: Any) -> list[OutboxMail]:
    with store.transaction(write=False) as s:
        return list(s.exec(select(OutboxMail).order_by(OutboxMail.id)))


def _until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Fleet:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-m", "tenantctl.cli", *args, "--log-format", "json"],
                                env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    f = Fleet()
    yield f
    f.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_servers_and_two_workers_on_one_store(backend, world, ok, store, smtp, fleet, monkeypatch):
    from apiserver import token_for

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://portal.example")
    servers = []
    for _ in range(2):
        port = free_port()
        fleet.start("serve", "--port", str(port), "--no-worker")
        servers.append(f"http://127.0.0.1:{port}")
    workers = [fleet.start("worker", "--interval", "0.3") for _ in range(2)]
    for url in servers:
        _until(lambda url=url: _ready(url), f"{url}/readyz")
    a, b = (httpx.Client(base_url=url + "/api/v1", timeout=30) for url in servers)
    secret = token_for(store, "rita.reseller")
    auth = {"Authorization": f"Bearer {secret}"}

    # 1. the SMTP server is down: mails queued through either server wait, with their attempts counted
    assert a.post("/password-links", json={"tenant": "mueller"}, headers=auth).status_code in (200, 503)
    assert b.post("/password-links", json={"tenant": "acme"}, headers=auth).status_code in (200, 503)
    queued = _mails(store)
    assert len(queued) == 3
    _until(lambda: all(m.attempts >= 1 and m.state == "queued" for m in _mails(store)),
           "every mail tried (and waiting again) while the server is down")
    received = smtp.up()
    _until(lambda: all(m.state == "sent" for m in _mails(store)), "delivery after the server came up")
    counts = Counter(received.mail_ids())
    assert counts == Counter({m.id: 1 for m in queued})  # every mail once: no worker sent one twice

    # 2. the rate limits are shared: a client's failed logins for one account, whichever server is
    # asked (counted per server, it would get twice as many)
    from tenantctl.web.limits import BUDGETS

    limit = BUDGETS["login_pair"][0]
    wrong = {"login": "max.mueller", "password": "not-the-password-1"}
    answers = [(a if i % 2 else b).post("/auth/login", json=wrong).status_code for i in range(limit + 1)]
    assert answers == [401] * limit + [429]

    # 3. a token revoked through one server is refused by the other at once
    other = token_for(store, "max.mueller", name="second")
    mine = {"Authorization": f"Bearer {other}"}
    assert b.get("/tenants", headers=mine).status_code == 200
    assert a.delete("/tokens/current", headers=mine).status_code == 200
    assert b.get("/tenants", headers=mine).status_code == 401

    # 4. SIGTERM while a worker sends: the batch is finished, nothing lost, nothing twice
    received.hang = 0.3
    before = len(received.received)
    for tenant in ("mueller", "acme", "beta"):
        ok("password", "send-link", "--tenant", tenant, "--no-send")
    fresh = [m for m in _mails(store) if m.state != "sent"]
    assert len(fresh) == 4
    _until(lambda: len(received.received) > before, "a worker inside its batch")
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    for proc in workers:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert not [m for m in _mails(store) if m.state == "sending"]  # nothing left claimed
    last = fleet.start("worker", "--once", "--json")  # whatever was not claimed yet
    last.communicate(timeout=60)
    assert last.returncode == 0
    assert all(m.state == "sent" for m in _mails(store))
    counts = Counter(received.mail_ids())
    assert set(counts.values()) == {1} and len(counts) == len(queued) + len(fresh)
