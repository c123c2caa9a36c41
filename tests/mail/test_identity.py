"""What a German business customer sees: the reseller's sender identity, Reply-To, contact line,
imprint, Auto-Submitted, times in the recipient's zone in one format per language, people by
full name, roles in words, no shell commands, one layout with a real button."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tenantctl import mail_templates
from tenantctl.mail_templates.samples import SAMPLES


def test_reseller_identity_reply_to_signature_imprint_and_auto_submitted(world: Any, ok: Any, cli: Any,
                                                                        outbox_dir: Any, monkeypatch: Any) -> None:
    from mailhelpers import read_eml

    monkeypatch.setenv("TENANTCTL_MAIL_REPLY_TO", "support@platform.example")
    monkeypatch.setenv("TENANTCTL_MAIL_IMPRINT", "Plattform GmbH | Musterstraße 1, 10115 Berlin | HRB 12345 B")
    data = ok("tenant", "update", "acme", "--mail-sender-name", "ACME Kundenservice",
              "--mail-reply-to", "Service@ACME.example", "--mail-signature", "ACME Reseller AG · +49 30 1234567")
    assert data["mail"] == {"sender_name": "ACME Kundenservice", "reply_to": "Service@acme.example",
                            "signature": "ACME Reseller AG · +49 30 1234567"}
    r = cli("tenant", "update", "mueller", "--mail-reply-to", "x@mueller.example", "--json")
    assert r.exit_code == 4 and "only a reseller has its own sender identity" in r.json()["error"]["message"]
    ok("password", "send-link", "max.mueller", "otto.other")
    by_to = {m["To"].addresses[0].addr_spec: m for m in read_eml(outbox_dir)}
    max_, otto = by_to["max@mueller.example"], by_to["otto@other.example"]
    assert max_["From"].addresses[0].display_name == "ACME Kundenservice"
    assert max_["From"].addresses[0].addr_spec == "noreply@platform.example"  # SPF/DKIM stay the platform's
    assert max_["Reply-To"] == "Service@acme.example"
    assert otto["Reply-To"] == "support@platform.example"  # beta set none: the platform's
    assert otto["From"].addresses[0].display_name == "Partnerportal im Auftrag von Beta Partner GmbH"
    for m in (max_, otto):
        assert m["Auto-Submitted"] == "auto-generated"
    text = max_.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Mit freundlichen Grüßen\nACME Kundenservice\nACME Reseller AG · +49 30 1234567\n" in text
    assert text.rstrip().endswith("-- \nPlattform GmbH\nMusterstraße 1, 10115 Berlin\nHRB 12345 B")
    html = max_.get_body(("html",)).get_content()
    assert '<p style="margin:0;">HRB 12345 B</p>' in html
    # clearing goes back to the platform's
    ok("tenant", "update", "acme", "--mail-sender-name", "", "--mail-reply-to", "")
    ok("password", "send-link", "max.mueller")
    last = read_eml(outbox_dir)[-1]
    assert last["From"].addresses[0].display_name == "Partnerportal im Auftrag von ACME Reseller AG"
    assert last["Reply-To"] == "support@platform.example"


def test_times_in_the_recipient_zone_one_format_per_language() -> None:
    from tenantctl.mail_templates.dates import format_datetime

    assert format_datetime("2026-12-07T17:33:00Z", "de") == "07.12.2026 um 18:33 Uhr (MEZ)"
    assert format_datetime("2026-07-07T17:33:00Z", "de") == "07.07.2026 um 19:33 Uhr (MESZ)"
    assert format_datetime("2026-12-07T17:33:00Z", "en") == "7 December 2026 at 18:33 (CET)"
    assert format_datetime("2026-12-07T17:33:00Z", "en", "America/New_York") == "7 December 2026 at 12:33 (EST)"
    for name in ("password_link_initial", "invitation_partner"):
        _, de, _ = mail_templates.render(name, "de", SAMPLES[name])
        _, en, _ = mail_templates.render(name, "en", SAMPLES[name])
        assert "14.03.2025 um 11:00 Uhr (MEZ)" in de and "14 March 2025 at 11:00 (CET)" in en
        assert "UTC" not in de + en


def test_preview_shows_the_same_dates(ok: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("TENANTCTL_TIME_ZONE", "Europe/London")
    assert "14.03.2025 um 10:00 Uhr (GMT)" in ok("mail", "preview", "invitation_member")["text"]


def test_unknown_time_zone_is_refused(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("TENANTCTL_TIME_ZONE", "Mars/Olympus")
    r = cli("config", "show", "--json")
    assert r.exit_code == 4 and "time_zone 'Mars/Olympus'" in r.json()["error"]["message"]


@pytest.mark.parametrize("lang", mail_templates.LANGUAGES)
def test_no_shell_commands_no_stray_br_one_layout_and_a_button(lang: str) -> None:
    for name in mail_templates.template_names():
        subject, text, html = mail_templates.render(name, lang, SAMPLES[name])
        assert "tenantctl" not in subject + text + html, name
        assert "<br" not in html, name
        assert "Plattform-Team" not in text and "platform team" not in text, name
        source = (mail_templates.PACKAGE_DIR / lang / f"{name}.html").read_text(encoding="utf-8")
        assert source.startswith(f'{{% extends "{lang}/_layout.html" %}}'), name
        if "link" in SAMPLES[name]:
            assert re.search(r'<td style="border-radius:4px;background:#0b4f8a;"><a href="https://platform\.example/',
                             html), name


def test_people_by_full_name_and_roles_in_words() -> None:
    _, text, _ = mail_templates.render("invitation_member", "de", {**SAMPLES["invitation_member"], "role": "billing"})
    assert "Rita Reseller lädt Sie ein, ACME Reseller AG beizutreten. Ihre Rolle: Abrechnung." in text
    _, text, _ = mail_templates.render("invitation_member", "en", SAMPLES["invitation_member"])
    assert "Rita Reseller invites you to join ACME Reseller AG. Your role: administrator." in text
    _, text, _ = mail_templates.render("invitation_partner", "de", SAMPLES["invitation_partner"])
    assert "Rita Reseller von ACME Reseller AG lädt Müller GmbH ein, als Kunde mit ACME Reseller AG" in text


def test_invitation_mail_names_the_inviter_by_full_name(world: Any, ok: Any, outbox_dir: Any) -> None:
    from mailhelpers import read_eml

    ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "neu@mueller.example",
       "--role", "member", "--send", as_="max.mueller")
    [mail] = read_eml(outbox_dir)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Max Müller lädt Sie ein, Müller & Söhne GmbH beizutreten. Ihre Rolle: Mitglied." in text
    assert "max.mueller" not in text
    assert mail["From"].addresses[0].display_name == "Partnerportal im Auftrag von ACME Reseller AG"
    assert re.search(r"ist bis \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr \(MES?Z\) gültig", text), text
