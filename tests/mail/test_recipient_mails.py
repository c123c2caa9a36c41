"""What the recipient reads in a mail: a capital letter after the greeting, lines that do not run
into each other, a fallback link that never breaks inside "https://", the imprint and privacy
links in the footer, times in the recipient's tenant's time zone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tenantctl import mail_templates
from tenantctl.mail_templates.samples import SAMPLES

ALL = [(name, lang) for name in mail_templates.template_names() for lang in mail_templates.LANGUAGES]


@pytest.mark.parametrize("name", mail_templates.template_names())
def test_english_mails_start_with_a_capital_after_the_greeting(name: str) -> None:
    _, text, html = mail_templates.render(name, "en", SAMPLES[name])
    after = re.search(r"Hello[^\n]*,\n\n(?:{%[^\n]*\n)?(.)", text)
    assert after and not after.group(1).islower(), text
    first_p = re.findall(r"<p[^>]*>(.)", html)
    assert len(first_p) > 1 and not first_p[1].islower()


@pytest.mark.parametrize(("lang", "kind", "line"), [("de", "customer", "Art: Kunde"),
                                                     ("de", "reseller", "Art: Vertriebspartner"),
                                                     ("en", "customer", "Kind: customer")])
def test_registration_request_lines_stay_apart(lang: str, kind: str, line: str) -> None:
    _, text, _ = mail_templates.render("registration_requested", lang,
                                       {**SAMPLES["registration_requested"], "tenant_kind": kind})
    assert f"\n{line}\n" in text, text


def test_a_partner_acceptance_mail_keeps_its_paragraphs() -> None:
    _, text, _ = mail_templates.render("invitation_accepted", "en", {**SAMPLES["invitation_accepted"],
                                                                     "kind": "partner"})
    assert "connections in the administration.\n\n" in text, text


@pytest.mark.parametrize(("name", "lang"), [(n, lang) for n, lang in ALL if "link" in SAMPLES[n]])
def test_the_fallback_link_breaks_only_at_safe_points(name: str, lang: str) -> None:
    link = "https://portal.example.com/password/set?token=17.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG"
    _, text, html = mail_templates.render(name, lang, {**SAMPLES[name], "link": link})
    assert f"\n{link}\n" in text  # alone on its line in the text part
    shown = re.search(r'<a href="([^"]+)" style="color:#0b4f8a;">(.*?)</a>', html)
    assert shown and shown.group(1) == link
    assert shown.group(2).replace("<wbr>", "") == link  # copies as the link itself
    assert shown.group(2).startswith("https://portal.<wbr>")  # never "htt p://"
    assert "break-all" not in html


def test_breakable_escapes() -> None:
    assert str(mail_templates.breakable('https://a.example/x?y=<b>&z')) == \
        "https://a.<wbr>example/<wbr>x?<wbr>y=<wbr>&lt;b&gt;&amp;<wbr>z"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_footer_links_imprint_and_privacy(lang: str) -> None:
    context = {**SAMPLES["password_link_initial"], "imprint_url": "https://acme.example/impressum",
               "privacy_url": "https://acme.example/datenschutz"}
    _, text, html = mail_templates.render("password_link_initial", lang, context)
    imprint, privacy = ("Impressum", "Datenschutz") if lang == "de" else ("Imprint", "Privacy")
    assert f"{imprint}: https://acme.example/impressum\n{privacy}: https://acme.example/datenschutz\n" in text
    assert f'<a href="https://acme.example/impressum" style="color:#4a525c;">{imprint}</a>' in html
    assert f'<a href="https://acme.example/datenschutz" style="color:#4a525c;">{privacy}</a>' in html
    _, text, html = mail_templates.render("password_link_initial", lang, SAMPLES["password_link_initial"])
    assert imprint not in text and "acme.example/impressum" not in html


def test_delivered_mails_carry_the_settings_links_and_the_tenants_time_zone(
        world: Any, ctx_for: Any, cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailhelpers import body_text, read_eml

    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    monkeypatch.setenv("TENANTCTL_IMPRINT_URL", "https://platform.example/impressum")
    monkeypatch.setenv("TENANTCTL_PRIVACY_URL", "https://platform.example/datenschutz")
    r = cli("tenant", "update", "mueller", "--time-zone", "Europe/London", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["time_zone"] == "Europe/London"
    assert r.json()["data"]["changed"]["time_zone"] == [None, "Europe/London"]
    with ctx_for() as ctx:
        passwords.issue_links(ctx, [get_user(ctx, "max.mueller"), get_user(ctx, "rita.reseller")])
    mails = {m["To"].addresses[0].addr_spec: body_text(m) for m in read_eml(tmp_path / "home" / "outbox")}
    london, berlin = mails["max@mueller.example"], mails["rita@acme.example"]
    assert re.search(r"Uhr \((GMT|BST)\)", london), london
    assert re.search(r"Uhr \((MEZ|MESZ)\)", berlin), berlin
    assert "Impressum: https://platform.example/impressum" in london
    assert "Datenschutz: https://platform.example/datenschutz" in berlin
    # '' gives the platform's zone back; an unknown zone is refused with the fix
    r = cli("tenant", "update", "mueller", "--time-zone", "Mars/Olympus")
    assert r.exit_code == 4 and "'Mars/Olympus' is not a known time zone" in r.stderr
    assert "Europe/London" in r.stderr  # the hint names the form
    r = cli("tenant", "update", "mueller", "--time-zone", "", "--json")
    assert r.exit_code == 0 and "time_zone" not in r.json()["data"]


@pytest.mark.parametrize("part", [1, 2])
def test_a_name_ending_with_a_period_ends_the_sentence_once(part: int) -> None:
    context = {**SAMPLES["connection_approved"], "customer_name": "Blumenhaus Sonnenschein e.K.",
               "reseller_name": "ACME Reseller AG"}
    body = mail_templates.render("connection_approved", "en", context)[part]
    assert "e.K.." not in body
    assert "Blumenhaus Sonnenschein e.K. You can now order through ACME Reseller AG." in body
