"""Every template in every language: escaped in HTML, literal in text; overrides; preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantctl import mail_templates
from tenantctl.mail_templates.samples import SAMPLES

NASTY = '<b>&"'
ALL = [(name, lang) for name in mail_templates.template_names() for lang in mail_templates.LANGUAGES]


def test_every_template_has_every_part_and_a_sample():
    names = mail_templates.template_names()
    assert {"password_link_initial", "password_link_reset", "test"} <= set(names)
    for name in names:
        assert name in SAMPLES, f"add sample data for {name} to mail_templates/samples.py"
        for lang in mail_templates.LANGUAGES:
            for part in mail_templates.PARTS:
                assert (mail_templates.PACKAGE_DIR / lang / f"{name}.{part}").is_file(), (name, lang, part)


@pytest.mark.parametrize(("name", "lang"), ALL)
def test_escaped_in_html_and_literal_in_text(name, lang):
    context = {k: (f"{v} {NASTY}" if isinstance(v, str) else v) for k, v in SAMPLES[name].items()}
    subject, text, html = mail_templates.render(name, lang, context)
    for key, value in context.items():
        if not isinstance(value, str) or key == "reseller_name":
            continue
        if value in text or value in subject:
            break
    else:
        pytest.fail("no sample value appears in the text part")
    assert NASTY in text
    assert NASTY not in html
    assert "&lt;b&gt;&amp;&#34;" in html
    assert "\n" not in subject


@pytest.mark.parametrize(("name", "lang"), ALL)
def test_unknown_variable_is_an_error(name, lang):
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.mail.templates import render

    context = dict(SAMPLES[name])
    context.pop(next(iter(context)))
    with pytest.raises(mail_templates.TemplateError) as raw:
        mail_templates.render(name, lang, context)
    assert not raw.value.missing
    with pytest.raises(InvalidInput) as err:  # as the store and the CLI see it
        render(name, lang, context)
    assert "unknown variable" in err.value.message and f"{lang}/{name}." in err.value.message


def test_german_is_formal():
    for name in mail_templates.template_names():
        _, text, _ = mail_templates.render(name, "de", SAMPLES[name])
        words = set(text.replace(",", " ").replace(".", " ").split())
        assert not words & {"du", "Du", "dein", "Dein", "dich", "dir"}
    _, text, _ = mail_templates.render("password_link_initial", "de", SAMPLES["password_link_initial"])
    assert "Sie" in text and "Ihr" in text


def _override(tmp_path: Path, body: str, part: str = "subject.txt") -> Path:
    folder = tmp_path / "overrides"
    (folder / "de").mkdir(parents=True)
    (folder / "de" / f"password_link_initial.{part}").write_text(body)
    return folder


def test_override_from_templates_dir(tmp_path, ok, monkeypatch):
    folder = _override(tmp_path, "Hallo {{ recipient_name }} von {{ platform_name }}\n")
    monkeypatch.setenv("TENANTCTL_TEMPLATES_DIR", str(folder))
    data = ok("mail", "preview", "password_link_initial", "--lang", "de")
    assert data["subject"] == "Hallo Max Müller von Partnerportal"
    assert "Passwort festlegen" in data["html"]  # the other parts come from the package
    assert ok("mail", "preview", "password_link_initial", "--lang", "en")["subject"].startswith("Your account for")


def test_override_with_syntax_error_names_file_and_line(tmp_path, cli, monkeypatch):
    folder = _override(tmp_path, "Hallo\n\n{{ recipient_name \n", part="txt")
    monkeypatch.setenv("TENANTCTL_TEMPLATES_DIR", str(folder))
    r = cli("mail", "preview", "password_link_initial", "--json")
    assert r.exit_code == 4
    msg = r.json()["error"]["message"]
    assert f"{folder}/de/password_link_initial.txt:3" in msg and "syntax error" in msg


def test_override_with_unknown_variable_names_file_and_line(tmp_path, cli, monkeypatch):
    folder = _override(tmp_path, "Hallo {{ recipient_name }}\nIhr Rabatt: {{ discount }}\n", part="txt")
    monkeypatch.setenv("TENANTCTL_TEMPLATES_DIR", str(folder))
    r = cli("mail", "preview", "password_link_initial", "--json")
    assert r.exit_code == 4
    msg = r.json()["error"]["message"]
    assert f"{folder}/de/password_link_initial.txt:2" in msg and "'discount' is undefined" in msg


def test_broken_override_stops_delivery_and_keeps_mails_queued(world, ok, cli, tmp_path, monkeypatch, store):
    from sqlmodel import select

    from tenantctl.store.models import OutboxMail, PasswordLink

    ok("password", "send-link", "max.mueller", "--no-send")
    monkeypatch.setenv("TENANTCTL_TEMPLATES_DIR", str(_override(tmp_path, "{{ nope }}\n", part="html")))
    r = cli("mail", "send", "--json")
    assert r.exit_code == 4 and "password_link_initial.html:1" in r.json()["error"]["message"]
    with store.transaction(write=False) as s:
        assert [m.state for m in s.exec(select(OutboxMail))] == ["queued"]
        assert [p.token_hash for p in s.exec(select(PasswordLink))] == [None]


def test_preview_human_and_unknown(ok, cli):
    r = cli("mail", "preview", "password_link_reset", "--lang", "en")
    assert r.exit_code == 0 and "Subject: New password for your account max.mueller" in r.stdout
    assert '<a href="https://platform.example/password/set?token=42.SAMPLE-TOKEN" style=' in r.stdout
    r = cli("mail", "preview", "nope", "--json")
    assert r.exit_code == 4 and "password_link_initial" in r.json()["error"]["hint"]
    r = cli("mail", "preview", "test", "--lang", "fr")
    assert r.exit_code == 2


def test_language_and_sender_from_user_tenant_reseller(world, ok, cli, outbox_dir):
    from mailhelpers import read_eml

    from tenantctl.store.services.passwords import pick_language

    assert pick_language("en", "de", "de") == "en"
    assert pick_language(None, "en", "de") == "en"
    assert pick_language("xx", None, "en") == "en"
    ok("user", "update", "otto.other", "--language", "en")
    ok("password", "send-link", "max.mueller", "otto.other", "olga.peters")
    by_to = {m["To"].addresses[0].addr_spec: m for m in read_eml(outbox_dir)}
    de, en, op = by_to["max@mueller.example"], by_to["otto@other.example"], by_to["ops@example.com"]
    assert de["Subject"] == "Ihr Zugang für Müller & Söhne GmbH: Bitte legen Sie Ihr Passwort fest"
    assert en["Subject"] == "Your account for Other Customer KG: please choose your password"
    assert de["From"].addresses[0].display_name == "Partnerportal im Auftrag von ACME Reseller AG"
    assert en["From"].addresses[0].display_name == "Partnerportal on behalf of Beta Partner GmbH"
    assert op["From"].addresses[0].display_name == "Partnerportal"
    assert de["From"].addresses[0].addr_spec == "noreply@platform.example"
    assert "Müller & Söhne GmbH" in de.get_body(("plain",)).get_content()
    assert "Müller &amp; Söhne GmbH" in de.get_body(("html",)).get_content()
