"""What every service call gets: the command's session, the acting user and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from tenantctl.store.actor import Actor
from tenantctl.store.settings import Settings


@dataclass
class Ctx:
    session: Session
    actor: Actor
    settings: Settings
    # run by the CLI after the transaction committed (e.g. deliver the mails it queued)
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    # things the user should check, though nothing was refused (e.g. a look-alike e-mail domain);
    # the CLI prints them on stderr, or as "warnings" in the JSON document
    warnings: list[str] = field(default_factory=list)
    # what the command wrote, in words a user can check it by ("import run 12 (undo: tenantctl
    # import undo 12)"), said if the command is interrupted after its commit; "" for nothing
    # (a dry run); None: the face says "the change is written"
    committed: str | None = None

    def check_lookalike(self, text: str | None, what: str) -> None:
        from tenantctl.store.rules import mixed_script_warning

        warning = mixed_script_warning(text, what) if text else None
        if warning and warning not in self.warnings:
            self.warnings.append(warning)
