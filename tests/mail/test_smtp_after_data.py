"""A timeout or disconnect after DATA is not retried on a new connection within the same attempt
(the server may have taken the mail: each retry was a second copy); the next attempt follows the
backoff."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.models import OutboxMail


def _mail(store: Any, to: str = "max@mueller.example") -> Any:
    with store.transaction(write=False) as s:
        return s.exec(select(OutboxMail).where(OutboxMail.to_address == to)).one()


def _next_attempt(store: Any, mail: Any) -> Any:
    from tenantctl.store.mail.delivery import deliver_pending
    from tenantctl.store.settings import load_settings

    due = mail.next_attempt_at
    return deliver_pending(load_settings(), store, now=lambda: due)


@pytest.mark.parametrize("how", ["disconnect", "stall"])
def test_one_copy_per_attempt_then_backoff(world: Any, cli: Any, ok: Any, store: Any, smtp_server: Any,
                                           monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    from tenantctl.store.types import utcnow

    if how == "disconnect":
        server = smtp_server(drop_after_data=1)
    else:
        server = smtp_server(stall_after_data=2.0, stall_count=1)
        monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "0.5")
    r = cli("password", "send-link", "max.mueller", "--json")
    assert r.exit_code == 6, r.stdout
    assert len(server.handler.received) == 1  # exactly one copy in this attempt
    if how == "disconnect":
        assert "closed the connection after the message was sent; not sent again now" in r.json()["warnings"][0]
    mail = _mail(store)
    assert (mail.state, mail.attempts) == ("queued", 1)
    assert (mail.next_attempt_at - utcnow()).total_seconds() > 50  # the backoff, not at once
    assert ok("mail", "send")["sent"] == 0  # not due yet: still one copy
    assert len(server.handler.received) == 1
    summary = _next_attempt(store, mail)  # the next attempt, when it is due
    assert summary.sent == 1 and len(server.handler.received) == 2
    assert _mail(store).state == "sent"


def test_idle_connection_closed_before_data_is_reopened(world: Any, ok: Any, store: Any, smtp_server: Any) -> None:
    """The one reconnect that stays: a reused connection the server closed while idle (before
    MAIL FROM) is reopened and the mail sent once."""
    from tenantctl.store.mail.transports import SmtpTransport

    server = smtp_server()
    transport = SmtpTransport("127.0.0.1", server.port, timeout=5)
    transport.send("a@x.example", "b@x.example", b"Subject: 1\r\n\r\none\r\n", 1)
    assert transport.conn is not None
    transport.conn.sock.close()  # as if the server had dropped the idle connection
    transport.send("a@x.example", "b@x.example", b"Subject: 2\r\n\r\ntwo\r\n", 2)
    transport.close()
    assert [e.content.split(b"\r\n")[0] for e in server.handler.received] == [b"Subject: 1", b"Subject: 2"]
