"""Login throttling as OWASP describes it (web/login_throttle.py): per account and client, plus a
slower pace for failing clients of an account under attack, one count per person whatever the
spelling; a stranger can never lock the owner out. The same person key bounds forgot-password.
SQLite counts in memory, PostgreSQL in the store (shared by every worker)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from webhelpers import csrf_of

from tests.web.test_skeleton import set_password

pytestmark = pytest.mark.usefixtures("backend")
RIGHT = "Korrekt-Pferd-Batterie-42"


@pytest.fixture
def from_client(web_settings: Any) -> Iterator[Callable[[str], Any]]:
    """from_client("10.0.0.7") -> a TestClient on one app whose requests come from that address."""
    from fastapi.testclient import TestClient

    from tenantctl.web.app import create_app

    app = create_app(web_settings)
    made: list[Any] = []

    def make(address: str) -> Any:
        client = TestClient(app, base_url="http://testserver", client=(address, 40000))
        client.__enter__()
        made.append(client)
        return client

    yield make
    for c in made:
        c.__exit__(None, None, None)
    app.state.runtime.close()


def _login(client: Any, ident: str, password: str) -> int:
    return int(client.post("/api/v1/auth/login", json={"login": ident, "password": password}).status_code)


def test_a_strangers_50_wrong_logins_leave_the_owner_able_to_log_in_from_another_client(
        world: Any, ctx_for: Any, from_client: Any) -> None:
    set_password(ctx_for, "max.mueller", RIGHT)
    stranger, owner = from_client("203.0.113.9"), from_client("198.51.100.4")
    codes = [_login(stranger, "max.mueller" if i % 2 else "max@mueller.example", f"guess-{i}") for i in range(50)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}  # five per person and client, either spelling
    assert _login(stranger, "max.mueller", RIGHT) == 429  # the failing client stays refused, even right
    assert _login(owner, "max@mueller.example", RIGHT) == 200  # the owner is never locked out


def test_many_strangers_slow_each_failing_client_but_never_a_fresh_one(world: Any, ctx_for: Any,
                                                                        from_client: Any) -> None:
    set_password(ctx_for, "max.mueller", RIGHT)
    for i in range(12):  # twelve clients fail once each: the account is under attack (10 in 15 min)
        assert _login(from_client(f"203.0.113.{i}"), "max.mueller", "wrong-password") == 401
    again = from_client("203.0.113.3")
    r = again.post("/api/v1/auth/login", json={"login": "max.mueller", "password": "wrong-again"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60  # one try a minute for a failer
    assert r.headers["x-frame-options"] == "DENY"  # the error answer carries the security headers
    assert _login(from_client("198.51.100.4"), "max.mueller", RIGHT) == 200  # a fresh client: right is right
    assert _login(from_client("198.51.100.5"), "someone.else", "x") == 401  # another person: own counts


def test_a_success_forgets_the_clients_failures(world: Any, ctx_for: Any, from_client: Any) -> None:
    set_password(ctx_for, "max.mueller", RIGHT)
    me = from_client("198.51.100.4")
    for _ in range(2):
        for i in range(4):
            assert _login(me, "max.mueller", f"typo-{i}") == 401
        assert _login(me, "max.mueller", RIGHT) == 200  # 4 typos, then right: the count starts again


def test_forgot_password_counts_one_person_whatever_the_spelling(world: Any, from_client: Any,
                                                                 outbox: Any) -> None:
    clients = [from_client(f"198.51.100.{i}") for i in range(6)]
    for i, client in enumerate(clients):
        csrf = csrf_of(client.get("/password/forgot").text)
        ident = ("max.mueller", "MAX@MUELLER.EXAMPLE", "Max.Mueller")[i % 3]
        assert client.post("/password/forgot", data={"csrf_token": csrf, "ident": ident}).status_code == 200
    assert len(outbox()) == 3  # three mails per person and hour, from any client, by login or e-mail


def test_forgot_password_sends_nothing_to_a_person_who_cannot_log_in(world: Any, ctx_for: Any, client: Any,
                                                                     outbox: Any, rows: Any) -> None:
    from tenantctl.store.models import PasswordLink, User
    from tenantctl.store.services import memberships

    with ctx_for() as ctx:  # Mia's last membership goes: she could not log in with a new password
        memberships.remove_member(ctx, "mia.meier", "mueller")
    csrf = csrf_of(client.get("/password/forgot").text)
    r = client.post("/password/forgot", data={"csrf_token": csrf, "ident": "mia@mueller.example"})
    assert r.status_code == 200 and "Wenn zu dieser Angabe ein Zugang besteht" in r.text  # the same answer
    [mia] = rows(User, login="mia.meier")
    assert outbox() == [] and rows(PasswordLink, user_id=mia.id) == []
