"""Every refusal of the store that can reach a page is said in the page's language (German and
English), next to the field it is about; the services' English one-liners never show, and nothing
is written (web/refusals.py)."""

from __future__ import annotations

from typing import Any

import pytest
from webhelpers import csrf_of, open_link, text_of

# words of the store's English one-liners and of the CLI's hints, which a page never shows
STORE_WORDS = ("must not", "control character", "invalid e-mail", "already belongs", "is reserved",
               "cannot derive", "non-ASCII", "tenantctl", "--")

# (case, form fields on top of a valid registration, field, status, German, English)
REGISTER = [
    ("organisation-control", {"organisation": "Firma\x1bGmbH"}, "organisation", 422,
     "Die Eingabe enthält Steuer- oder Textrichtungszeichen; bitte tippen Sie sie neu ein.",
     "This contains control or text-direction characters; please type it again."),
    ("organisation-too-long", {"organisation": "A" * 201}, "organisation", 422,
     "Das sind 201 Zeichen; erlaubt sind höchstens 200.",
     "This is 201 characters long; at most 200 are allowed."),
    ("first-name-direction-override", {"first_name": "Eva\u202eneu"}, "first_name", 422,
     "Die Eingabe enthält Steuer- oder Textrichtungszeichen; bitte tippen Sie sie neu ein.",
     "This contains control or text-direction characters; please type it again."),
    ("last-name-control", {"last_name": "Neu\x07"}, "last_name", 422,
     "Die Eingabe enthält Steuer- oder Textrichtungszeichen; bitte tippen Sie sie neu ein.",
     "This contains control or text-direction characters; please type it again."),
    ("email-invalid", {"email": "keine-adresse"}, "email", 422,
     "Das ist keine gültige E-Mail-Adresse.", "This is not a valid e-mail address."),
    ("email-non-ascii-local-part", {"email": "jürgen@firma.example"}, "email", 422,
     "Vor dem @ stehen Zeichen wie Umlaute, die viele Mailserver nicht zustellen können",
     "Before the @ are characters such as umlauts that many mail servers cannot deliver to"),
    ("email-of-an-existing-account", {"email": "rita@acme.example"}, "email", 409,
     "Zu dieser E-Mail-Adresse gibt es schon einen Zugang. Bitte melden Sie sich unten mit diesem Zugang an.",
     "This e-mail address already has an account. Please log in with it below."),
    ("reserved-login", {"first_name": "Admin", "last_name": "Root"}, "first_name", 422,
     "Dieser Name ergibt einen reservierten Benutzernamen (admin.root)",
     "This name makes a reserved login (admin.root)"),
    ("no-login-from-the-name", {"first_name": "!!!", "last_name": "???"}, "first_name", 422,
     "Aus Vor- und Nachname lässt sich kein Benutzername bilden",
     "No login can be made from this first and last name"),
]


def _invite(ctx_for: Any, **kw: Any) -> str:
    from tenantctl.store.services import invitations

    with ctx_for("rita.reseller") as ctx:
        return str(invitations.create(ctx, "partner", origin="acme", **kw)["token"])


def _field_error(page: str, field: str) -> str:
    import re

    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match, text_of(page)
    return text_of(match.group(1))


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("case", "fields", "field", "status", "german", "english"), REGISTER,
                         ids=[c[0] for c in REGISTER])
def test_registration_refusals_in_the_page_language(world: Any, client: Any, ctx_for: Any, rows: Any, lang: str,
                                                    case: str, fields: dict[str, str], field: str, status: int,
                                                    german: str, english: str) -> None:
    from tenantctl.store.models import Invitation, Tenant

    client.headers["Accept-Language"] = lang
    page = open_link(client, f"/invite/{_invite(ctx_for)}")
    data = {"csrf_token": csrf_of(page.text), "mode": "register", "organisation": "Neukunde GmbH",
            "first_name": "Eva", "last_name": "Neu", "email": "eva@neu.example", **fields}
    r = client.post("/invite", data=data)
    assert r.status_code == status, text_of(r.text)
    assert f'<html lang="{lang}">' in r.text
    shown = _field_error(r.text, field)
    assert shown.startswith(german if lang == "de" else english), shown
    assert not any(word in text_of(r.text) for word in STORE_WORDS), shown
    assert f'id="{field}" name="{field}"' in r.text and 'aria-invalid="true"' in r.text
    assert rows(Invitation)[0].uses == 0  # nothing written
    assert rows(Tenant, name="Neukunde GmbH") == []


def _with_password(ctx_for: Any, login: str, password: str) -> None:
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    with ctx_for() as ctx:
        link = passwords.issue_links(ctx, [get_user(ctx, login)], mail=False)[0]
        token = passwords.mint_now(ctx, [link])[link.id]
    with ctx_for() as ctx:
        passwords.redeem(ctx, token, password)


