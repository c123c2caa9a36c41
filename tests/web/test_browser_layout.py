"""Every page in a real browser at 1280 and 375 px, in German and English: a screenshot of each
(tmp_path/screenshots), nothing wider than the viewport (long logins and addresses wrap), and
axe-core's WCAG checks with zero violations (axe.min.js from the npm package axe-core, injected by
Playwright; the test is skipped without it: `npm install -g axe-core`, as .ci/run does)."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
GOOD = "Sonnenblume-Kaffeetasse-91"
WIDTHS = (1280, 375)
LONG = {"first": "Maximilian-Alexander", "last": "Müller-Lüdenscheidt-Wolfenbüttel",
        "email": "maximilian-alexander.mueller-luedenscheidt@kundenverwaltung-sonnenschein.example"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium at /usr/bin/chromium: apt-get install -y "
                       "chromium (.ci/run installs it)"),
]


@cache
def axe_source() -> str | None:
    """axe.min.js: $AXE_CORE_JS, else the global npm package."""
    named = os.environ.get("AXE_CORE_JS")
    candidates = [Path(named)] if named else []
    npm = shutil.which("npm")
    if npm:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(Path(root) / "axe-core" / "axe.min.js")
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


@pytest.fixture
def legal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTCTL_IMPRINT_URL", "https://platform.example/impressum")
    monkeypatch.setenv("TENANTCTL_PRIVACY_URL", "https://platform.example/datenschutz")
    monkeypatch.setenv("TENANTCTL_LOGIN_URL", "https://platform.example/login")


def check(page: Any, shots: Path, name: str) -> list[str]:
    """Screenshot; the problems of this page: sideways scrolling and axe violations."""
    shots.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(shots / f"{name}_{width}.png"), full_page=True)
    problems = []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{name} at {width} px is {scroll} px wide")
    source = axe_source()
    if source is not None:
        page.add_script_tag(content=source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        problems += [f"{name} at {width} px: axe {v['id']}: {v['help']} ({len(v['nodes'])}×)"
                     for v in result["violations"]]
    return problems


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_viewport_and_passes_axe(
        lang: str, width: int, world: Any, ctx_for: Any, legal_env: None, server: str, browser: Any,
        tmp_path: Path) -> None:
    from tenantctl.store.services import invitations, passwords, users
    from tenantctl.store.services.users import get_user

    shots = tmp_path / "screenshots"
    problems: list[str] = []
    with ctx_for() as ctx:
        users.create_user(ctx, "mueller", LONG["first"], LONG["last"], LONG["email"])
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True,
                                  locale="de-DE" if lang == "de" else "en-GB")
    page = context.new_page()
    q = f"?lang={lang}"
    for path, name in (("/", "home"), ("/password/forgot", "forgot"), ("/nowhere", "not_found"),
                       ("/password/set", "link_invalid")):
        page.goto(server + path + q)
        problems += check(page, shots, f"{lang}_{name}")
    # a password link of the person with the long login and address
    with ctx_for() as ctx:
        link = passwords.issue_links(ctx, [get_user(ctx, LONG["email"])], mail=False)[0]
        token = passwords.mint_now(ctx, [link])[link.id]
    page.goto(f"{server}/password/set?token={token}")
    page.wait_for_url(f"{server}/password/set")
    page.goto(server + "/password/set" + q)
    problems += check(page, shots, f"{lang}_set_password")
    page.fill("#password", "kurz")
    page.fill("#password_confirm", "kurz")
    page.click("button[type=submit]")
    problems += check(page, shots, f"{lang}_set_password_error")
    page.fill("#password", GOOD + lang + str(width))
    page.fill("#password_confirm", GOOD + lang + str(width))
    page.click("button[type=submit]")
    assert page.locator(".button").inner_text() in ("Zur Anmeldung", "Go to login")
    problems += check(page, shots, f"{lang}_password_saved")
    # a member invitation mailed to a newcomer with a long address: the password on the page
    with ctx_for("max.mueller") as ctx:
        inv = invitations.create(ctx, "member", origin="mueller", role="billing",
                                 email=f"{lang}{width}.{LONG['email']}", message="Willkommen im Team!")
    with ctx_for() as ctx:  # as the mail would carry it
        from sqlmodel import select

        from tenantctl.store.models import Invitation

        row = ctx.session.exec(select(Invitation).where(Invitation.id == inv["id"])).one()
        minted = invitations.mint_for_mail(ctx.session, row.id, ctx.settings)
    assert minted is not None
    page.goto(minted["link"])
    page.wait_for_url(f"{server}/invite")
    page.goto(server + "/invite" + q)
    assert page.locator("#new_password").count() == 1
    problems += check(page, shots, f"{lang}_invitation")
    page.fill("#first_name", "Nina")
    page.fill("#last_name", LONG["last"])
    page.fill("#new_password", "kurz")
    page.fill("#new_password_confirm", "kurz")
    page.click("form:has(#new_password) button[type=submit]")
    problems += check(page, shots, f"{lang}_invitation_error")
    page.fill("#new_password", GOOD)
    page.fill("#new_password_confirm", GOOD)
    page.click("form:has(#new_password) button[type=submit]")
    assert page.locator("h1").inner_text() in ("Einladung angenommen", "Invitation accepted")
    problems += check(page, shots, f"{lang}_invitation_accepted")
    context.close()
    assert problems == []
    assert len(list(shots.glob("*.png"))) == 10


@pytest.mark.parametrize("lang", ["de", "en"])
def test_mails_with_a_link_fit_a_phone(lang: str, browser: Any, tmp_path: Path) -> None:
    """The HTML part of every mail with a link at 375 px: nothing scrolls sideways, and the address
    under the button is shown whole (it wraps only at its safe points)."""
    from tenantctl import mail_templates
    from tenantctl.mail_templates.samples import SAMPLES

    shots = tmp_path / "screenshots"
    link = "https://portal.kundenverwaltung-sonnenschein.example/password/set?token=1234.AbCdEfGhIjKlMnOpQrStUv" \
           "WxYz0123456789-_AbCdEfG"
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    for name in mail_templates.template_names():
        if "link" not in SAMPLES[name]:
            continue
        sample = {**SAMPLES[name], "link": link, "imprint_url": "https://platform.example/impressum",
                  "privacy_url": "https://platform.example/datenschutz"}
        _, _, html = mail_templates.render(name, lang, sample)
        page.set_content(html)
        shots.mkdir(exist_ok=True)
        page.screenshot(path=str(shots / f"mail_{lang}_{name}_375.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > 375:
            problems.append(f"{name}: {scroll} px wide")
        shown = page.locator(f'p > a[href="{link}"]').inner_text()
        assert shown.replace("\n", "") == link
        assert "https://portal." in shown.splitlines()[0]
    context.close()
    assert problems == []
