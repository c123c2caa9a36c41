"""Migration usertz_0001 (a person's own time zone) goes down to idem_0001 and up again on a filled
store, keeping every account (SQLite in batch mode, and PostgreSQL)."""

from __future__ import annotations

from typing import Any


def _columns(store: Any) -> set[str]:
    from sqlalchemy import inspect

    store.dispose()  # SQLite rebuilt the table: no cached connection may keep the old schema
    return {c["name"] for c in inspect(store.engine).get_columns("user_account")}


def _downgrade(store: Any, revision: str) -> None:
    from alembic import command

    from tenantctl.store.migrate import _config

    with store.connect() as conn, conn.begin():
        conn.info["write"] = True
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_usertz_0001_down_and_up_keeps_the_accounts(backend: str, world: Any, store: Any, ctx_for: Any,
                                                    db_rows: Any) -> None:
    from tenantctl.store.migrate import upgrade
    from tenantctl.store.revisions import head_revisions
    from tenantctl.store.services import users

    assert head_revisions() == {"usertz_0001"} and store.current_revisions() == {"usertz_0001"}
    with ctx_for() as ctx:
        users.update_user(ctx, "max.mueller", time_zone="Europe/London")
    accounts = db_rows("SELECT id, login, email, language FROM user_account ORDER BY id")
    assert len(accounts) == 6

    _downgrade(store, "idem_0001")
    assert store.current_revisions() == {"idem_0001"}
    assert "time_zone" not in _columns(store)
    assert db_rows("SELECT id, login, email, language FROM user_account ORDER BY id") == accounts

    assert upgrade(store) == ({"idem_0001"}, {"usertz_0001"})
    assert "time_zone" in _columns(store)
    assert db_rows("SELECT login, time_zone FROM user_account WHERE time_zone IS NOT NULL") == []
    assert db_rows("SELECT id, login, email, language FROM user_account ORDER BY id") == accounts
    with ctx_for() as ctx:  # the model works on the upgraded table
        assert users.update_user(ctx, "max.mueller", time_zone="Europe/London")["time_zone"] == "Europe/London"
