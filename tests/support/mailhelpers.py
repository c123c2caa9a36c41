"""Helpers for mail tests (import: from mailhelpers import ...)."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any


def read_eml(folder: Path) -> list[Any]:
    import email
    from email.policy import default

    return [email.message_from_bytes(p.read_bytes(), policy=default) for p in sorted(folder.glob("*.eml"))]


def body_text(msg: Any) -> str:
    return str(msg.get_body(("plain",)).get_content())


def link_of(msg: Any) -> str:
    match = re.search(r"https?://\S+token=(\S+)", body_text(msg))
    assert match, body_text(msg)
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def point_at(monkeypatch: Any, port: int) -> None:
    monkeypatch.setenv("TENANTCTL_MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("TENANTCTL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TENANTCTL_SMTP_PORT", str(port))
    monkeypatch.setenv("TENANTCTL_SMTP_TIMEOUT", "0.5")
