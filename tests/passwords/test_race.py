"""A login and a redemption of the same user racing each other (two threads, two connections):
exactly one wins, on SQLite and on PostgreSQL, and the store is consistent with the winner."""

from __future__ import annotations

import contextlib
import threading

import pytest

from store.errors import InvalidInput, PermissionDenied
from store.services import passwords as svc


def _ctx(db_url):
    from contextlib import contextmanager

    from store.actor import operator_actor
    from store.context import Ctx
    from store.db import Store
    from store.settings import load_settings

    @contextmanager
    def make():
        store = Store(db_url)
        try:
            with store.transaction() as s:
                yield Ctx(s, operator_actor(), load_settings())
        finally:
            store.dispose()

    return make


@pytest.mark.parametrize("overlap", [True, False], ids=["checks-overlap", "free-run"])
def test_login_and_redemption_race(world, ctx_for, db_url, backend, monkeypatch, overlap):
    from store.services.users import find_user_row

    make = _ctx(db_url)
    current = "Start-Passwort-Lang-1"
    with ctx_for() as ctx:
        links = svc.issue_links(ctx, [find_user_row(ctx.session, "max.mueller")], deliver=False)
        token = svc.mint_now(ctx, links)[links[0].id]
    with make() as ctx:
        svc.redeem(ctx, token, current)

    barrier = threading.Barrier(2, timeout=0.3)
    if overlap:  # both pass their checks before either writes (on SQLite the lock serialises instead)
        def wait(_: str) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

        monkeypatch.setattr(svc, "_before_write", wait)

    for round_ in range(3):
        new = f"Neues-Passwort-Runde-{round_}x"
        with ctx_for() as ctx:
            links = svc.issue_links(ctx, [find_user_row(ctx.session, "max.mueller")], "reset", deliver=False)
            token = svc.mint_now(ctx, links)[links[0].id]
        barrier.reset()
        outcome: dict[str, object] = {}

        def do_login(password: str = current, outcome: dict = outcome) -> None:
            try:
                with make() as ctx:
                    svc.login(ctx, "max.mueller", password)
                outcome["login"] = True
            except PermissionDenied:
                outcome["login"] = False

        def do_redeem(password: str = new, token: str = token, outcome: dict = outcome) -> None:
            try:
                with make() as ctx:
                    svc.redeem(ctx, token, password)
                outcome["redeem"] = True
            except InvalidInput:
                outcome["redeem"] = False

        threads = [threading.Thread(target=do_login), threading.Thread(target=do_redeem)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert set(outcome) == {"login", "redeem"}
        assert outcome["login"] != outcome["redeem"], outcome  # exactly one wins, never both
        with make() as ctx:
            if outcome["redeem"]:
                with pytest.raises(PermissionDenied):
                    svc.login(ctx, "max.mueller", current)
                current = new
            else:
                with pytest.raises(InvalidInput):
                    svc.check_token(ctx.session, token)
        with make() as ctx:
            svc.login(ctx, "max.mueller", current)  # the winner's password is the one that works
