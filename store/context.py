"""What every service call gets: the command's session, the acting user and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from store.actor import Actor
from store.settings import Settings


@dataclass
class Ctx:
    session: Session
    actor: Actor
    settings: Settings
    # run by the CLI after the transaction committed (e.g. deliver the mails it queued)
    after_commit: list[Callable[[], object]] = field(default_factory=list)
