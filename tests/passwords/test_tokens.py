"""Django's password-reset token tests (tests/auth_tests/test_tokens.py), ported to password links,
plus S3's own rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenantctl.store.errors import InvalidInput, PermissionDenied
from tenantctl.store.services import passwords as svc
from tenantctl.store.services.passwords import BAD_LINK

PW = "Korrekt-Pferd-Batterie-9"
PW2 = "Anderes-Pferd-Heftklammer-7"


@pytest.fixture
def issue(ctx_for):
    def make(login: str = "max.mueller", purpose: str | None = None) -> str:
        from tenantctl.store.services.users import find_user_row

        with ctx_for() as ctx:
            user = find_user_row(ctx.session, login)
            links = svc.issue_links(ctx, [user], purpose, deliver=False)
            return svc.mint_now(ctx, links)[links[0].id]

    return make


@pytest.fixture
def valid(store):
    def check(token: str, now=None) -> bool:
        with store.transaction(write=False) as s:
            try:
                svc.check_token(s, token, now)
            except InvalidInput as exc:
                assert exc.message == BAD_LINK
                return False
            return True

    return check


@pytest.fixture
def redeem(ctx_for):
    def run(token: str, password: str = PW) -> dict:
        with ctx_for() as ctx:
            return svc.redeem(ctx, token, password)

    return run


@pytest.fixture
def login(ctx_for):
    def run(who: str, password: str) -> bool:
        try:
            with ctx_for() as ctx:
                svc.login(ctx, who, password)
            return True
        except PermissionDenied as exc:
            assert exc.message == svc.LOGIN_FAILED
            return False

    return run


def bad(redeem, token: str, password: str = PW) -> None:
    with pytest.raises(InvalidInput) as err:
        redeem(token, password)
    assert err.value.message == BAD_LINK


# -- Django ---------------------------------------------------------------------------------------

def test_valid_before_use_invalid_after(world, issue, valid, redeem):
    token = issue()
    assert valid(token)
    assert redeem(token)["login"] == "max.mueller"
    assert not valid(token)
    bad(redeem, token, PW2)


def test_invalid_after_password_change_by_another_link(world, issue, valid, redeem):
    first = issue()
    redeem(first)
    second = issue()
    assert valid(second)
    third_party = issue("mia.meier")
    redeem(third_party)  # another user's change does not matter
    assert valid(second)


def test_invalid_after_login(world, issue, valid, redeem, login):
    redeem(issue())
    token = issue(purpose="reset")
    assert valid(token)
    assert login("max.mueller", PW)
    assert not valid(token)


def test_invalid_after_email_change(world, issue, valid, ctx_for):
    from tenantctl.store.services import users

    token = issue()
    with ctx_for() as ctx:
        users.update_user(ctx, "max.mueller", email="max.neu@mueller.example")
    assert not valid(token)


def test_invalid_after_disable(world, issue, valid, ctx_for):
    from tenantctl.store.services import memberships, users

    token = issue()
    with ctx_for() as ctx:
        memberships.add_member(ctx, "mia.meier", "mueller", "admin")  # max is not the last admin then
        users.set_enabled(ctx, "max.mueller", False)
    assert not valid(token)
    with ctx_for() as ctx:
        users.set_enabled(ctx, "max.mueller", True)
    assert not valid(token)  # re-enabling does not revive it


def test_expiry_exactly_at_the_boundary(world, issue, valid, store):
    from tenantctl.store.models import PasswordLink

    token = issue()
    with store.transaction(write=False) as s:
        expires = s.get(PasswordLink, int(token.split(".")[0])).expires_at
    assert valid(token, expires)  # valid up to and including expires_at (as Django)
    assert not valid(token, expires + timedelta(microseconds=1))
    assert valid(token, expires - timedelta(days=6, hours=23))


def test_lifetimes_follow_the_purpose_and_settings(world, issue, store, monkeypatch):
    from tenantctl.store.models import PasswordLink

    monkeypatch.setenv("TENANTCTL_RESET_LINK_HOURS", "2")
    initial, reset = issue(purpose="initial"), issue("mia.meier", purpose="reset")
    with store.transaction(write=False) as s:
        a, b = (s.get(PasswordLink, int(t.split(".")[0])) for t in (initial, reset))
        assert a.expires_at - a.created_at == timedelta(days=7)
        assert b.expires_at - b.created_at == timedelta(hours=2)


def test_not_valid_for_another_user(world, issue, valid, redeem, login):
    max_token = issue("max.mueller")
    mia_token = issue("mia.meier")
    secret = max_token.split(".")[1]
    assert not valid(f"{mia_token.split('.')[0]}.{secret}")
    redeem(max_token)
    assert login("max.mueller", PW) and not login("mia.meier", PW)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # last character changed
    lambda t: t[:-1],  # truncated
    lambda t: t + "x",  # extended
    lambda t: str(int(t.split(".")[0]) + 1) + "." + t.split(".")[1],  # other id
    lambda t: "",  # empty
    lambda t: "not a token",
    lambda t: "999999." + "A" * 43,  # unknown
])
def test_tampered_and_unknown_tokens(world, issue, valid, redeem, mangle):
    token = issue()
    assert not valid(mangle(token))
    bad(redeem, mangle(token))
    assert valid(token)


def test_the_same_error_for_expired_used_voided_superseded(world, issue, redeem, store, ctx_for):
    from tenantctl.store.models import PasswordLink

    expired = issue("mia.meier")
    with store.transaction() as s:
        link = s.get(PasswordLink, int(expired.split(".")[0]))
        link.expires_at = link.created_at - timedelta(seconds=1)
        s.add(link)
    superseded = issue()
    fresh = issue()
    redeem(fresh)  # uses fresh, voids nothing else open
    messages = set()
    for token in (expired, superseded, fresh):
        with pytest.raises(InvalidInput) as err:
            redeem(token)
        messages.add((err.value.message, err.value.hint))
    assert messages == {(BAD_LINK, svc.BAD_LINK_HINT)}


def test_whole_link_is_accepted_as_token(world, issue, valid):
    token = issue()
    assert valid(f"https://platform.example/password/set?token={token}")
    assert valid(f"  {token}\n")


# -- S3 -------------------------------------------------------------------------------------------

def test_old_password_works_while_a_link_is_open(world, issue, redeem, login, valid):
    redeem(issue())
    token = issue(purpose="reset")
    assert login("max.mueller", PW)  # still works ...
    assert not valid(token)  # ... and the login killed the open link


def test_setting_the_password_kills_old_password_and_other_links(world, issue, redeem, login, store):
    from sqlmodel import select

    from tenantctl.store.models import PasswordLink, User

    redeem(issue())
    t1 = issue(purpose="reset")
    with store.transaction() as s:  # a second open link that was issued before t1 was superseded
        user = s.exec(select(User).where(User.login == "max.mueller")).one()
        other = PasswordLink(user_id=user.id, purpose="reset", expires_at=user.created_at + timedelta(days=30),
                             credential_version=user.credential_version, created_by="test")
        s.add(other)
    redeem(t1, PW2)
    assert not login("max.mueller", PW)
    assert login("max.mueller", PW2)
    with store.transaction(write=False) as s:
        rows = {link.id: (link.used_at is not None, link.void_reason) for link in s.exec(select(PasswordLink))}
    assert rows[int(t1.split(".")[0])] == (True, None)
    assert rows[other.id] == (False, "password_set")


def test_a_newer_link_supersedes_the_older(world, issue, valid, store):
    from tenantctl.store.models import PasswordLink

    old = issue()
    new = issue()
    assert not valid(old) and valid(new)
    with store.transaction(write=False) as s:
        assert s.get(PasswordLink, int(old.split(".")[0])).void_reason == "superseded"


def test_set_password_effects(world, issue, redeem, store):
    from sqlmodel import select

    from tenantctl.store.models import AuditEvent, User

    with store.transaction(write=False) as s:
        before = s.exec(select(User).where(User.login == "max.mueller")).one()
    token = issue()
    redeem(token)
    with store.transaction(write=False) as s:
        after = s.exec(select(User).where(User.login == "max.mueller")).one()
        events = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.object_key == "max.mueller"))]
    assert before.status == "invited" and after.status == "active"
    assert after.password_hash.startswith("$argon2id$") and PW not in after.password_hash
    assert after.credential_version == before.credential_version + 1
    assert after.password_changed_at is not None
    assert "password.set" in events and "password.link" in events
    for e in events:
        assert token not in str(e)


def test_login_same_message_for_unknown_wrong_disabled(world, issue, redeem, login, ctx_for):
    from tenantctl.store.services import memberships, users

    redeem(issue())
    assert not login("max.mueller", "falsches-passwort-123")
    assert not login("nobody.here", PW)
    assert not login("mia.meier", PW)  # has no password
    with ctx_for() as ctx:
        memberships.add_member(ctx, "mia.meier", "mueller", "admin")  # max is not the last admin then
        users.set_enabled(ctx, "max.mueller", False)
    assert not login("max.mueller", PW)


def test_login_records_and_bumps(world, issue, redeem, ctx_for, store):
    from sqlmodel import select

    from tenantctl.store.models import User

    redeem(issue())
    with ctx_for() as ctx:
        data = svc.login(ctx, "MAX@mueller.example", PW)
    assert data["login"] == "max.mueller" and data["memberships"][0]["tenant"] == "mueller"
    with store.transaction(write=False) as s:
        user = s.exec(select(User).where(User.login == "max.mueller")).one()
    assert user.last_login_at is not None


def test_policy_failure_changes_nothing(world, issue, redeem, valid):
    token = issue()
    with pytest.raises(InvalidInput) as err:
        redeem(token, "kurz")
    assert "at least 12" in err.value.message
    assert valid(token)


def test_issue_links_contract(world, ctx_for, store):
    """issue_links: skips disabled users, queues one mail per link with ref_type/ref_id, writes audit
    events, registers delivery after commit (deliver=True)."""
    from sqlmodel import select

    from tenantctl.store.models import AuditEvent, OutboxMail, User
    from tenantctl.store.services import users

    with ctx_for() as ctx:
        users.set_enabled(ctx, "mia.meier", False)
    with ctx_for() as ctx:
        all_users = list(ctx.session.exec(select(User).order_by(User.id)))
        links = svc.issue_links(ctx, all_users)
        assert len(ctx.after_commit) == 1
        assert {link.user_id for link in links} == {u.id for u in all_users if u.login != "mia.meier"}
    with store.transaction(write=False) as s:
        mails = list(s.exec(select(OutboxMail)))
        assert sorted(m.ref_id for m in mails) == sorted(link.id for link in links)
        assert {m.ref_type for m in mails} == {"password_link"}
        assert {m.state for m in mails} == {"sent"}  # delivered after commit (file transport)
        assert len(list(s.exec(select(AuditEvent).where(AuditEvent.action == "password.link")))) == len(links)
