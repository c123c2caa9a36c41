"""Alembic, driven from code: the migration scripts ship inside the package, so no alembic.ini
is needed in the working directory."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from store.db import Store

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_config()).get_heads())


def upgrade(store: Store) -> tuple[set[str], set[str]]:
    """Upgrade to the newest schema; returns (revisions before, revisions after)."""
    from alembic import command

    before = store.current_revisions()
    with store.connect() as conn, conn.begin():
        conn.info["write"] = True
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return before, store.current_revisions()
