"""Helpers for mail tests (import: from mailhelpers import ...)."""

from __future__ import annotations

import re
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
