"""A login and a redemption of the same user racing each other (two threads, two connections):
exactly one wins, on SQLite and on PostgreSQL, and the store is consistent with the winner."""

from __future__ import annotations

import contextlib
import threading

import pytest

from tenantctl.store.errors import InvalidInput, PermissionDenied
from tenantctl.store.services import passwords as svc
from tenantctl.store.services.passwords import write_seam


def _ctx(db_url):
    from contextlib import contextmanager

    from tenantctl.store.actor import operator_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.db import Store
    from tenantctl.store.settings import load_settings

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
    from tenantctl.store.services.users import find_user_row

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

        monkeypatch.setattr(write_seam, "before_write", wait)

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


# -- the login's two halves: argon2 outside the write transaction, effects by compare-and-set ---------

def _with_password(ctx_for, password: str, *, hasher=None, login: str = "max.mueller") -> None:
    """The user's password set directly (optionally with another argon2 work factor)."""
    from tenantctl.store import passwords
    from tenantctl.store.services.users import find_user_row

    with ctx_for() as ctx:
        user = find_user_row(ctx.session, login)
        user.password_hash = (hasher.hash(passwords.normalise(password)) if hasher
                              else passwords.hash_password(password))
        ctx.session.add(user)


def _redeem_new_password(ctx_for, password: str) -> None:
    from tenantctl.store.services.users import find_user_row

    with ctx_for() as ctx:
        links = svc.issue_links(ctx, [find_user_row(ctx.session, "max.mueller")], "reset", deliver=False)
        token = svc.mint_now(ctx, links)[links[0].id]
    with ctx_for() as ctx:
        svc.redeem(ctx, token, password)


def _user(ctx_for):
    from tenantctl.store.services.users import find_user_row

    with ctx_for() as ctx:
        user = find_user_row(ctx.session, "max.mueller")
        return user.password_hash, user.credential_version, user.last_login_at


@pytest.mark.parametrize("rehash", [False, True], ids=["same-work-factor", "needs-rehash"])
def test_password_changed_between_verify_and_write_is_not_overwritten(world, ctx_for, backend, rehash):
    """verify_login ran against the old password; a link is redeemed before record_login: the login
    is refused, nothing of it is written (no rehash of the old password over the new hash, no
    version bump, no last login, no audit event), and the new password works."""
    from argon2 import PasswordHasher, Type

    from tenantctl.store import passwords

    old, new = "Altes-Passwort-Lang-7", "Neues-Passwort-Lang-8"
    weaker = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1, type=Type.ID)
    _with_password(ctx_for, old, hasher=weaker if rehash else None)
    with ctx_for() as ctx:
        verified = svc.verify_login(ctx, "max.mueller", old)
    assert (verified.rehash is not None) is rehash
    assert verified.rehash is None or passwords.verify_password(verified.rehash, old)

    _redeem_new_password(ctx_for, new)
    after_redeem = _user(ctx_for)
    with pytest.raises(svc.LoginFailed), ctx_for() as ctx:
        svc.record_login(ctx, verified)
    assert _user(ctx_for) == after_redeem
    assert passwords.verify_password(after_redeem[0], new)
    with ctx_for() as ctx:
        assert ctx.session.exec(select_logins()).all() == []
        assert svc.login(ctx, "max.mueller", new)["login"] == "max.mueller"
    with ctx_for() as ctx:
        assert [e.object_key for e in ctx.session.exec(select_logins())] == ["max.mueller"]


def select_logins():
    from sqlmodel import select

    from tenantctl.store.models import AuditEvent

    return select(AuditEvent).where(AuditEvent.action == "auth.login")


def test_second_login_between_verify_and_write_goes_ahead(world, ctx_for, backend):
    """A credential version bumped by another login (the hash unchanged) is no reason to refuse:
    both logins succeed, each bumping the version once."""
    password = "Gleiches-Passwort-Lang-3"
    _with_password(ctx_for, password)
    _, version, _ = _user(ctx_for)
    with ctx_for() as ctx:
        first = svc.verify_login(ctx, "max.mueller", password)
    with ctx_for() as ctx:
        svc.login(ctx, "max.mueller", password)
    with ctx_for() as ctx:
        data = svc.record_login(ctx, first)
    assert data["login"] == "max.mueller"
    _, after, last = _user(ctx_for)
    assert after == version + 2 and last is not None


@pytest.mark.parametrize("change", ["disabled", "tenant_suspended"])
def test_user_blocked_between_verify_and_write_is_refused(world, ctx_for, backend, change):
    from sqlmodel import select

    from tenantctl.store.enums import TenantStatus, UserStatus
    from tenantctl.store.models import Tenant
    from tenantctl.store.services.users import find_user_row

    password = "Gesperrt-Passwort-Lang-5"
    _with_password(ctx_for, password)
    with ctx_for() as ctx:
        verified = svc.verify_login(ctx, "max.mueller", password)
    with ctx_for() as ctx:
        if change == "disabled":
            user = find_user_row(ctx.session, "max.mueller")
            user.status = UserStatus.disabled
            ctx.session.add(user)
        else:
            for tenant in ctx.session.exec(select(Tenant)).all():
                if tenant.key != "platform":
                    tenant.status = TenantStatus.suspended
                    ctx.session.add(tenant)
    before = _user(ctx_for)
    with pytest.raises(svc.LoginFailed), ctx_for() as ctx:
        svc.record_login(ctx, verified)
    assert _user(ctx_for) == before


def test_verify_login_spends_one_verification_for_every_failure_and_writes_nothing(world, ctx_for):
    """Unknown login, wrong password, disabled user: one argon2 verification each (the dummy hash
    for the unknown login: equal timing), the same LoginFailed, and a read transaction suffices."""
    from tenantctl.store import passwords
    from tenantctl.store.enums import UserStatus
    from tenantctl.store.services.users import find_user_row

    password = "Richtiges-Passwort-Lang-9"
    _with_password(ctx_for, password)
    _with_password(ctx_for, password, login="mia.meier")
    with ctx_for() as ctx:
        find_user_row(ctx.session, "mia.meier").status = UserStatus.disabled
    calls: list[str] = []
    real = passwords.hasher()

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, given):
            calls.append(stored)
            return real.verify(stored, given)

    passwords.use_hasher(Counting())
    try:
        before = _user(ctx_for)
        for ident, given in (("niemand.da", password), ("max.mueller", "Falsches-Passwort-Lang-1"),
                             ("mia.meier", password), ("", password)):
            calls.clear()
            with pytest.raises(svc.LoginFailed) as failed, ctx_for() as ctx:
                svc.verify_login(ctx, ident, given)
            assert len(calls) == 1, ident
            assert str(failed.value) == svc.LOGIN_FAILED
        assert _user(ctx_for) == before
    finally:
        passwords.use_hasher(real)
