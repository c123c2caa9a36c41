"""Real SMTP: aiosmtpd servers on 127.0.0.1 (a free port each)."""

from __future__ import annotations

import pytest
from mailhelpers import free_port, link_of, point_at
from sqlmodel import select

from tenantctl.store.models import OutboxMail

PW = "Korrekt-Pferd-Batterie-9"


def _mails(store):
    with store.transaction(write=False) as s:
        return {m.to_address: m for m in s.exec(select(OutboxMail))}


def test_normal_delivery(world, ok, store, smtp_server):
    server = smtp_server()
    data = ok("password", "send-link", "--tenant", "mueller")
    assert data["delivery"]["sent"] == 2
    got = server.messages
    assert sorted(m["To"].addresses[0].addr_spec for m in got) == ["max@mueller.example", "mia@mueller.example"]
    assert [e.mail_from for e in server.handler.received] == ["noreply@platform.example"] * 2
    mails = _mails(store)
    assert {m.state for m in mails.values()} == {"sent"}
    assert {m.message_id for m in mails.values()} == {m["Message-ID"] for m in got}
    token = link_of(next(m for m in got if "max@" in str(m["To"])))
    assert ok("password", "set", "--password-stdin", input=f"{token}\n{PW}\n")["login"] == "max.mueller"


def test_server_down_keeps_mail_queued_and_says_how_to_resend(world, cli, ok, store, smtp_server, monkeypatch):
    point_at(monkeypatch, free_port())  # nobody listens there
    r = cli("password", "send-link", "max.mueller", "mia.meier", "--json")
    # the links are committed: reported as what they are, with the pending delivery as a warning
    assert r.exit_code == 6
    assert [link["login"] for link in r.data["links"]] == ["max.mueller", "mia.meier"]
    (warning,) = r.json()["warnings"]
    assert warning.startswith("the change is saved; its mail is queued and will be retried: cannot reach the "
                              "SMTP server 127.0.0.1:")
    assert "0 sent, 2 stay queued (tenantctl mail send delivers them now)" in warning
    assert r.stderr.startswith("warning: the change is saved")
    mails = _mails(store)
    assert {m.state for m in mails.values()} == {"queued"}
    assert sorted(m.attempts for m in mails.values()) == [0, 1]  # only the one tried counts an attempt
    r = cli("mail", "send", "--json")
    assert r.exit_code == 7 and "stay queued" in r.json()["error"]["message"]
    server = smtp_server()
    ok("mail", "retry", "--waiting", "--no-send")
    assert ok("mail", "send")["sent"] == 2
    assert len(server.messages) == 2


def test_4xx_then_success(world, ok, store, smtp_server):
    from tenantctl.store.mail.delivery import deliver_pending
    from tenantctl.store.settings import load_settings
    from tenantctl.store.types import utcnow

    server = smtp_server(data_replies=["451 4.3.0 try again later"])
    data = ok("password", "send-link", "max.mueller")
    assert data["delivery"]["retrying"] == 1 and data["delivery"]["sent"] == 0
    mail = _mails(store)["max@mueller.example"]
    assert (mail.state, mail.attempts, mail.last_error) == ("queued", 1, "451 4.3.0 try again later")
    assert (mail.next_attempt_at - utcnow()).total_seconds() > 50  # backoff: not due yet
    assert ok("mail", "send")["sent"] == 0
    later = mail.next_attempt_at
    summary = deliver_pending(load_settings(), store, now=lambda: later)
    assert summary.sent == 1
    mail = _mails(store)["max@mueller.example"]
    assert (mail.state, mail.attempts, mail.last_error) == ("sent", 2, None)
    assert len(server.messages) == 1


def test_gives_up_after_max_attempts(world, cli, store, smtp_server, monkeypatch):
    monkeypatch.setenv("TENANTCTL_MAIL_MAX_ATTEMPTS", "1")
    smtp_server(data_replies=["451 4.3.0 try again later"])
    r = cli("password", "send-link", "max.mueller", "--json")
    assert r.exit_code == 6
    mail = _mails(store)["max@mueller.example"]
    assert (mail.state, mail.last_error) == ("failed", "gave up after 1 attempts: 451 4.3.0 try again later")


def test_5xx_fails_with_reason(world, cli, store, smtp_server):
    server = smtp_server(data_replies=["554 5.7.1 message rejected as spam"])
    r = cli("password", "send-link", "max.mueller", "--json")
    assert r.exit_code == 6
    assert r.data["delivery"]["failures"] == [
        {"id": r.data["delivery"]["failures"][0]["id"], "to": "max@mueller.example",
         "reason": "554 5.7.1 message rejected as spam"}]
    mail = _mails(store)["max@mueller.example"]
    assert (mail.state, mail.attempts, mail.last_error) == ("failed", 1, "554 5.7.1 message rejected as spam")
    assert server.messages == []
    r = cli("mail", "list", "--state", "failed", "--json")
    assert [m["id"] for m in r.data] == [mail.id]


def test_hanging_server_times_out(world, cli, store, smtp_server, monkeypatch):
    import time

    smtp_server(hang=3)
    monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "0.3")
    started = time.monotonic()
    r = cli("password", "send-link", "max.mueller", "--json")
    assert time.monotonic() - started < 2.5
    assert r.exit_code == 6 and "timed out" in r.json()["warnings"][0]
    mail = _mails(store)["max@mueller.example"]
    assert (mail.state, mail.attempts) == ("queued", 1) and "timed out" in mail.last_error


def test_one_refused_recipient_among_several(world, cli, store, smtp_server):
    server = smtp_server(refuse={"mia@mueller.example"})
    r = cli("password", "send-link", "max.mueller", "mia.meier", "otto.other", "--json")
    assert r.exit_code == 6
    assert r.data["delivery"]["sent"] == 2 and r.data["delivery"]["failed"] == 1
    mails = _mails(store)
    assert mails["mia@mueller.example"].state == "failed"
    assert mails["mia@mueller.example"].last_error == "recipient refused: 550 5.1.1 mailbox unavailable"
    assert mails["max@mueller.example"].state == mails["otto@other.example"].state == "sent"
    assert sorted(e.rcpt_tos[0] for e in server.handler.received) == ["max@mueller.example", "otto@other.example"]


def test_mail_test_over_smtp(ok, cli, smtp_server, monkeypatch):
    server = smtp_server()
    data = ok("mail", "test", "--to", "ops@example.com")
    assert data["transport"] == "smtp" and server.messages[0]["Subject"] == "Partnerportal: Testnachricht"
    point_at(monkeypatch, free_port())
    r = cli("mail", "test", "--to", "ops@example.com", "--json")
    assert r.exit_code == 7 and "test mail not sent" in r.json()["error"]["message"]
    smtp_server(refuse={"nobody@example.com"})
    r = cli("mail", "test", "--to", "nobody@example.com", "--json")
    assert r.exit_code == 4 and "550" in r.json()["error"]["message"]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_settings_are_used(ok, cli, smtp_server, monkeypatch, security):
    smtp_server()  # plain server: TLS must fail cleanly, as unreachable
    monkeypatch.setenv("TENANTCTL_SMTP_SECURITY", security)
    r = cli("mail", "test", "--to", "ops@example.com", "--json")
    assert r.exit_code == 7
