"""Delivering N queued password-link mails through the outbox to a local aiosmtpd server, against a
bare smtplib loop sending N pre-rendered messages over one connection, in the same run.

    python -m bench.mail_bench [--count 2000]

The outbox path does everything a real `tenantctl mail send` does: claim in batches, mint a token
per mail (hash stored), render subject/text/HTML, build the MIME message, send over one SMTP
connection, record each outcome in its own transaction. Target: at most 1.5x the bare loop."""

from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def serve(port: int, ready: Any, stop: Any) -> None:
    """The SMTP server runs in its own process, as a real one would (in a thread of this process it
    would compete with the sender for the GIL and so penalise whichever side does more Python work)."""
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(store: Any, settings: Any, count: int) -> list[int]:
    """A reseller, a customer and `count` users; then issue_links queues one mail per user."""
    from sqlalchemy import insert
    from sqlmodel import select

    from tenantctl.store.actor import operator_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.models import Connection, Membership, Tenant, User
    from tenantctl.store.services import passwords

    with store.transaction() as s:
        reseller = Tenant(key="acme", name="ACME Reseller AG", kind="reseller", created_by="bench")
        customer = Tenant(key="mueller", name="Müller & Söhne GmbH", kind="customer", created_by="bench")
        s.add_all([reseller, customer])
        s.flush()
        s.add(Connection(reseller_id=reseller.id, customer_id=customer.id, state="active", created_by="bench"))
        s.execute(insert(User), [{"login": f"user.{i}", "email": f"user{i}@mueller.example",
                                  "email_key": f"user{i}@mueller.example", "first_name": "User",
                                  "last_name": f"Nummer {i}", "language": "de" if i % 2 else "en",
                                  "created_by": "bench"} for i in range(count)])
        ids = list(s.exec(select(User.id)))
        s.execute(insert(Membership), [{"user_id": uid, "tenant_id": customer.id, "role": "member",
                                        "created_by": "bench"} for uid in ids])
    with store.transaction() as s:
        ctx = Ctx(s, operator_actor(), settings)
        users = list(s.exec(select(User)))
        started = time.perf_counter()
        links = passwords.issue_links(ctx, users, deliver=False)
        issue_seconds = time.perf_counter() - started
        print(f"issue_links for {len(links)} users: {issue_seconds:.2f} s")
        from tenantctl.store.models import OutboxMail

        return [int(i) for i in s.exec(select(OutboxMail.id).order_by(OutboxMail.id)) if i is not None]


def prerender(settings: Any, count: int) -> list[tuple[str, bytes]]:
    from tenantctl.mail_templates import render
    from tenantctl.mail_templates.samples import sample
    from tenantctl.store.mail import message

    out = []
    for i in range(count):
        context = {**sample("password_link_initial"), "login": f"user.{i}",
                   "link": f"https://platform.example/password/set?token={i}.{'x' * 43}"}
        subject, text, html = render("password_link_initial", "de", context)
        to = f"user{i}@mueller.example"
        _, raw = message.build(settings, to_address=to, to_name=f"User Nummer {i}", sender_name=context["sender"],
                               subject=subject, text=text, html=html, mail_id=i)
        out.append((to, raw))
    return out


def bare_loop(port: int, mail_from: str, messages: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    conn = smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=30)
    for to, raw in messages:
        conn.sendmail(mail_from, [to], raw)
    conn.quit()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_bench")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import multiprocessing

    from tenantctl.store.db import Store
    from tenantctl.store.mail.delivery import deliver_pending
    from tenantctl.store.migrate import upgrade
    from tenantctl.store.settings import load_settings

    port = free_port()
    mp = multiprocessing.get_context("spawn")
    ready, stop = mp.Event(), mp.Event()
    server = mp.Process(target=serve, args=(port, ready, stop), daemon=True)
    server.start()
    if not ready.wait(30):
        print("the aiosmtpd server did not start", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            env = {"TENANTCTL_HOME": str(home), "TENANTCTL_DATABASE_URL": f"sqlite:///{home / 'bench.db'}",
                   "TENANTCTL_MAIL_TRANSPORT": "smtp", "TENANTCTL_SMTP_HOST": "127.0.0.1",
                   "TENANTCTL_SMTP_PORT": str(port), "TENANTCTL_SMTP_TIMEOUT": "30"}
            settings = load_settings(environ=env)
            store = Store(settings.database_url, create=True)
            upgrade(store)
            ids = seed(store, settings, args.count)
            messages = prerender(settings, args.count)
            bare_loop(port, settings.mail_from, messages[:300])  # warm-up (server and client)
            bare, ours = [], []
            for rep in range(args.repeat):  # alternate, so that load changes hit both alike
                bare.append(bare_loop(port, settings.mail_from, messages))
                if rep:
                    requeue(store, ids)
                started = time.perf_counter()
                summary = deliver_pending(settings, store)
                ours.append(time.perf_counter() - started)
                if summary.sent != len(ids):
                    print(f"FAILED: sent {summary.sent} of {len(ids)}: {summary.as_dict()}", file=sys.stderr)
                    return 1
            store.dispose()
    finally:
        stop.set()
        server.join(10)
    b, o = statistics.median(bare), statistics.median(ours)
    ratio = o / b
    print(f"bare smtplib loop, {args.count} pre-rendered mails, one connection: "
          f"median {b:.2f} s ({', '.join(f'{x:.2f}' for x in bare)})")
    print(f"outbox delivery (claim, mint, render, send, record), {args.count} mails: "
          f"median {o:.2f} s ({', '.join(f'{x:.2f}' for x in ours)})")
    print(f"ratio of medians: {ratio:.2f}x the bare loop (target <= 1.5x): {'OK' if ratio <= 1.5 else 'MISSED'}")
    print(f"per mail: bare {b / args.count * 1000:.2f} ms, outbox {o / args.count * 1000:.2f} ms")
    return 0 if ratio <= 1.5 else 3


def requeue(store: Any, ids: list[int]) -> None:
    """Put the sent mails back into the queue for the next repetition (their links are still open,
    so delivery mints fresh tokens, as it would for new mails)."""
    from sqlalchemy import update
    from sqlmodel import col

    from tenantctl.store.models import OutboxMail
    from tenantctl.store.types import utcnow

    with store.transaction() as s:
        s.execute(update(OutboxMail).where(col(OutboxMail.id).in_(ids))
                  .values(state="queued", next_attempt_at=utcnow(), attempts=0, sent_at=None))


if __name__ == "__main__":
    sys.exit(main())
