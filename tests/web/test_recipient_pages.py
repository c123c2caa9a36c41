"""What the recipient of a mail meets on the pages: the footer's imprint and privacy links, the
next step after a password is saved or an invitation accepted, a newcomer choosing the password
while accepting a mailed invitation (and nobody else being able to), the current password refused
as the new one, the chosen language kept for the expiry, the wording (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from webhelpers import csrf_of, open_link, text_of

GOOD = "Sonnenblume-Kaffeetasse-91"
LEGAL = {"imprint_url": "https://acme.example/impressum", "privacy_url": "https://acme.example/datenschutz",
         "login_url": "https://portal.acme.example/login"}


@pytest.fixture
def legal_client(web_settings: Any, make_client: Any) -> Any:
    web_settings.values.update(LEGAL)
    return make_client()


def mailed_link(outbox: Any, path: str) -> str:
    from mailhelpers import body_text

    text = body_text(outbox()[-1])
    match = re.search(r"http://testserver(" + re.escape(path) + r"\S+)", text)
    assert match, text
    return match.group(1)


def send_invitation(ctx_for: Any, as_: str, kind: str, origin: str, **kw: Any) -> dict[str, Any]:
    from tenantctl.store.services import invitations

    with ctx_for(as_) as ctx:
        return dict(invitations.create(ctx, kind, origin=origin, **kw))


def test_every_page_links_imprint_and_privacy_and_has_a_favicon(legal_client: Any) -> None:
    for path in ("/", "/password/forgot", "/password/set", "/invite", "/nowhere"):
        page = legal_client.get(path).text
        assert '<a href="https://acme.example/impressum">Impressum</a>' in page, path
        assert '<a href="https://acme.example/datenschutz">Datenschutz</a>' in page, path
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page, path
    english = legal_client.get("/?lang=en").text
    assert ">Imprint</a>" in english and ">Privacy</a>" in english
    icon = legal_client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_without_the_settings_no_footer_and_doctor_warns(client: Any, cli: Any, db_url: str,
                                                         monkeypatch: Any) -> None:
    assert "<footer" not in client.get("/").text
    checks = {c["check"]: c for c in cli("doctor", "--json").json()["data"]["checks"]}
    assert checks["imprint_url"] == {"check": "imprint_url", "ok": True, "warning": True, "detail":
                                     "not set: the pages and mails link no imprint; set imprint_url to its address"}
    assert checks["privacy_url"]["warning"] is True
    monkeypatch.setenv("TENANTCTL_IMPRINT_URL", "https://acme.example/impressum")
    monkeypatch.setenv("TENANTCTL_PRIVACY_URL", "https://acme.example/datenschutz")
    checks = {c["check"]: c for c in cli("doctor", "--json").json()["data"]["checks"]}
    assert checks["imprint_url"] == {"check": "imprint_url", "ok": True, "detail": "https://acme.example/impressum"}
    assert "warning" not in checks["privacy_url"]
    monkeypatch.setenv("TENANTCTL_LOGIN_URL", "portal.acme.example/login")
    r = cli("doctor", "--json")
    assert r.exit_code != 0
    assert "setting login_url='portal.acme.example/login' (environment) is not a web address" in r.stderr + r.stdout


def test_password_saved_leads_to_the_login_and_the_expiry_follows_the_language_switch(
        backend: str, world: Any, legal_client: Any, password_token: Any) -> None:
    token = password_token("max.mueller")
    legal_client.get(f"/password/set?token={token}")
    german = text_of(legal_client.get("/password/set").text)
    assert re.search(r"Dieser Link gilt bis \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr \(MES?Z\)", german)
    page = legal_client.get("/password/set?lang=en").text
    english = text_of(page)
    assert re.search(r"This link is valid until \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d \(CES?T\)", english), english
    assert "Uhr" not in english
    assert 'action="/password/set?lang=en"' in page  # the answer stays English
    done = legal_client.post("/password/set?lang=en", data={"csrf_token": csrf_of(page), "password": GOOD,
                                                            "password_confirm": GOOD})
    assert done.status_code == 200
    assert "Your password is saved" in done.text
    assert '<a class="button" href="https://portal.acme.example/login">Go to login</a>' in done.text


def test_the_current_password_is_refused_as_the_new_one(backend: str, world: Any, client: Any,
                                                        password_token: Any, cli: Any) -> None:
    for round_ in range(2):
        token = password_token("max.mueller")
        client.get(f"/password/set?token={token}")
        form = client.get("/password/set").text
        r = client.post("/password/set", data={"csrf_token": csrf_of(form), "password": GOOD,
                                               "password_confirm": GOOD})
        if round_ == 0:
            assert r.status_code == 200
    assert r.status_code == 422
    assert ('<p class="field-error" id="password-error">Das ist Ihr bisheriges Passwort; bitte wählen Sie ein '
            'neues.</p>') in r.text
    # the link is still open: a different password is taken
    r = client.post("/password/set", data={"csrf_token": csrf_of(r.text), "password": GOOD + "x",
                                           "password_confirm": GOOD + "x"})
    assert r.status_code == 200
    # the CLI says the same
    token = password_token("max.mueller")
    r = cli("password", "set", "--password-stdin", input=f"{token}\n{GOOD}x\n")
    assert r.exit_code == 4, r.stderr
    assert "the new password is the current password" in r.stderr and "Traceback" not in r.stderr


def test_a_newcomer_chooses_the_password_on_a_mailed_member_invitation_and_logs_in(
        backend: str, world: Any, legal_client: Any, ctx_for: Any, outbox: Any, rows: Any) -> None:
    from tenantctl.store.models import AuditEvent, PasswordLink, User

    send_invitation(ctx_for, "max.mueller", "member", "mueller", email="nina@mueller.example", role="member",
                    send=True)
    path = mailed_link(outbox, "/invite/")
    mails_before = len(outbox())
    page = open_link(legal_client, path)
    text = text_of(page.text)
    assert "Geben Sie Ihren Namen an und legen Sie Ihr Passwort fest." in text
    assert 'id="new_password"' in page.text and 'autocomplete="new-password"' in page.text
    assert "Kürzel" not in text  # the member form asks for no internal key
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in page.text  # under the existing-account form
    csrf = csrf_of(page.text)
    base = {"csrf_token": csrf, "mode": "register", "first_name": "Nina", "last_name": "Neu"}
    r = legal_client.post("/invite", data={**base, "new_password": GOOD, "new_password_confirm": GOOD + "!"})
    assert r.status_code == 422 and 'id="new_password_confirm-error">Die beiden Eingaben stimmen nicht' in r.text
    r = legal_client.post("/invite", data={**base, "new_password": "kurz", "new_password_confirm": "kurz"})
    assert r.status_code == 422
    assert 'id="new_password-error">Das Passwort hat 4 Zeichen; es braucht mindestens 12.</p>' in r.text
    assert rows(User, email="nina@mueller.example") == []  # nothing written by a refusal
    r = legal_client.post("/invite", data={**base, "new_password": GOOD, "new_password_confirm": GOOD})
    assert r.status_code == 200, text_of(r.text)
    done = text_of(r.text)
    assert "Sie können sich jetzt mit Ihrem Benutzernamen nina.neu und Ihrem Passwort anmelden." in done
    assert "Wir haben Ihnen eine E-Mail" not in done
    assert '<a class="button" href="https://portal.acme.example/login">Zur Anmeldung</a>' in r.text
    [nina] = rows(User, email="nina@mueller.example")
    assert nina.status == "active" and nina.password_hash and GOOD not in nina.password_hash
    assert rows(PasswordLink, user_id=nina.id) == []  # no second mail: no link at all
    assert [m["To"].addresses[0].addr_spec for m in outbox()[mails_before:]] == ["max@mueller.example"]  # accepted
    assert [e.actor for e in rows(AuditEvent, action="password.set", object_key="nina.neu")] == ["web"]
    login = legal_client.post("/api/v1/auth/login", json={"login": "nina.neu", "password": GOOD})
    assert login.status_code == 200 and login.json()["data"]["login"] == "nina.neu"
    again = legal_client.get(path)  # single use
    assert again.status_code == 410


def test_a_printed_invitation_sends_the_password_link_and_a_forged_password_is_not_taken(
        backend: str, world: Any, client: Any, ctx_for: Any, outbox: Any, rows: Any) -> None:
    """The inviter holds a printed link: whoever opens it registers, but the password is set only
    through the link mailed to the invited address."""
    from tenantctl.store.models import PasswordLink, User

    token = send_invitation(ctx_for, "max.mueller", "member", "mueller", email="nina@mueller.example",
                            role="member")["token"]
    page = open_link(client, f"/invite/{token}")
    assert 'id="new_password"' not in page.text
    assert "Danach erhalten Sie eine E-Mail mit einem Link" in text_of(page.text)
    r = client.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "register", "first_name": "Nina",
                                     "last_name": "Neu", "new_password": GOOD, "new_password_confirm": GOOD})
    assert r.status_code == 200
    [nina] = rows(User, email="nina@mueller.example")
    assert nina.password_hash is None and nina.status == "invited"
    assert len(rows(PasswordLink, user_id=nina.id)) == 1
    assert "nina@mueller.example" in [m["To"].addresses[0].addr_spec for m in outbox()]


def test_the_service_refuses_a_password_for_a_printed_link_or_an_existing_account(
        backend: str, world: Any, ctx_for: Any, rows: Any) -> None:
    from tenantctl.store.errors import PermissionDenied
    from tenantctl.store.models import Invitation
    from tenantctl.store.services import invitations

    token = send_invitation(ctx_for, "max.mueller", "member", "mueller", email="nina@mueller.example",
                            role="member")["token"]
    with pytest.raises(PermissionDenied) as err, ctx_for() as ctx:
        invitations.accept(ctx, token, first_name="Nina", last_name="Neu", password=GOOD)
    assert err.value.details["reason"] == "password_not_here"
    rita = send_invitation(ctx_for, "max.mueller", "member", "mueller", email="rita@acme.example", role="billing")
    with pytest.raises(PermissionDenied), ctx_for("rita.reseller") as ctx:
        invitations.accept(ctx, rita["token"], password=GOOD)
    assert [i.uses for i in rows(Invitation)] == [0, 0]  # nothing used by a refusal


def test_invitation_wording_the_inviters_organisation_one_period_and_no_connected_before_accreditation(
        backend: str, world: Any, client: Any, ctx_for: Any, outbox: Any) -> None:
    from tenantctl.store.services import tenants

    with ctx_for() as ctx:
        tenants.create_tenant(ctx, "Blumenhaus Sonnenschein e.K.", "customer", reseller="acme", key="blumen")
    # a reseller's admin invites a person into its customer: shown under the reseller, one period
    token = send_invitation(ctx_for, "rita.reseller", "member", "blumen", email="ida@blumen.example",
                            role="member")["token"]
    text = text_of(open_link(client, f"/invite/{token}").text)
    assert "Rita Reseller lädt Sie ein, Blumenhaus Sonnenschein e.K. beizutreten." in text
    assert "e.K.." not in text
    assert "Eingeladen von Rita Reseller, ACME Reseller AG" in text
    # a new customer registering: asks for accreditation, is not "connected" yet
    token = send_invitation(ctx_for, "rita.reseller", "partner", "acme", email="eva@neu.example",
                            customer_name="Neukunde GmbH")["token"]
    page = open_link(client, f"/invite/{token}")
    assert "Kürzel" not in text_of(page.text)
    r = client.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "register",
                                     "organisation": "Neukunde GmbH", "first_name": "Eva", "last_name": "Neu",
                                     "email": "eva@neu.example"})
    done = text_of(r.text)
    assert "Neukunde GmbH hat die Zusammenarbeit mit ACME Reseller AG angefragt." in done
    assert "jetzt verbunden" not in done



def test_a_new_organisation_chooses_the_password_and_logs_in_once_approved(
        backend: str, world: Any, legal_client: Any, ctx_for: Any, outbox: Any, rows: Any) -> None:
    from tenantctl.store.models import PasswordLink, Tenant, User
    from tenantctl.store.services import registrations

    send_invitation(ctx_for, "rita.reseller", "partner", "acme", email="eva@neu.example",
                    customer_name="Neukunde GmbH", send=True)
    page = open_link(legal_client, mailed_link(outbox, "/invite/"))
    assert "Registrieren Sie Ihre Organisation und legen Sie Ihr Passwort fest." in text_of(page.text)
    r = legal_client.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "register",
                                           "organisation": "Neukunde GmbH", "first_name": "Eva", "last_name": "Neu",
                                           "email": "eva@neu.example", "new_password": GOOD,
                                           "new_password_confirm": GOOD})
    assert r.status_code == 200, text_of(r.text)
    done = text_of(r.text)
    assert ("Ihr Passwort ist gespeichert. Sobald die Registrierung freigegeben ist, melden Sie sich mit Ihrem "
            "Benutzernamen eva.neu und diesem Passwort an.") in done
    assert "Zur Anmeldung" not in done  # nothing to log in to before the approval
    [eva] = rows(User, email="eva@neu.example")
    assert eva.password_hash and rows(PasswordLink, user_id=eva.id) == []
    assert legal_client.post("/api/v1/auth/login", json={"login": "eva.neu", "password": GOOD}).status_code == 401
    [tenant] = rows(Tenant, name="Neukunde GmbH")
    with ctx_for() as ctx:
        registrations.approve(ctx, tenant.key)
    assert legal_client.post("/api/v1/auth/login", json={"login": "eva.neu", "password": GOOD}).status_code == 200


def test_the_organisation_is_asked_only_of_an_admin_of_several(
        backend: str, world: Any, client: Any, ctx_for: Any, password_token: Any, rows: Any) -> None:
    from tenantctl.store.models import Connection, Tenant
    from tenantctl.store.services import memberships, passwords, tenants

    with ctx_for() as ctx:
        tenants.create_tenant(ctx, "Zweite Firma GmbH", "customer", key="zweite")
        memberships.add_member(ctx, "otto@other.example", "zweite", role="admin")
    with ctx_for() as ctx:
        passwords.redeem(ctx, password_token("otto.other"), GOOD)
    token = send_invitation(ctx_for, "rita.reseller", "partner", "acme", email="otto@other.example")["token"]
    page = open_link(client, f"/invite/{token}")
    assert 'id="tenant"' not in page.text and "Kürzel" not in text_of(page.text)
    login = {"csrf_token": csrf_of(page.text), "mode": "login", "login": "otto.other", "password": GOOD}
    r = client.post("/invite", data=login)
    assert r.status_code == 422
    assert '<label for="tenant">Welche Ihrer Organisationen?</label>' in r.text
    assert ("Sie verwalten mehrere passende Organisationen (other, zweite); bitte geben Sie das Kürzel der "
            "gewünschten an.") in text_of(r.text)
    r = client.post("/invite", data={**login, "tenant": "zweite"})
    assert r.status_code == 200, text_of(r.text)
    [zweite] = rows(Tenant, key="zweite")
    assert [c.state for c in rows(Connection, customer_id=zweite.id)] == ["requested"]


def test_the_pages_show_times_in_the_tenants_own_zone(backend: str, world: Any, client: Any, ctx_for: Any,
                                                       password_token: Any) -> None:
    from tenantctl.store.services import tenants

    with ctx_for() as ctx:
        tenants.update_tenant(ctx, "mueller", time_zone="Europe/London")
    client.get(f"/password/set?token={password_token('max.mueller')}")
    assert re.search(r"Dieser Link gilt bis [\d.]+ um \d\d:\d\d Uhr \((GMT|BST)\)", text_of(client.get(
        "/password/set").text))
    client.get(f"/password/set?token={password_token('rita.reseller')}")  # acme keeps the platform's zone
    assert re.search(r"Uhr \((MEZ|MESZ)\)", text_of(client.get("/password/set").text))
    token = send_invitation(ctx_for, "max.mueller", "member", "mueller", email="nina@mueller.example",
                            role="member")["token"]
    assert re.search(r"Uhr \((GMT|BST)\)", text_of(open_link(client, f"/invite/{token}").text))
