"""A real kill -9 of `tenantctl mail send` while the SMTP server holds the message: the mail is not
lost; once its lease has run out the next run sends it (at least once, docs/mail.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from tenantctl.store.models import OutboxMail


def _state(store) -> list[tuple[str, int]]:
    with store.transaction(write=False) as s:
        return [(m.state, m.attempts) for m in s.exec(select(OutboxMail).order_by(OutboxMail.id))]


def test_kill_9_during_smtp_delivery_loses_no_mail(world, ok, store, smtp_server, monkeypatch):
    ok("password", "send-link", "mia.meier", "--no-send")
    assert _state(store) == [("queued", 0)]

    hanging = smtp_server(hang=30.0)  # accepts the connection, then sits in DATA
    monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "30")
    proc = subprocess.Popen([sys.executable, "-m", "tenantctl.cli", "mail", "send"], cwd=Path.cwd(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.monotonic() + 20
    while _state(store) != [("sending", 0)] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let it reach DATA
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert _state(store) == [("sending", 0)]  # claimed, not lost, not marked sent
    assert hanging.handler.received == []

    # The lease is still running: a new run leaves the mail alone...
    server = smtp_server()
    monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "5")
    ok("mail", "send")
    assert server.handler.received == []
    # ...and once it has run out, the mail goes out exactly once more.
    with store.transaction() as s:
        s.exec(text("UPDATE outbox_mail SET next_attempt_at = '2000-01-01 00:00:00'"))
    ok("mail", "send")
    assert [m["To"] for m in server.messages] == ["Mia Meier <mia@mueller.example>"]
    assert _state(store)[0][0] == "sent"
