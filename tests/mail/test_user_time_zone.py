"""Times in a person's mails are in their own time zone (`user update --time-zone`), else in that of
the tenant the mail is about (their home tenant), else in the platform's `time_zone` setting; the
zone's summer and winter offsets both show."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

GERMAN = {"CET": "MEZ", "CEST": "MESZ"}


def _delivered(tmp_path: Any) -> dict[str, str]:
    from mailhelpers import body_text, read_eml

    return {m["To"].addresses[0].addr_spec: body_text(m) for m in read_eml(tmp_path / "home" / "outbox")}


def _expiry(store: Any, login: str) -> datetime:
    from sqlmodel import col, select

    from tenantctl.store.models import PasswordLink, User

    with store.transaction(write=False) as s:
        return s.exec(select(PasswordLink.expires_at).join(User, col(User.id) == PasswordLink.user_id)
                      .where(User.login == login).order_by(col(PasswordLink.id).desc())).first()


def _german_time(when: datetime, zone: str) -> str:
    """How a German mail writes `when` in `zone`, worked out here rather than by the code under test."""
    local = when.astimezone(ZoneInfo(zone))
    abbr = local.tzname() or ""
    return f"{local:%d.%m.%Y} um {local:%H:%M} Uhr ({GERMAN.get(abbr, abbr)})"


def _send_links(ctx_for: Any, *logins: str) -> None:
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    with ctx_for() as ctx:
        passwords.issue_links(ctx, [get_user(ctx, login) for login in logins])


def test_a_uk_user_of_a_german_tenant_reads_london_time(world: Any, ok: Any, ctx_for: Any, store: Any,
                                                         tmp_path: Any) -> None:
    data = ok("user", "update", "max.mueller", "--time-zone", "Europe/London")
    assert data["time_zone"] == "Europe/London" and data["changed"] == {"time_zone": [None, "Europe/London"]}
    _send_links(ctx_for, "max.mueller", "mia.meier")  # both of mueller, which has no zone of its own
    mails = _delivered(tmp_path)
    london, berlin = mails["max@mueller.example"], mails["mia@mueller.example"]
    expires = _expiry(store, "max.mueller")
    assert _german_time(expires, "Europe/London") in london, london
    assert expires.astimezone(ZoneInfo("Europe/London")).utcoffset().total_seconds() in (0, 3600)
    assert "MEZ" not in london and "MESZ" not in london
    assert _german_time(_expiry(store, "mia.meier"), "Europe/Berlin") in berlin, berlin


@pytest.mark.parametrize(("own", "tenant", "platform", "shown"), [
    ("Europe/London", "America/New_York", "Europe/Berlin", "Europe/London"),  # own zone first
    (None, "Europe/London", "Europe/Berlin", "Europe/London"),  # else the tenant's
    (None, None, "Asia/Tokyo", "Asia/Tokyo"),  # else the platform's setting
    (None, None, None, "Europe/Berlin"),  # the setting's default
])
def test_which_zone_a_mail_shows(world: Any, ok: Any, ctx_for: Any, store: Any, tmp_path: Any,
                                 monkeypatch: pytest.MonkeyPatch, own: str | None, tenant: str | None,
                                 platform: str | None, shown: str) -> None:
    if platform:
        monkeypatch.setenv("TENANTCTL_TIME_ZONE", platform)
    if tenant:
        ok("tenant", "update", "mueller", "--time-zone", tenant)
    if own:
        ok("user", "update", "max.mueller", "--time-zone", own)
    _send_links(ctx_for, "max.mueller")
    text = _delivered(tmp_path)["max@mueller.example"]
    assert _german_time(_expiry(store, "max.mueller"), shown) in text, text


@pytest.mark.parametrize(("zone", "language", "winter", "summer"), [
    ("Europe/London", "en", "15 January 2027 at 10:00 (GMT)", "15 July 2027 at 11:00 (BST)"),
    ("Europe/London", "de", "15.01.2027 um 10:00 Uhr (GMT)", "15.07.2027 um 11:00 Uhr (BST)"),
    ("Europe/Berlin", "de", "15.01.2027 um 11:00 Uhr (MEZ)", "15.07.2027 um 12:00 Uhr (MESZ)"),
])
def test_summer_and_winter_offsets_of_the_persons_zone(world: Any, ok: Any, ctx_for: Any, store: Any,
                                                        zone: str, language: str, winter: str, summer: str) -> None:
    """The queued mail carries the person's zone; rendered for a January and a July expiry (10:00 UTC)
    it shows each season's offset and name."""
    from sqlmodel import select

    from tenantctl.store.mail.delivery import render_mail
    from tenantctl.store.models import OutboxMail
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user
    from tenantctl.store.settings import load_settings

    ok("user", "update", "mia.meier", "--time-zone", zone, "--language", language)
    with ctx_for() as ctx:
        passwords.issue_links(ctx, [get_user(ctx, "mia.meier")], deliver=False)
    with store.transaction(write=False) as s:
        mail = s.exec(select(OutboxMail).where(OutboxMail.to_address == "mia@mueller.example")).one()
    assert mail.context["time_zone"] == zone
    for when, expected in (("2027-01-15T10:00:00+00:00", winter), ("2027-07-15T10:00:00+00:00", summer)):
        _, text, html = render_mail(load_settings(), mail.template, mail.language,
                                    {**mail.context, "expires_at": when, "link": "https://x.example/l"})
        assert expected in text and expected in html, text


def test_an_invitation_to_an_account_is_in_its_own_zone(world: Any, ok: Any, ctx_for: Any, store: Any,
                                                        tmp_path: Any) -> None:
    """A member invitation from acme (no zone) to the account of max.mueller (Europe/London)."""
    from sqlmodel import select

    from tenantctl.store.models import Invitation
    from tenantctl.store.services import invitations

    ok("user", "update", "max.mueller", "--time-zone", "Europe/London")
    with ctx_for("rita.reseller") as ctx:
        invitations.create(ctx, "member", origin="acme", email="max@mueller.example", role="member", send=True)
    with store.transaction(write=False) as s:
        expires = s.exec(select(Invitation.expires_at)).one()
    text = _delivered(tmp_path)["max@mueller.example"]
    assert _german_time(expires, "Europe/London") in text, text
