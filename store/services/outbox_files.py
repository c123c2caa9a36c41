"""The file outbox (`home/outbox/NNNNNNNN-xxxxxxxx.eml`) keeps a copy of a mail only while the store
keeps the mail's body. Retention and erasure purge bodies in their transaction and delete the
files after it committed; a run killed in between leaves files that the next sweep (the next
erase or prune) deletes, because their mail is gone or purged in the store."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from tenantctl.store.models import OutboxMail
from tenantctl.store.settings import Settings

EML = re.compile(r"^(\d{8,})-[0-9a-f]{8}\.eml$")


def outbox_folder(settings: Settings) -> Path:
    return settings.home_path / "outbox"


def files_by_mail(folder: Path) -> dict[int, list[Path]]:
    out: dict[int, list[Path]] = {}
    if not folder.is_dir():
        return out
    for path in folder.iterdir():
        if m := EML.match(path.name):
            out.setdefault(int(m.group(1)), []).append(path)
    return out


def stale_files(session: Session, settings: Settings) -> list[Path]:
    """.eml files whose mail the store no longer holds, or holds without its body."""
    files = files_by_mail(outbox_folder(settings))
    if not files:
        return []
    ids = sorted(files)
    kept: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        kept |= set(session.exec(select(OutboxMail.id).where(col(OutboxMail.id).in_(chunk),
                                                             col(OutboxMail.purged_at).is_(None))).all())  # type: ignore[arg-type]
    return sorted(p for mail_id, paths in files.items() if mail_id not in kept for p in paths)


def remove(paths: list[Path]) -> tuple[int, int]:
    """Delete the files: (deleted, left). One already gone counts as deleted (a sweep ran
    meanwhile); one that cannot be deleted (permissions) is left for the next sweep."""
    deleted = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            continue
        deleted += 1
    return deleted, len(paths) - deleted


def sweep(store: object, settings: Settings) -> tuple[int, int]:
    """After a commit: delete every stale .eml file (found in a short read-only transaction of its
    own), and let SQLite's WAL give up the old pages. Returns (deleted, left)."""
    from tenantctl.store.db import Store
    from tenantctl.store.wipe import checkpoint

    assert isinstance(store, Store)
    with store.transaction(write=False) as session:
        paths = stale_files(session, settings)
    checkpoint(store)
    return remove(paths)
