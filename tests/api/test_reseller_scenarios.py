"""Done-when of remote mode: a reseller handed only a token and the server's URL runs S1 (a
customer, its users, their password links) end to end; S4 and S5 run in both modes with a token
per actor in tests/invitations/test_scenarios.py (cli_mode). The reseller's side has no database
URL and a home folder without a store, so nothing can reach the store but the server."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path
from typing import Any

from sqlmodel import select

from tenantctl.store.models import AuditEvent, Connection, OutboxMail, PasswordLink, Tenant, User


def test_s1_as_a_reseller_with_only_a_token_and_the_url(db_url, cli, ok, api_server, store, tmp_path):
    # the operator, on the store's machine: the platform, the reseller, its admin, her token
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    ok("tenant", "create", "ACME Reseller AG", "--kind", "reseller", "--key", "acme")
    ok("user", "create", "--tenant", "acme", "--first-name", "Rita", "--last-name", "Schröder",
       "--email", "rita@acme.example", "--role", "admin")
    token = ok("token", "create", "--name", "ci", as_="rita.schroeder")["token"]  # handed over out of band

    with store.transaction(write=False) as s:
        before = max(s.exec(select(AuditEvent.id)).all())
    reseller_home = tmp_path / "reseller"
    reseller_home.mkdir()
    env = {"TENANTCTL_SERVER": api_server.url, "TENANTCTL_TOKEN": token, "TENANTCTL_DATABASE_URL": None,
           "TENANTCTL_HOME": str(reseller_home)}

    def reseller(*args: str) -> Any:
        r = cli(*args, "--json", env=env)
        assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r.data

    customer = reseller("tenant", "create", "Müller & Söhne GmbH", "--kind", "customer", "--customer-number",
                        "10001", "--currency", "EUR")
    assert (customer["key"], customer["reseller"], customer["currency"]) == ("mueller-soehne-gmbh", "acme", "EUR")
    for first, last, address, role in [("Max", "Müller", "max@mueller.example", "admin"),
                                       ("Zoë", "Łukasiewicz", "zoe@mueller.example", "member")]:
        reseller("user", "create", "--tenant", customer["key"], "--first-name", first, "--last-name", last,
                 "--email", address, "--role", role)
    sent = reseller("password", "send-link", "--tenant", customer["key"])
    assert sorted(link["login"] for link in sent["links"]) == ["max.mueller", "zoe.lukasiewicz"]
    assert sent["delivery"]["sent"] == 2
    assert [t["key"] for t in reseller("tenant", "list")] == ["acme", "mueller-soehne-gmbh"]
    assert list(reseller_home.iterdir()) == []  # the reseller's side holds no store and no outbox

    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant.key).where(Tenant.kind == "customer")).all() == ["mueller-soehne-gmbh"]
        conn = s.exec(select(Connection)).one()
        assert (conn.customer_number, conn.currency, conn.state) == ("10001", "EUR", "active")
        users = {u.login: u for u in s.exec(select(User)).all()}
        assert {"max.mueller", "zoe.lukasiewicz"} <= set(users)
        linked = {link.user_id for link in s.exec(select(PasswordLink)).all()}
        assert {u.login for u in users.values() if u.id in linked} == {"max.mueller", "zoe.lukasiewicz"}
        mails = s.exec(select(OutboxMail).where(OutboxMail.template == "password_link_initial")).all()
        assert sorted(m.to_address for m in mails) == ["max@mueller.example", "zoe@mueller.example"]
        assert all(m.state == "sent" for m in mails)
        actors = set(s.exec(select(AuditEvent.actor).where(AuditEvent.id > before)).all())
    assert actors == {'rita.schroeder via token "ci"'}
    # the mails went out from the server's side, with a working link each
    [path] = sorted((Path("home") / "outbox").glob(f"{mails[0].id:08d}-*.eml"))
    body = str(email.message_from_bytes(path.read_bytes(), policy=default).get_body(("plain",)).get_content())
    assert "https://platform.example/" in body
