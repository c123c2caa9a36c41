"""The recipient's journey in a real browser: headless Chromium from the Debian packages, driven by
Playwright (never `playwright install`), against `tenantctl serve`'s app on a loopback port. The
links come out of the .eml files the outbox wrote. Screenshots of every page land in the test's
temporary folder (tmp_path/screenshots)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
GOOD = "Sonnenblume-Kaffeetasse-91"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium at /usr/bin/chromium: apt-get install -y "
                       "chromium chromium-driver (.ci/run installs it)"),
    pytest.mark.skipif(shutil.which("chromium") is None and not Path(CHROMIUM).exists(), reason="no chromium"),
]


def link_in_last_mail(outbox: Path, base: str) -> str:
    from mailhelpers import body_text, read_eml

    text = body_text(read_eml(outbox)[-1])
    match = re.search(re.escape(base) + r"/\S+", text)
    assert match, text
    return match.group(0)


def shot(page: Any, folder: Path, name: str) -> None:
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_password_link_from_a_mail_then_login_then_the_used_link(
        world: Any, ctx_for: Any, server: str, browser: Any, tmp_path: Path) -> None:
    import httpx
    from mailhelpers import read_eml

    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    outbox, shots = tmp_path / "home" / "outbox", tmp_path / "screenshots"
    with ctx_for() as ctx:
        passwords.issue_links(ctx, [get_user(ctx, "max.mueller")])
    link = link_in_last_mail(outbox, server)
    assert "/password/set?token=" in link
    mail = read_eml(outbox)[-1]
    page = browser.new_page(locale="de-DE")
    page.set_content(mail.get_body(("html",)).get_content())
    shot(page, shots, "00_mail_password_link")

    page.goto(link)
    page.wait_for_url(f"{server}/password/set")
    assert "token" not in page.url  # the token left the address bar
    assert page.evaluate("history.length") == 2  # and the back button: the forward replaced its entry
    assert page.locator("h1").inner_text() == "Passwort festlegen"
    assert page.locator("dl.facts").inner_text().startswith("Ihr Benutzername\nmax.mueller")
    shot(page, shots, "01_set_password")

    page.fill("#password", "Kurz-12")
    page.fill("#password_confirm", "Kurz-12")
    page.click("button[type=submit]")
    assert page.locator("#password-error").inner_text() == "Das Passwort hat 7 Zeichen; es braucht mindestens 12."
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    shot(page, shots, "02_weak_password")

    page.fill("#password", GOOD)
    page.fill("#password_confirm", GOOD)
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Ihr Passwort ist gespeichert"
    shot(page, shots, "03_password_saved")

    r = httpx.post(f"{server}/api/v1/auth/login", json={"login": "max.mueller", "password": GOOD})
    assert r.status_code == 200 and r.json()["data"]["login"] == "max.mueller"

    page.goto(link)  # the used link
    assert page.locator("h1").inner_text() == "Dieser Link ist nicht mehr gültig"
    shot(page, shots, "04_used_link")
    page.click("text=Neuen Link anfordern")
    page.wait_for_url(f"{server}/password/forgot")
    shot(page, shots, "05_forgot_password")
    page.fill("#ident", "max@mueller.example")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Bitte sehen Sie in Ihr Postfach"
    shot(page, shots, "06_forgot_password_sent")
    deadline = time.monotonic() + 5  # the mail is delivered after the response
    while len(list(outbox.glob("*.eml"))) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fresh = link_in_last_mail(outbox, server)
    assert fresh != link
    page.goto(fresh)
    page.wait_for_url(f"{server}/password/set")
    assert page.locator("h1").inner_text() == "Passwort festlegen"


def test_invitation_from_a_mail_registers_an_organisation(
        world: Any, ctx_for: Any, server: str, browser: Any, tmp_path: Path) -> None:
    from mailhelpers import read_eml

    from tenantctl.store.services import invitations

    outbox, shots = tmp_path / "home" / "outbox", tmp_path / "screenshots"
    with ctx_for("rita.reseller") as ctx:
        invitations.create(ctx, "partner", origin="acme", email="eva@neukunde.example",
                           customer_name="Neukunde GmbH", message="Wir freuen uns auf die Zusammenarbeit.\n"
                           "Viele Grüße, Rita", send=True)
    link = link_in_last_mail(outbox, server)
    page = browser.new_page(locale="de-DE")
    page.set_content(read_eml(outbox)[-1].get_body(("html",)).get_content())
    shot(page, shots, "07_mail_invitation")
    page.goto(link)
    page.wait_for_url(f"{server}/invite")
    assert page.locator("h1").inner_text() == "Einladung: ACME Reseller AG"
    shot(page, shots, "08_invitation")
    assert page.input_value("#organisation") == "Neukunde GmbH"
    # the invitation is for this address: shown, not editable
    assert page.input_value("#email") == "eva@neukunde.example" and page.locator("#email").is_editable() is False
    page.fill("#first_name", "Eva")
    page.fill("#last_name", "Neumann")
    # the link came by mail to her address: she chooses the password right here
    page.fill("#new_password", GOOD)
    page.fill("#new_password_confirm", GOOD)
    page.click("text=Einladung annehmen und registrieren")
    assert page.locator("h1").inner_text() == "Einladung angenommen"
    body = page.locator("main").inner_text()
    assert "Ihre Organisation Neukunde GmbH ist registriert." in body
    assert "Ihr Passwort ist gespeichert. Sobald die Registrierung freigegeben ist" in body
    assert "Der Betreiber der Plattform prüft die Registrierung von Neukunde GmbH." in body
    shot(page, shots, "09_invitation_accepted")
    page.goto(link)
    assert page.locator("h1").inner_text() == "Diese Einladung ist nicht mehr gültig"
    shot(page, shots, "10_invitation_used")
