"""Alembic, driven from code: the migration scripts ship inside the package, so no alembic.ini
is needed in the working directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenantctl.store.revisions import MIGRATIONS, check_not_newer

if TYPE_CHECKING:
    from alembic.config import Config

    from tenantctl.store.db import Store


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(store: Store) -> tuple[set[str], set[str]]:
    """Upgrade to the newest schema; returns (revisions before, revisions after)."""
    from alembic import command

    before = store.current_revisions()
    check_not_newer(store.safe_url, before)
    with store.connect() as conn, conn.begin():
        conn.info["write"] = True
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return before, store.current_revisions()