LOGIN = [
    # the inviter herself tries to accept
    ("own-invitation", "rita.reseller", {}, "login",
     "Sie haben diese Einladung selbst verschickt; annehmen kann sie nur die eingeladene Person.",
     "You sent this invitation yourself; only the invited person can accept it."),
    # Max administers a customer that is connected to ACME already
    ("already-connected", "max.mueller", {}, "login",
     "Ihre Organisation ist mit dieser Organisation schon verbunden.",
     "Your organisation is already connected with this organisation."),
    # a key Max does not administer
    ("not-admin-of-the-key", "max.mueller", {"tenant": "other"}, "tenant",
     "Sie verwalten keine Organisation mit diesem Kürzel.", "You administer no organisation with this key."),
    # Bert administers a reseller: a reseller cannot accept a reseller's partner invitation
    ("reseller-with-reseller", "bert.beta", {"tenant": "beta"}, "login",
     "Ihre Organisation kann diese Einladung nicht annehmen: verbunden werden immer ein Vertriebspartner und "
     "ein Kunde.",
     "Your organisation cannot accept this invitation: a partnership is always between a reseller and a "
     "customer."),
]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("case", "login", "fields", "field", "german", "english"), LOGIN, ids=[c[0] for c in LOGIN])
def test_login_acceptance_refusals_in_the_page_language(world: Any, client: Any, ctx_for: Any, rows: Any, lang: str,
                                                        case: str, login: str, fields: dict[str, str], field: str,
                                                        german: str, english: str) -> None:
    from tenantctl.store.models import Invitation

    password = "Regenschirm-Sonne-4711"
    _with_password(ctx_for, login, password)
    client.headers["Accept-Language"] = lang
    page = open_link(client, f"/invite/{_invite(ctx_for)}")
    r = client.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "login", "login": login,
                                     "password": password, **fields})
    assert r.status_code == 422, text_of(r.text)
    shown = _field_error(r.text, field)
    assert shown == (german if lang == "de" else english)
    assert rows(Invitation)[0].uses == 0


@pytest.mark.parametrize(("lang", "message"), [
    ("de", "Das Passwort enthält einen Teil Ihres Benutzernamens (mueller)."),
    ("en", "The password contains a part of your login (mueller)."),
])
def test_set_password_refusal_in_the_users_language(world: Any, client: Any, ctx_for: Any, password_token: Any,
                                                    lang: str, message: str) -> None:
    from tenantctl.store.services.users import get_user

    with ctx_for() as ctx:
        user = get_user(ctx, "max.mueller")
        user.language = lang
        ctx.session.add(user)
    page = open_link(client, f"/password/set?token={password_token('max.mueller')}")
    weak = "Sonnenblume-mueller-42"
    r = client.post("/password/set", data={"csrf_token": csrf_of(page.text), "password": weak,
                                           "password_confirm": weak})
    assert r.status_code == 422
    assert _field_error(r.text, "password") == message


@pytest.mark.parametrize(("lang", "sent", "empty"), [
    ("de", "Bitte sehen Sie in Ihr Postfach", "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein."),
    ("en", "Please check your inbox", "Please enter your login or your e-mail address."),
])
def test_forgot_password_answers_in_the_page_language(world: Any, client: Any, lang: str, sent: str,
                                                      empty: str) -> None:
    """Forgot password refuses nothing but an empty field: an address with control characters, a
    malformed or unknown one get the one "check your inbox" answer."""
    client.headers["Accept-Language"] = lang
    page = client.get("/password/forgot")
    for ident in ("max\x1b[31m.mueller", "keine@@adresse", "niemand@nirgends.example", "x" * 400):
        r = client.post("/password/forgot", data={"csrf_token": csrf_of(page.text), "ident": ident})
        assert r.status_code == 200 and sent in text_of(r.text), text_of(r.text)
    r = client.post("/password/forgot", data={"csrf_token": csrf_of(page.text), "ident": "  "})
    assert r.status_code == 422 and _field_error(r.text, "ident") == empty


@pytest.mark.parametrize(("lang", "message"), [
    ("de", "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet."),
    ("en", "The form has expired or was not sent from this page."),
])
def test_csrf_refusal_in_the_page_language(world: Any, client: Any, lang: str, message: str) -> None:
    client.headers["Accept-Language"] = lang
    r = client.post("/password/forgot", data={"ident": "max.mueller"})
    assert r.status_code == 403 and message in text_of(r.text) and "security token" not in r.text


def test_every_reason_the_store_gives_has_a_text_in_both_languages() -> None:
    """The reasons raised in store/ (details={"reason": …}) each have a German and an English text."""
    import re
    from pathlib import Path

    from tenantctl.web import i18n

    root = Path(__file__).resolve().parents[2]
    sources = [p.read_text(encoding="utf-8") for p in (root / "store").rglob("*.py")]
    sources.append((root / "web" / "pages" / "forms.py").read_text(encoding="utf-8"))
    reasons = {m for s in sources for m in re.findall(r'"reason": "([a-z_]+)"', s)} - {"invalid_token"}
    assert len(reasons) >= 20, reasons
    for lang in ("de", "en"):
        missing = sorted(r for r in reasons if f"refusal_{r}" not in i18n.TEXTS[lang])
        assert missing == [], (lang, missing)
