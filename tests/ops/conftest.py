"""Fixtures for running tenantctl unattended: a cheap argon2 hasher, an SMTP test server that can
be down (its port chosen, nothing listening) and come up on the same port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from mailhelpers import free_port, point_at


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_hasher: None) -> None:
    """Every test here hashes with tests/conftest.py's fast_hasher."""


@dataclass
class Recorder:
    """Takes every message; `hang` seconds per DATA (a slow server, to stop a worker mid-batch)."""

    hang: float = 0.0
    received: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        if self.hang:
            await asyncio.sleep(self.hang)
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def mail_ids(self) -> list[int]:
        """The outbox id of each message received (its X-Tenantctl-Mail header), in arrival order."""
        import email
        from email.policy import default

        out = []
        for e in self.received:
            msg = email.message_from_bytes(e.original_content, policy=default)
            out.append(int(msg["X-Tenantctl-Mail"]))
        return out


class Smtp:
    """An SMTP test server on a fixed port: down until up(), down again after down()."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = Recorder()
        self.controller: Any = None

    def up(self, hang: float = 0.0) -> Recorder:
        from aiosmtpd.controller import Controller

        self.recorder.hang = hang
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, ready_timeout=5)
        self.controller.start()
        return self.recorder

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Smtp]:
    """The settings (environment) point at the server's port; it starts down."""
    server = Smtp(free_port())
    point_at(monkeypatch, server.port)
    monkeypatch.setenv("TENANTCTL_MAIL_RETRY_SECONDS", "1")
    yield server
    server.down()
