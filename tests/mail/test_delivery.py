"""Outbox delivery with the file transport: after-commit sending, --no-send, mail send/list/show/retry,
tokens minted at delivery and never at rest, interrupted deliveries (at least once), rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mailhelpers import link_of, read_eml
from sqlalchemy import inspect, text
from sqlmodel import select

from tenantctl.store.models import OutboxMail, PasswordLink

PW = "Korrekt-Pferd-Batterie-9"


def _mails(store):
    with store.transaction(write=False) as s:
        return list(s.exec(select(OutboxMail).order_by(OutboxMail.id)))


def _deliver(store, **kw):
    from tenantctl.store.mail.delivery import deliver_pending
    from tenantctl.store.settings import load_settings

    return deliver_pending(load_settings(), store, **kw)


def test_mail_is_queued_in_the_commands_transaction(world, ok, store, outbox_dir):
    data = ok("password", "send-link", "--tenant", "mueller", "--no-send")
    assert [r["mailed"] for r in data["links"]] == [True, True]
    mails = _mails(store)
    expected = [("queued", "password_link_initial", "password_link")] * 2
    assert [(m.state, m.template, m.ref_type) for m in mails] == expected
    assert not outbox_dir.exists()
    assert all(link.token_hash is None for link in _rows(store, PasswordLink))  # nothing minted yet
    listed = ok("mail", "list", "--state", "queued")
    assert [m["to"] for m in listed] == ["mia@mueller.example", "max@mueller.example"]
    summary = ok("mail", "send")
    assert summary["sent"] == 2 and summary["failed"] == 0
    assert len(list(outbox_dir.glob("*.eml"))) == 2
    assert ok("mail", "list", "--state", "queued") == []
    shown = ok("mail", "show", str(mails[0].id))
    assert shown["state"] == "sent" and shown["attempts"] == 1 and "link" not in shown["context"]


def test_a_failed_command_queues_nothing(world, cli, store):
    r = cli("password", "send-link", "max.mueller", "mia.meier", "nobody.x")
    assert r.exit_code == 8
    assert _mails(store) == [] and _rows(store, PasswordLink) == []


def _rows(store, model):
    with store.transaction(write=False) as s:
        return list(s.exec(select(model)))


def _dump(store, db_url) -> bytes:
    """Every table's every row, plus (SQLite) the database files' bytes."""
    from pathlib import Path

    out = []
    with store.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(repr(tuple(row)))
    blob = "\n".join(out).encode()
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        for p in path.parent.glob(path.name + "*"):
            blob += p.read_bytes()
    return blob


def test_no_usable_token_at_rest(world, ok, cli, store, db_url, outbox_dir, backend):
    ok("password", "send-link", "--without-password")
    ok("password", "send-link", "max.mueller", "--purpose", "reset")
    tokens = [link_of(m) for m in read_eml(outbox_dir)]
    assert len(tokens) == 7
    used = tokens[-1]
    assert ok("password", "set", "--password-stdin", input=f"{used}\n{PW}\n")["login"] == "max.mueller"
    blob = _dump(store, db_url)
    assert len(blob) > 10_000
    for token in tokens:
        secret = token.split(".")[1]
        assert token.encode() not in blob and secret.encode() not in blob
    # what is stored is the SHA-256 of the token
    import hashlib

    assert hashlib.sha256(used.encode()).hexdigest().encode() in blob


def test_superseded_link_mail_is_not_sent(world, ok, store, outbox_dir):
    ok("password", "send-link", "max.mueller", "--no-send")
    ok("password", "send-link", "max.mueller", "--no-send")
    summary = ok("mail", "send")
    assert (summary["sent"], summary["obsolete"]) == (1, 1)
    first, second = _mails(store)
    assert first.state == "failed" and "no longer valid" in first.last_error
    assert second.state == "sent"
    assert len(read_eml(outbox_dir)) == 1


class Crash(BaseException):
    """A kill -9 stand-in: nothing after it runs in this process."""


class Recorder:
    name = "recorder"

    def __init__(self, crash_before: int | None = None, crash_after: int | None = None) -> None:
        self.sent: list[bytes] = []
        self.crash_before, self.crash_after = crash_before, crash_after

    def describe(self) -> str:
        return "recorder"

    def send(self, from_addr, to_addr, message, mail_id):
        if self.crash_before is not None and len(self.sent) == self.crash_before:
            raise Crash()
        self.sent.append(message)
        if self.crash_after is not None and len(self.sent) == self.crash_after:
            raise Crash()

    def close(self):
        pass


def _tokens(messages):
    import email
    import re
    from email.policy import default

    out = []
    for raw in messages:
        body = email.message_from_bytes(raw, policy=default).get_body(("plain",)).get_content()
        out.append(re.search(r"token=(\S+)", body).group(1))
    return out


@pytest.mark.parametrize("where", ["before-send", "after-send"])
def test_interrupted_delivery_is_sent_again_at_least_once(world, ok, cli, store, where):
    from tenantctl.store.types import utcnow

    ok("password", "send-link", "max.mueller", "mia.meier", "--no-send")
    crashing = Recorder(crash_before=0) if where == "before-send" else Recorder(crash_after=1)
    with pytest.raises(Crash):
        _deliver(store, transport=crashing)
    states = [m.state for m in _mails(store)]
    assert states == ["sending", "sending"]  # claimed, nothing marked: nothing lost either
    assert _deliver(store, transport=Recorder()).sent == 0  # still leased: not sent twice at once
    later = utcnow() + timedelta(seconds=301)
    again = Recorder()
    summary = _deliver(store, transport=again, now=lambda: later)
    assert summary.sent == 2 and [m.state for m in _mails(store)] == ["sent", "sent"]
    if where == "after-send":  # the first mail went out twice; only the newest copy's link works
        old, new = _tokens(crashing.sent)[0], _tokens(again.sent)[0]
        assert old != new
        r = cli("password", "set", "--password-stdin", "--json", input=f"{old}\n{PW}\n")
        assert r.exit_code == 4
    newest = _tokens(again.sent)[0]
    assert ok("password", "set", "--password-stdin", input=f"{newest}\n{PW}\n")["login"] == "max.mueller"


def test_kill_between_commit_and_delivery_loses_nothing(world, ok, store, outbox_dir):
    """--no-send is the state a process killed right after its commit leaves: mails queued."""
    ok("password", "send-link", "max.mueller", "--no-send")
    assert [m.state for m in _mails(store)] == ["queued"]
    assert ok("mail", "send")["sent"] == 1


def test_rate_throttles(world, ok, store):
    ok("password", "send-link", "--tenant", "mueller", "--no-send")
    ok("password", "send-link", "otto.other", "--no-send")
    waits: list[float] = []
    summary = _deliver(store, transport=Recorder(), rate=2.0, sleep=waits.append)
    assert summary.sent == 3
    assert len(waits) == 2 and all(0.4 < w <= 0.5 for w in waits)


@pytest.mark.parametrize("rate", ["0", "-1", "abc", "20000"])
def test_invalid_rate(world, cli, rate):
    r = cli("mail", "send", "--rate", rate, "--json")
    assert r.exit_code == 2
    assert "--rate" in r.json()["error"]["message"]


def test_retry_and_backoff(world, ok, cli, store):
    from tenantctl.store.mail.retry import next_attempt
    from tenantctl.store.types import utcnow

    now = utcnow()
    assert [(next_attempt(n, 60, now) - now).total_seconds() for n in (1, 2, 3, 10, 20)] == [
        60, 120, 240, 6 * 3600, 6 * 3600]
    ok("password", "send-link", "max.mueller", "--no-send")
    (mail,) = _mails(store)
    r = cli("mail", "retry", str(mail.id), "--json")
    assert r.exit_code == 0 and r.data["requeued"] == [mail.id] and r.data["delivery"]["sent"] == 1
    r = cli("mail", "retry", str(mail.id), "--json")
    assert r.exit_code == 5 and "was sent" in r.json()["error"]["message"]
    r = cli("mail", "retry", "--json")
    assert r.exit_code == 2
    r = cli("mail", "retry", "999", "--json")
    assert r.exit_code == 8


def test_mail_commands_are_for_operators(world, cli):
    # `mail list` is open to admins, scoped to the users they manage (tests/cli/test_scripts.py)
    for args in (("mail", "send"), ("mail", "show", "1"), ("mail", "retry", "--failed")):
        r = cli(*args, "--json", as_="rita.reseller")
        assert r.exit_code == 9, args
    assert cli("mail", "list", "--json", as_="mia.meier").exit_code == 9  # no admin anywhere


def test_mail_test_with_file_transport(ok, outbox_dir):
    data = ok("mail", "test", "--to", "ops@example.com")
    assert data["transport"] == "file"
    (msg,) = read_eml(outbox_dir)
    assert msg["Subject"] == "Partnerportal: Testnachricht" and msg["Message-ID"] == data["message_id"]


def test_unwritable_outbox_folder_keeps_mail_queued(world, ok, cli, store, tmp_path, monkeypatch):
    blocker = tmp_path / "home" / "outbox"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    r = cli("password", "send-link", "max.mueller", "--json")
    assert r.exit_code == 6 and r.data["links"][0]["login"] == "max.mueller"
    (warning,) = r.json()["warnings"]
    assert warning.startswith("the change is saved; its mail is queued") and "tenantctl mail send" in warning
    assert [m.state for m in _mails(store)] == ["queued"]
    assert len(_rows(store, PasswordLink)) == 1


@pytest.mark.parametrize("command", ["password send-link", "password set", "auth login", "mail list", "mail show",
                                     "mail send", "mail retry", "mail preview", "mail test"])
def test_help_has_an_example(cli, command):
    r = cli(*command.split(), "--help", env={"COLUMNS": "200"})
    assert r.exit_code == 0 and f"Example: tenantctl {command}" in r.stdout
