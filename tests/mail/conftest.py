"""Fixtures for mail tests: a cheap argon2 hasher, real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[None]:
    """argon2id with minimal cost: the tests check behaviour, not the work factor."""
    from argon2 import PasswordHasher, Type

    from store import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    yield
    passwords.use_hasher(None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Handler:
    """An SMTP server's behaviour: refuse some recipients (550 at RCPT), answer DATA with given codes
    first (e.g. ["451 try later"]), or hang in DATA."""

    refuse: set[str] = field(default_factory=set)
    data_replies: list[str] = field(default_factory=list)
    hang: float = 0.0
    received: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class Server:
    port: int
    handler: Handler

    @property
    def messages(self) -> list[Any]:
        import email
        from email.policy import default

        return [email.message_from_bytes(e.original_content, policy=default) for e in self.handler.received]


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Server]]:
    """smtp_server(**handler_options) starts an aiosmtpd server on a free port and points the
    settings (environment) at it."""
    from aiosmtpd.controller import Controller

    started: list[Any] = []

    def start(**options: Any) -> Server:
        handler = Handler(**options)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
        controller.start()
        started.append(controller)
        point_at(monkeypatch, port)
        return Server(port, handler)

    yield start
    for c in started:
        c.stop()


def point_at(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("TENANTCTL_MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("TENANTCTL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TENANTCTL_SMTP_PORT", str(port))
    monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "0.5")


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "outbox"

