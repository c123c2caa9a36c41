"""Invitations on the page: shown without being used, accepted by a POST as a newcomer or as an
existing account that logs in on the page (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from webhelpers import csrf_of, open_link, set_cookie, text_of


def invite(ctx_for: Any, as_: str, kind: str, origin: str, **kw: Any) -> str:
    from tenantctl.store.services import invitations

    with ctx_for(as_) as ctx:
        return str(invitations.create(ctx, kind, origin=origin, **kw)["token"])


def test_partner_invitation_shown_without_use_then_a_new_customer_registers(
        backend: str, world: Any, client: Any, ctx_for: Any, rows: Any, outbox: Any) -> None:
    from tenantctl.store.models import Connection, Invitation, Tenant, User

    token = invite(ctx_for, "rita.reseller", "partner", "acme", email="eva@neu.example",
                   customer_name="Neukunde GmbH", expires_in="7d")
    first = client.get(f"/invite/{token}")
    assert first.headers["refresh"] == "0; url=/invite"
    assert "Path=/invite" in set_cookie(first, "invitation")
    page = client.get("/invite")
    text = text_of(page.text)
    assert "Rita Reseller lädt Sie ein, als Kunde mit ACME Reseller AG zusammenzuarbeiten." in text
    assert "Eingeladen von Rita Reseller, ACME Reseller AG" in text
    assert "Für Neukunde GmbH" in text and "Gültig bis" in text and " Uhr (M" in text
    assert "im Auftrag von ACME Reseller AG" in text
    [inv] = rows(Invitation)
    assert inv.uses == 0 and inv.status == "pending"  # looking used nothing
    assert client.get("/invite").status_code == 200  # and can be repeated
    csrf = csrf_of(page.text)
    missing = client.post("/invite", data={"csrf_token": csrf, "mode": "register", "organisation": "Neukunde GmbH",
                                           "first_name": "", "last_name": "Neu", "email": "eva@neu.example"})
    assert missing.status_code == 422
    assert '<p class="field-error" id="first_name-error">Bitte ausfüllen.</p>' in missing.text
    assert rows(Invitation)[0].uses == 0
    done = client.post("/invite", data={"csrf_token": csrf, "mode": "register", "organisation": "Neukunde GmbH",
                                        "first_name": "Eva", "last_name": "Neu", "email": "eva@neu.example"})
    assert done.status_code == 200, text_of(done.text)
    text = text_of(done.text)
    assert "Ihre Organisation Neukunde GmbH ist registriert." in text
    assert "Der Betreiber der Plattform prüft die Registrierung von Neukunde GmbH." in text
    assert "Wir haben Ihnen eine E-Mail mit einem Link gesendet" in text
    [tenant] = rows(Tenant, name="Neukunde GmbH")
    assert tenant.status == "pending_approval" and tenant.kind == "customer"
    [conn] = rows(Connection, customer_id=tenant.id)
    assert conn.state == "requested"
    [eva] = rows(User, email="eva@neu.example")
    assert eva.first_name == "Eva" and eva.created_by == "web"
    assert "eva@neu.example" in [m["To"].addresses[0].addr_spec for m in outbox()]
    # the invitation is used up: the one invalid page
    again = client.get(f"/invite/{token}")
    assert again.status_code == 410 and "Diese Einladung ist nicht mehr gültig" in again.text


def test_accreditation_explained_when_the_registration_needs_no_approval(
        world: Any, client: Any, ctx_for: Any, monkeypatch: Any, make_client: Any) -> None:
    monkeypatch.setenv("TENANTCTL_REGISTRATION_APPROVAL", "false")
    from fastapi.testclient import TestClient

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app

    token = invite(ctx_for, "rita.reseller", "partner", "acme", email="kai@kunde.example")
    with TestClient(create_app(load_settings()), follow_redirects=False) as c:
        page = open_link(c, f"/invite/{token}")
        done = c.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "register",
                                       "organisation": "Kunde KG", "first_name": "Kai", "last_name": "Kunde",
                                       "email": "kai@kunde.example"})
    text = text_of(done.text)
    assert "ACME Reseller AG prüft die Akkreditierung von Kunde KG als Kunde." in text
    assert "Betreiber der Plattform prüft" not in text


def test_member_invitation_role_in_words_and_an_existing_account_logs_in_to_accept(
        backend: str, world: Any, client: Any, ctx_for: Any, rows: Any) -> None:
    from tenantctl.store.models import Membership, Tenant, User
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    for login in ("otto.other", "mia.meier"):  # Otto (of another customer) and Mia have passwords
        with ctx_for() as ctx:
            link = passwords.issue_links(ctx, [get_user(ctx, login)], mail=False)[0]
            token = passwords.mint_now(ctx, [link])[link.id]
        with ctx_for() as ctx:
            passwords.redeem(ctx, token, "Regenschirm-Sonne-4711")
    inv_token = invite(ctx_for, "max.mueller", "member", "mueller", email="otto@other.example", role="billing")
    page = open_link(client, f"/invite/{inv_token}")
    text = text_of(page.text)
    assert "Max Müller lädt Sie ein, Müller & Söhne GmbH beizutreten." in text
    assert "Ihre Rolle Abrechnung (sieht Rechnungen und Zahlungsdaten)" in text
    assert "Ich bin neu hier" not in text  # the address has an account: only the login form
    csrf = csrf_of(page.text)
    wrong = client.post("/invite", data={"csrf_token": csrf, "mode": "login", "login": "otto.other",
                                         "password": "falsch-falsch-falsch"})
    assert wrong.status_code == 401
    assert "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch." in wrong.text
    # someone else's account cannot accept an invitation addressed to Otto, even with her password
    stranger = client.post("/invite", data={"csrf_token": csrf, "mode": "login", "login": "mia.meier",
                                            "password": "Regenschirm-Sonne-4711"})
    assert stranger.status_code == 422
    assert "Diese Einladung gilt für eine andere E-Mail-Adresse als die Ihres Zugangs." in stranger.text
    done = client.post("/invite", data={"csrf_token": csrf, "mode": "login", "login": "otto.other",
                                        "password": "Regenschirm-Sonne-4711"})
    assert done.status_code == 200, text_of(done.text)
    assert "Sie gehören jetzt zu Müller & Söhne GmbH." in text_of(done.text)
    otto = rows(User, login="otto.other")[0]
    mueller = rows(Tenant, key="mueller")[0]
    [m] = rows(Membership, user_id=otto.id, tenant_id=mueller.id)
    assert m.role == "billing" and m.created_by == "otto.other"  # accepted as itself


def test_invitation_post_needs_csrf_and_a_kept_token(world: Any, client: Any, ctx_for: Any, rows: Any) -> None:
    from tenantctl.store.models import Invitation

    token = invite(ctx_for, "rita.reseller", "partner", "acme", email="eva@neu.example")
    page = open_link(client, f"/invite/{token}")
    data = {"mode": "register", "organisation": "X GmbH", "first_name": "E", "last_name": "N",
            "email": "eva@neu.example"}
    assert client.post("/invite", data=data).status_code == 403
    client.cookies.delete("invitation", path="/invite")
    r = client.post("/invite", data={**data, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 410
    assert rows(Invitation)[0].uses == 0


def test_invitation_page_in_english_by_accept_language(world: Any, client: Any, ctx_for: Any) -> None:
    token = invite(ctx_for, "rita.reseller", "partner", "acme", email="ann@new.example")
    client.headers["accept-language"] = "en-US,en;q=0.9"
    text = text_of(open_link(client, f"/invite/{token}").text)
    assert "Rita Reseller invites you to work with ACME Reseller AG as a customer." in text


def test_a_registration_under_another_address_than_the_invited_one_is_refused_on_the_page(
        world: Any, client: Any, ctx_for: Any, rows: Any) -> None:
    from tenantctl.store.models import Invitation, Tenant, User

    token = invite(ctx_for, "rita.reseller", "partner", "acme", email="eva@neu.example",
                   customer_name="Neukunde GmbH", expires_in="7d")
    client.get(f"/invite/{token}")
    page = client.get("/invite")
    # the invited address is filled in and read-only; a crafted POST with another one is refused
    assert ('<input id="email" name="email" type="email" value="eva@neu.example" autocomplete="email" required '
            'readonly') in page.text
    refused = client.post("/invite", data={"csrf_token": csrf_of(page.text), "mode": "register",
                                           "organisation": "Andere GmbH", "first_name": "Iris",
                                           "last_name": "Weiter", "email": "iris@anders.example"})
    assert refused.status_code == 422
    assert ('<p class="field-error" id="email-error">Diese Einladung gilt für die E-Mail-Adresse, an die sie '
            'geschickt wurde. Für eine andere Adresse bitten Sie um eine neue Einladung.</p>') in refused.text
    assert [i.status for i in rows(Invitation)] == ["pending"]
    assert rows(Tenant, name="Andere GmbH") == [] and rows(User, email="iris@anders.example") == []
