"""One token scheme (store/tokens.py, for invitations as for password links) and one mail pipeline
(queue in the transaction, one delivery hook per command on the command's own engine)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tenantctl.store import tokens
from tenantctl.store.models import Invitation

pytestmark = pytest.mark.usefixtures("fast_hasher")  # tests/conftest.py


NEW_ORG = ["--organisation", "Stadt Musterhausen", "--first-name", "Klara", "--last-name", "Kämmerer",
           "--email", "klara@musterhausen.example"]


def test_invitation_and_password_tokens_share_the_scheme(world: Any, ok: Any) -> None:
    invitation = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    assert tokens.parse(invitation["token"]) == (invitation["id"], invitation["token"])
    link = ok("password", "send-link", "max.mueller", "--print-link")["links"][0]
    token = link["link"].split("token=")[1]
    assert tokens.parse(token) == (link["link_id"], token)


def test_the_id_selects_and_the_secret_must_match(world: Any, ok: Any, cli: Any) -> None:
    first = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    second = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    forged = f"{first['id']}.{second['token'].split('.', 1)[1]}"  # first's id, second's secret
    r = cli("invite", "accept", *NEW_ORG, "--json", input=forged)
    assert r.exit_code == 4 and "not valid" in r.json()["error"]["message"]
    assert ok("invite", "accept", *NEW_ORG, input=second["token"])["tenant"] == "stadt-musterhausen"


def test_invitation_links_minted_before_the_scheme_still_work(world: Any, ok: Any, store: Any) -> None:
    from sqlalchemy import update

    data = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    legacy = "L" * 43  # a bare token_urlsafe(32), as links were minted before
    with store.transaction() as s:
        s.execute(update(Invitation).where(Invitation.id == data["id"])
                  .values(token_hash=hashlib.sha256(legacy.encode()).hexdigest()))
    accepted = ok("invite", "accept", *NEW_ORG, input=f"https://platform.example/invite/{legacy}\n")
    assert accepted["tenant"] == "stadt-musterhausen"


def test_one_delivery_hook_per_command_on_the_commands_engine(world: Any, ok: Any, monkeypatch: Any,
                                                              tmp_path: Any) -> None:
    import tenantctl.store.db
    from tenantctl.store.mail import delivery

    engines: list[str] = []
    real_create = tenantctl.store.db.create_engine
    monkeypatch.setattr(tenantctl.store.db, "create_engine",
                        lambda url, **kw: engines.append(url) or real_create(url, **kw))
    calls: list[list[int]] = []
    real_call = delivery.Delivery.__call__

    def call(self: Any) -> None:
        calls.append(list(self.ids))
        real_call(self)

    monkeypatch.setattr(delivery.Delivery, "__call__", call)
    data = ok("password", "send-link", "--tenant", "mueller")  # two link mails
    assert len(calls) == 1 and len(calls[0]) == 2  # one hook, both mails
    assert data["delivery"]["sent"] == 2
    assert len(engines) == 1  # the command's own: delivery built no second engine
    engines.clear()
    calls.clear()
    ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "neu@mueller.example",
       "--role", "member", "--send")
    assert len(calls) == 1 and len(calls[0]) == 1 and len(engines) == 1
    assert len(list((tmp_path / "home" / "outbox").glob("*.eml"))) == 3


def test_mail_send_and_retry_use_the_same_hook(world: Any, ok: Any, monkeypatch: Any) -> None:
    import tenantctl.store.db

    ok("password", "send-link", "max.mueller", "mia.meier", "--no-send")
    engines: list[str] = []
    real_create = tenantctl.store.db.create_engine
    monkeypatch.setattr(tenantctl.store.db, "create_engine",
                        lambda url, **kw: engines.append(url) or real_create(url, **kw))
    assert ok("mail", "send")["sent"] == 2
    assert len(engines) == 1
