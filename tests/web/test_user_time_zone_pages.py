"""The pages a person opens from a mail show the expiry in that person's own time zone when the
person is known (a set-password link belongs to a user; an invitation to an address with an
account), in summer and in winter (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from webhelpers import open_link, text_of


def _own_zone(ctx_for: Any, login: str, zone: str) -> None:
    from tenantctl.store.services import users

    with ctx_for() as ctx:
        users.update_user(ctx, login, time_zone=zone)


@pytest.mark.parametrize(("when", "shown"), [
    ("2099-01-15 10:00:00+00:00", "Dieser Link gilt bis 15.01.2099 um 10:00 Uhr (GMT)"),
    ("2099-07-15 10:00:00+00:00", "Dieser Link gilt bis 15.07.2099 um 11:00 Uhr (BST)"),
])
def test_the_set_password_page_shows_the_expiry_in_the_users_zone(
        backend: str, world: Any, client: Any, ctx_for: Any, password_token: Any, when: str, shown: str) -> None:
    """max.mueller lives in London; his tenant mueller has no zone (the platform's is Europe/Berlin)."""
    from datetime import datetime

    from sqlmodel import update

    from tenantctl.store.models import PasswordLink

    _own_zone(ctx_for, "max.mueller", "Europe/London")
    token = password_token("max.mueller")
    with ctx_for() as ctx:
        ctx.session.execute(update(PasswordLink).values(expires_at=datetime.fromisoformat(when)))
    text = text_of(open_link(client, f"/password/set?token={token}").text)
    assert shown in text, text
    # mia.meier of the same tenant, without a zone of her own: the platform's
    client.get(f"/password/set?token={password_token('mia.meier')}")
    assert re.search(r"Dieser Link gilt bis [\d.]+ um \d\d:\d\d Uhr \((MEZ|MESZ)\)",
                     text_of(client.get("/password/set").text))


def test_an_invitation_page_for_an_account_shows_its_own_zone(backend: str, world: Any, client: Any,
                                                              ctx_for: Any) -> None:
    from tenantctl.store.services import invitations

    _own_zone(ctx_for, "max.mueller", "Europe/London")
    with ctx_for("rita.reseller") as ctx:
        token = invitations.create(ctx, "member", origin="acme", email="max@mueller.example", role="member")["token"]
        newcomer = invitations.create(ctx, "member", origin="acme", email="neu@acme.example", role="member")["token"]
    assert re.search(r"Uhr \((GMT|BST)\)", text_of(open_link(client, f"/invite/{token}").text))
    assert re.search(r"Uhr \((MEZ|MESZ)\)", text_of(open_link(client, f"/invite/{newcomer}").text))
