"""Fixtures for mail tests: a cheap argon2 hasher, real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mailhelpers import free_port, point_at


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_hasher: None) -> None:
    """Every test here hashes with tests/conftest.py's fast_hasher."""


@dataclass
class Handler:
    """An SMTP server's behaviour: refuse some recipients (550 at RCPT), answer DATA with given codes
    first (e.g. ["451 try later"]), or hang in DATA; or take the message and then drop the
    connection (`drop_after_data` times) or stall without answering (`stall_after_data` seconds,
    for the first `stall_count` messages)."""

    refuse: set[str] = field(default_factory=set)
    data_replies: list[str] = field(default_factory=list)
    hang: float = 0.0
    drop_after_data: int = 0
    stall_after_data: float = 0.0
    stall_count: int = 0
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
        if self.drop_after_data:
            self.drop_after_data -= 1
            server.transport.close()  # the message is taken; the reply never comes
        elif self.stall_count:
            self.stall_count -= 1
            await asyncio.sleep(self.stall_after_data)
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


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / "outbox"

