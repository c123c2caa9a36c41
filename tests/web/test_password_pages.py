"""Set a password through a link, and forgot password, through the HTTP client (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from webhelpers import csrf_of, open_link, set_cookie, text_of

GOOD = "Sonnenblume-Kaffeetasse-91"


def test_get_checks_without_using_and_moves_the_token_into_a_cookie(
        backend: str, world: Any, client: Any, password_token: Any, rows: Any) -> None:
    from tenantctl.store.models import PasswordLink

    token = password_token("max.mueller")
    r = client.get(f"/password/set?token={token}")
    assert r.status_code == 200
    assert r.headers["refresh"] == "0; url=/password/set"
    cookie = set_cookie(r, "password_link")
    assert cookie.startswith(f"password_link={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/password/set" in cookie
    assert "Max-Age=1800" in cookie and "Secure" not in cookie  # plain http: no TLS here
    assert token not in r.text
    page = client.get("/password/set")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Guten Tag Max Müller, hier legen Sie das Passwort für Ihren Zugang fest." in text
    assert "Ihr Benutzername max.mueller" in text and "Organisation Müller & Söhne GmbH" in text
    assert "hat mindestens 12 und höchstens 256 Zeichen" in text
    assert "im Auftrag von ACME Reseller AG" in text  # the customer's reseller brands the page
    assert token not in page.text
    [link] = rows(PasswordLink, user_id=rows_user(rows, "max.mueller").id)
    assert link.used_at is None and link.voided_at is None  # looking used nothing


def rows_user(rows: Any, login: str) -> Any:
    from tenantctl.store.models import User

    return rows(User, login=login)[0]


def test_set_password_rules_per_field_then_success_then_login(
        backend: str, world: Any, client: Any, password_token: Any, rows: Any) -> None:
    open_link(client, f"/password/set?token={password_token('max.mueller')}")
    csrf = csrf_of(client.get("/password/set").text)
    cases = [("kurz", "Das Passwort hat 4 Zeichen; es braucht mindestens 12."),
             ("max.mueller-2026!", "Das Passwort enthält Ihren Benutzernamen."),
             ("Mueller-Sommer-2026", "Das Passwort enthält einen Teil Ihres Benutzernamens (mueller)."),
             ("1qaz2wsx3edc", "Dieses Passwort gehört zu den häufigsten Passwörtern und ist leicht zu erraten.")]
    for weak, message in cases:
        r = client.post("/password/set", data={"csrf_token": csrf, "password": weak, "password_confirm": weak})
        assert r.status_code == 422
        assert f'<p class="field-error" id="password-error">{message}</p>' in r.text.replace("&amp;", "&")
        assert 'aria-describedby="password-rules password-error"' in r.text
    r = client.post("/password/set", data={"csrf_token": csrf, "password": GOOD, "password_confirm": GOOD + "x"})
    assert r.status_code == 422 and "Die beiden Eingaben stimmen nicht überein." in r.text
    assert rows_user(rows, "max.mueller").password_hash is None
    r = client.post("/password/set", data={"csrf_token": csrf, "password": GOOD, "password_confirm": GOOD})
    assert r.status_code == 200
    assert "Ihr Passwort ist gespeichert" in r.text
    assert set_cookie(r, "password_link").startswith('password_link="";')  # the browser forgets the token
    user = rows_user(rows, "max.mueller")
    assert user.password_hash.startswith("$argon2id$") and user.status == "active"
    login = client.post("/api/v1/auth/login", json={"login": "max.mueller", "password": GOOD})
    assert login.status_code == 200
    # the used link: the one "request a new link" page
    again = client.get("/password/set")
    assert again.status_code == 410
    assert '<a class="button" href="/password/forgot">Neuen Link anfordern</a>' in again.text


def test_used_expired_superseded_and_unknown_links_get_one_page(
        world: Any, client: Any, password_token: Any, store: Any) -> None:
    from sqlalchemy import update

    from tenantctl.store.models import PasswordLink
    from tenantctl.store.types import utcnow

    used = password_token("mia.meier")
    open_link(client, f"/password/set?token={used}")
    csrf = csrf_of(client.get("/password/set").text)
    assert client.post("/password/set", data={"csrf_token": csrf, "password": GOOD,
                                              "password_confirm": GOOD}).status_code == 200
    superseded = password_token("max.mueller")
    password_token("max.mueller")
    expired = password_token("otto.other")
    with store.transaction() as s:
        s.execute(update(PasswordLink).where(PasswordLink.id == int(expired.split(".")[0]))
                  .values(expires_at=utcnow() - timedelta(minutes=1)))
    pages = set()
    for token in (used, superseded, expired, "1.not-a-real-token", "garbage"):
        r = client.get(f"/password/set?token={token}")
        assert r.status_code == 410, token
        pages.add(text_of(r.text))
    assert len(pages) == 1
    assert "Dieser Link ist nicht mehr gültig" in pages.pop()


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
        world: Any, client: Any, password_token: Any, rows: Any) -> None:
    open_link(client, f"/password/set?token={password_token('max.mueller')}")
    for data in ({"password": GOOD, "password_confirm": GOOD},
                 {"csrf_token": "x" * 43, "password": GOOD, "password_confirm": GOOD}):
        r = client.post("/password/set", data=data)
        assert r.status_code == 403
        assert "Das Formular ist abgelaufen" in r.text and "security token" not in r.text
    assert rows_user(rows, "max.mueller").password_hash is None


def test_language_from_the_user_else_accept_language(world: Any, client: Any, password_token: Any,
                                                     ctx_for: Any) -> None:
    from tenantctl.store.services import users

    with ctx_for() as ctx:
        users.update_user(ctx, "mia.meier", language="en")
    open_link(client, f"/password/set?token={password_token('mia.meier')}")
    assert "Hello Mia Meier, here you set the password of your account." in text_of(client.get("/password/set").text)
    assert '<html lang="en">' in client.get("/password/set").text
    assert "Forgot your password" in client.get("/password/forgot", headers={"accept-language": "en-GB,en;q=0.9"}).text
    assert "Passwort vergessen" in client.get("/password/forgot", headers={"accept-language": "fr, de;q=0.5"}).text
    assert "Passwort vergessen" in client.get("/password/forgot").text


def test_forgot_password_same_answer_and_a_mail_only_for_a_real_account(
        backend: str, world: Any, client: Any, outbox: Any) -> None:
    page = client.get("/password/forgot")
    csrf = csrf_of(page.text)
    known = client.post("/password/forgot", data={"csrf_token": csrf, "ident": "max@mueller.example"})
    unknown = client.post("/password/forgot", data={"csrf_token": csrf, "ident": "nobody@mueller.example"})
    assert known.status_code == unknown.status_code == 200
    assert text_of(known.text) == text_of(unknown.text)
    assert "Wenn zu dieser Angabe ein Zugang besteht" in known.text
    [mail] = outbox()
    assert mail["To"] == "Max Müller <max@mueller.example>"
    body = mail.get_body(("plain",)).get_content()
    assert "http://testserver/password/set?token=" in body
    # the link in the mail works on the page
    link = body.split("http://testserver", 1)[1].split()[0]
    assert "Passwort festlegen" in open_link(client, link).text


def test_forgot_password_is_limited_per_address_silently_and_per_client_with_429(
        world: Any, client: Any, outbox: Any) -> None:
    csrf = csrf_of(client.get("/password/forgot").text)
    answers = {text_of(client.post("/password/forgot", data={"csrf_token": csrf, "ident": "max.mueller"}).text)
               for _ in range(5)}
    assert len(answers) == 1  # the sixth looks like the first
    assert len(outbox()) == 3  # but only three mails per address and hour
    for i in range(5):
        assert client.post("/password/forgot", data={"csrf_token": csrf, "ident": f"x{i}"}).status_code == 200
    r = client.post("/password/forgot", data={"csrf_token": csrf, "ident": "y"})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert "Zu viele Versuche" in r.text


def test_token_pages_are_rate_limited_per_client(world: Any, client: Any) -> None:
    codes = [client.get(f"/password/set?token=1.guess{i:040d}").status_code for i in range(31)]
    assert codes[:30] == [410] * 30 and codes[30] == 429
    assert client.get("/invite/" + "a" * 43).status_code == 429  # the same budget for invitation tokens


def test_the_access_log_never_holds_a_token(world: Any, client: Any, password_token: Any,
                                            caplog: Any) -> None:
    token = password_token("max.mueller")
    with caplog.at_level(logging.INFO, logger="tenantctl.access"):
        open_link(client, f"/password/set?token={token}")
        client.get("/invite/" + "b" * 43)
    lines = [r.getMessage() for r in caplog.records if r.name == "tenantctl.access"]
    assert any('"GET /password/set?…" 200' in line for line in lines), lines
    assert any('"GET /invite/…" 410' in line for line in lines), lines
    assert not any(token in line or token.split(".", 1)[1] in line or "b" * 43 in line for line in lines)


def test_cookies_are_secure_over_tls(world: Any, make_client: Any, password_token: Any) -> None:
    client = make_client(base_url="https://testserver")
    r = client.get(f"/password/set?token={password_token('max.mueller')}")
    assert "Secure" in set_cookie(r, "password_link") and "Secure" in set_cookie(r, "csrf")
