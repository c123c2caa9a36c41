"""SQLite write transactions take the write lock up front (BEGIN IMMEDIATE): two commands that read
and then write at the same time queue up instead of one failing with "database is locked"."""

import threading
import time

from sqlmodel import func, select

from tenantctl.store.models import Tenant
from tenantctl.store.services import tenants


def test_concurrent_read_then_write_commands_both_succeed(world, ctx_for, store):
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def command(name: str) -> None:
        try:
            start.wait()
            with ctx_for() as ctx:
                ctx.session.exec(select(func.count()).select_from(Tenant)).one()  # read first...
                time.sleep(0.2)  # ...while the other command also wants to write
                tenants.create_tenant(ctx, name, "reseller")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=command, args=(n,)) for n in ("Erster Reseller", "Zweiter Reseller")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.transaction(write=False) as s:
        names = set(s.exec(select(Tenant.name)).all())
    assert {"Erster Reseller", "Zweiter Reseller"} <= names


def test_pragmas(store):
    with store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
