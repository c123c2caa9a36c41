"""invite accept: new organisations, existing organisations, members; the one invalid-token error;
tokens from stdin, file, whitespace and pasted links; single use under concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tenantctl.store.models import AuditEvent, Connection, Invitation, Membership, Tenant, User

INVALID = "this invitation link is not valid: unknown, already used, revoked or expired"
NEW_ORG = ["--organisation", "Stadt Musterhausen", "--first-name", "Klara", "--last-name", "Kämmerer",
           "--email", "klara@musterhausen.example"]


def test_new_customer_registers_and_waits_for_approval(world, ok, partner_link, rows, mails, actions):
    link = partner_link("--customer-number", "K-77", "--currency", "EUR", "--billing", "reseller")["link"]
    data = ok("invite", "accept", *NEW_ORG, input=link + "\n")
    assert (data["tenant"], data["tenant_kind"], data["tenant_status"]) == (
        "stadt-musterhausen", "customer", "pending_approval")
    assert (data["user"], data["registered"], data["connection_state"]) == ("klara.kaemmerer", True, "requested")
    [tenant] = rows(Tenant, key="stadt-musterhausen")
    [user] = rows(User, login="klara.kaemmerer")
    assert user.status == "invited" and user.password_hash is None
    [m] = rows(Membership, user_id=user.id)
    assert (m.tenant_id, m.role) == (tenant.id, "admin")
    [conn] = rows(Connection, customer_id=tenant.id)
    assert (conn.customer_number, conn.currency, conn.billing, conn.state) == ("K-77", "EUR", "reseller", "requested")
    [inv] = rows(Invitation)
    assert (inv.status, inv.uses, inv.accepted_by, inv.accepted_tenant_id) == (
        "accepted", 1, "klara.kaemmerer", tenant.id)
    # the new admin gets a password link, the operator the registration, the inviter the news;
    # the reseller hears of the request only after the operator approved the registration
    assert mails() == [("password_link_initial", "klara@musterhausen.example", "de"),
                       ("registration_requested", "ops@example.com", "de"),
                       ("invitation_accepted", "rita@acme.example", "de")]
    assert {"tenant.register", "user.create", "connection.create", "invitation.accept"} <= {
        a for a, _ in actions()}


def test_without_registration_approval_the_request_goes_to_the_reseller_at_once(world, ok, partner_link, mails,
                                                                                  monkeypatch):
    monkeypatch.setenv("TENANTCTL_REGISTRATION_APPROVAL", "off")
    link = partner_link()["link"]
    data = ok("invite", "accept", *NEW_ORG, input=link)
    assert data["tenant_status"] == "active" and data["connection_state"] == "requested"
    assert ("connection_requested", "rita@acme.example", "de") in mails()
    assert mails("registration_requested") == []


def test_customer_name_of_the_invitation_names_the_new_organisation(world, ok, partner_link):
    link = partner_link("--customer-name", "Gemeinde Beispielstadt")["link"]
    data = ok("invite", "accept", "--first-name", "Ina", "--last-name", "Iske", "--email", "ina@bsp.example",
              input=link)
    assert data["tenant"] == "gemeinde-beispielstadt"


def test_an_accepted_token_is_invalid_with_the_same_error_as_unknown_ones(world, cli, ok, partner_link, rows):
    link = partner_link()["link"]
    ok("invite", "accept", *NEW_ORG, input=link)
    events = len(rows(AuditEvent))
    for text in (link, "x" * 43, "https://platform.example/invite/" + "Q" * 43):
        r = cli("invite", "accept", *NEW_ORG[:-2], "--email", "other@x.example", "--json", input=text)
        assert r.exit_code == 4 and r.json()["error"]["message"] == INVALID
    r = cli("invite", "accept", input=link)
    assert r.exit_code == 4 and r.stderr.startswith("error: " + INVALID) and r.stderr.count("\n") == 1
    assert len(rows(AuditEvent)) == events


def test_token_from_file_with_whitespace_or_as_full_link(world, ok, partner_link, tmp_path):
    a, b = partner_link(), partner_link()
    Path("token.txt").write_text(f"\n   {a['token']}  \n\n")
    assert ok("invite", "accept", "--token-file", "token.txt", *NEW_ORG)["tenant"] == "stadt-musterhausen"
    Path("link.txt").write_text(f"Ihr Einladungslink:\n  {b['link']}\n")
    data = ok("invite", "accept", "--token-file", "link.txt", "--organisation", "Zweite GmbH", "--first-name", "Zoe",
              "--last-name", "Zwei", "--email", "zoe@zwei.example")
    assert data["tenant"] == "zweite-gmbh"


def test_missing_token_file_and_missing_details(world, cli, partner_link, rows):
    r = cli("invite", "accept", "--token-file", "nope.txt", "--json")
    assert r.exit_code == 4 and "cannot read the token file" in r.stdout
    link = partner_link()["link"]
    r = cli("invite", "accept", "--json", input=link)
    assert r.exit_code == 4 and "a new organisation needs its name and first user" in r.stdout
    r = cli("invite", "accept", "--organisation", "X GmbH", "--json", input=link)
    assert r.exit_code == 4 and "a new user needs --first-name, --last-name, --email" in r.stdout
    assert [i.status for i in rows(Invitation)] == ["pending"]  # nothing half-written: the use was rolled back
    assert rows(Tenant, key="x-gmbh") == []


def test_existing_admin_accepts_with_as_and_connects_the_organisation(world, ok, cli, rows, mails, monkeypatch):
    inv = ok("invite", "create", "--kind", "partner", "--from", "beta", as_="bert.beta")
    # exclusive_reseller: mueller already has acme
    r = cli("invite", "accept", "--json", input=inv["link"], as_="max.mueller")
    assert r.exit_code == 5
    assert r.json()["error"]["message"].startswith("rule: exclusive_reseller")
    assert [i.status for i in rows(Invitation)] == ["pending"]
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "false")
    data = ok("invite", "accept", input=inv["link"], as_="max.mueller")
    assert (data["tenant"], data["registered"], data["connection_state"]) == ("mueller", False, "requested")
    assert len(rows(User, email_key="max@mueller.example")) == 1
    assert ("connection_requested", "bert@beta.example", "de") in mails()
    again = ok("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "true")
    r = cli("invite", "accept", "--organisation", "Zweitfirma", input=again["link"], as_="otto.other")
    assert r.exit_code == 5  # otto's other already has beta; no second organisation is made instead
    assert rows(Tenant, key="zweitfirma") == []


def test_reseller_accepting_a_customers_invitation_connects_at_once(world, ok, rows, monkeypatch):
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "0")
    inv = ok("invite", "create", "--kind", "partner", "--from", "mueller", "--email", "bert@beta.example",
             as_="max.mueller")
    data = ok("invite", "accept", input=inv["link"], as_="bert.beta")
    assert (data["tenant"], data["connection_state"]) == ("beta", "active")


def test_invitation_to_an_existing_admins_address_connects_that_organisation_without_second_account(
        world, ok, cli, rows, monkeypatch):
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "0")
    inv = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "otto@other.example",
             as_="rita.reseller")
    r = cli("invite", "accept", "--json", input=inv["link"])  # the token alone is no consent
    assert r.exit_code == 9 and "tenantctl --as otto@other.example invite accept" in r.json()["error"]["hint"]
    assert "otto.other" not in r.stdout  # the token holder learns no login
    data = ok("invite", "accept", input=inv["link"], as_="otto.other")  # the addressee's org is connected
    assert (data["tenant"], data["user"], data["registered"]) == ("other", "otto.other", False)
    assert len(rows(User)) == 6


def test_an_existing_users_address_cannot_register_a_second_account(world, cli, partner_link, rows):
    link = partner_link()["link"]
    r = cli("invite", "accept", "--organisation", "Neu GmbH", "--first-name", "Max", "--last-name", "M",
            "--email", "MAX@mueller.example", "--json", input=link)
    assert r.exit_code == 5
    err = r.json()["error"]
    assert "max.mueller" not in str(err)  # the token holder learns no login
    assert err["message"] == "MAX@mueller.example already belongs to an account; a second account cannot be registered"
    assert "tenantctl --as MAX@mueller.example invite accept" in err["hint"]
    assert len(rows(User)) == 6 and rows(Tenant, key="neu-gmbh") == []


def test_rule_errors_name_the_rule(world, cli, ok, partner_link, rows):
    link = partner_link()["link"]
    r = cli("invite", "accept", "--json", input=link, as_="bert.beta")  # reseller ↔ reseller
    assert r.exit_code == 5
    assert r.json()["error"]["message"] == (
        "rule: only a reseller and a customer can be connected: 'beta' and 'acme' are both resellers "
        "(no reseller↔reseller)")
    cust = ok("invite", "create", "--kind", "partner", "--from", "mueller", as_="max.mueller")
    r = cli("invite", "accept", "--json", input=cust["link"], as_="otto.other")  # customer ↔ customer
    assert r.exit_code == 5 and "(no customer↔customer)" in r.json()["error"]["message"]
    r = cli("invite", "accept", "--json", input=link, as_="olga.peters")  # operator admin
    assert r.exit_code == 5 and r.json()["error"]["message"].startswith("rule: the operator cannot be connected")
    assert [i.status for i in rows(Invitation)] == ["pending", "pending"]


def test_admin_of_a_customer_can_register_a_reseller_with_the_same_login(world, ok, rows, monkeypatch):
    """S7: one login for many tenants. max.mueller (customer admin) registers his own reseller
    through a customer's invitation; no second account."""
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "off")  # other already has beta
    inv = ok("invite", "create", "--kind", "partner", "--from", "other", as_="otto.other")
    data = ok("invite", "accept", "--organisation", "Max Agentur", input=inv["link"], as_="max.mueller")
    assert (data["tenant"], data["tenant_kind"], data["user"], data["registered"]) == (
        "max-agentur", "reseller", "max.mueller", True)
    [user] = rows(User, login="max.mueller")
    assert len(rows(Membership, user_id=user.id)) == 2


# -- member invitations --------------------------------------------------------------------------

def test_member_invitation_for_an_existing_user_adds_a_membership(world, ok, rows, mails):
    inv = ok("invite", "create", "--kind", "member", "--tenant", "other", "--email", "mia@mueller.example",
             "--role", "billing", as_="otto.other")
    data = ok("invite", "accept", input=inv["link"], as_="mia.meier")
    assert (data["tenant"], data["user"], data["user_created"], data["role"]) == ("other", "mia.meier", False,
                                                                                  "billing")
    [user] = rows(User, login="mia.meier")
    assert sorted(m.role for m in rows(Membership, user_id=user.id)) == ["billing", "member"]
    assert mails("password_link_initial") == []
    assert mails("invitation_accepted") == [("invitation_accepted", "otto@other.example", "de")]


def test_member_invitation_for_a_new_person_creates_the_user_with_a_password_link(world, ok, rows, mails):
    inv = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "anna@agentur.example",
             "--role", "admin", as_="max.mueller")
    data = ok("invite", "accept", "--first-name", "Anna", "--last-name", "Agentur", input=inv["link"])
    assert (data["user"], data["user_created"]) == ("anna.agentur", True)
    [user] = rows(User, login="anna.agentur")
    assert user.email == "anna@agentur.example"
    [m] = rows(Membership, user_id=user.id)
    assert m.role == "admin"
    assert mails("password_link_initial") == [("password_link_initial", "anna@agentur.example", "de")]


def test_member_invitation_cannot_be_taken_by_someone_else(world, cli, ok, rows):
    inv = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "anna@agentur.example",
             "--role", "member", as_="max.mueller")
    r = cli("invite", "accept", "--json", input=inv["link"], as_="otto.other")
    assert r.exit_code == 9
    r = cli("invite", "accept", "--first-name", "A", "--last-name", "B", "--email", "else@x.example", "--json",
            input=inv["link"])
    assert r.exit_code == 4 and "--email cannot change it" in r.stdout
    assert [i.status for i in rows(Invitation)] == ["pending"]


def test_accepting_with_a_disabled_users_address_is_refused(world, cli, ok, rows):
    inv = ok("invite", "create", "--kind", "member", "--tenant", "other", "--email", "mia@mueller.example",
             "--role", "member", as_="otto.other")
    ok("user", "disable", "mia.meier", "--yes")
    r = cli("invite", "accept", "--json", input=inv["link"])
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == "mia@mueller.example belongs to a disabled user who cannot accept"
    [user] = rows(User, login="mia.meier")
    assert len(rows(Membership, user_id=user.id)) == 1
    assert [i.status for i in rows(Invitation)] == ["pending"]


def test_a_standing_link_works_max_uses_times(world, cli, ok, partner_link, rows, monkeypatch):
    link = partner_link("--max-uses", "2")["link"]
    for n in (1, 2):
        ok("invite", "accept", "--organisation", f"Kommune {n}", "--first-name", "K", "--last-name", f"Nr{n}",
           "--email", f"k{n}@kommune.example", input=link)
    r = cli("invite", "accept", "--organisation", "Kommune 3", "--first-name", "K", "--last-name", "Nr3",
            "--email", "k3@kommune.example", "--json", input=link)
    assert r.exit_code == 4 and r.json()["error"]["message"] == INVALID
    [inv] = rows(Invitation)
    assert (inv.uses, inv.status) == (2, "accepted")


# -- concurrency: two processes, one single-use token ---------------------------------------------

def test_two_simultaneous_accepts_exactly_one_succeeds(world, partner_link, rows, backend, db_url, tmp_path):
    env = {**os.environ, "TENANTCTL_DATABASE_URL": db_url}
    results = []
    for round_ in range(1):  # the interleaving test below pins the mechanism; this one runs real processes
        link = partner_link()["link"]
        token_file = tmp_path / f"token{round_}.txt"
        token_file.write_text(link)
        procs = [subprocess.Popen(
            [sys.executable, "-m", "tenantctl.cli", "invite", "accept", "--token-file", str(token_file),
             "--organisation", f"Race {round_} {n}", "--first-name", "R", "--last-name", f"N{n}", "--email",
             f"r{round_}{n}@race.example", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
        outs = [p.communicate(timeout=60) for p in procs]
        codes = sorted(p.returncode for p in procs)
        results.append(codes)
        loser = next(o for p, o in zip(procs, outs, strict=True) if p.returncode != 0)
        assert INVALID in loser[0], loser
    assert results == [[0, 4]]
    assert [(i.status, i.uses) for i in rows(Invitation)] == [("accepted", 1)]
    assert len([t for t in rows(Tenant) if t.key.startswith("race-")]) == 1


def test_claim_is_a_conditional_update(world, partner_link, store, backend):
    """Deterministic interleaving: B tries to claim while A holds its uncommitted claim."""
    import threading

    from tenantctl.store.actor import operator_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.services.invitations.acceptance import claim
    from tenantctl.store.settings import load_settings

    link = partner_link()["link"]
    settings = load_settings()
    outcome: dict[str, object] = {}
    claimed = threading.Event()

    def b() -> None:
        claimed.wait(10)
        try:
            with store.transaction() as s:
                claim(Ctx(s, operator_actor(), settings), link)
            outcome["b"] = "claimed"
        except InvalidInput as exc:
            outcome["b"] = exc.message

    t = threading.Thread(target=b)
    t.start()
    with store.transaction() as s:
        claim(Ctx(s, operator_actor(), settings), link)
        claimed.set()
        t.join(0.5)  # B is blocked (SQLite: write lock; PostgreSQL: row lock)
        assert "b" not in outcome
    t.join(20)
    assert outcome["b"] == INVALID


def test_an_expired_invitation_gives_the_same_error_everywhere_the_same_status(world, cli, ok, partner_link, store):
    from datetime import timedelta

    from sqlalchemy import update

    from tenantctl.store.types import utcnow

    data = partner_link()
    with store.transaction() as s:
        s.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = cli("invite", "accept", *NEW_ORG, "--json", input=data["link"])
    assert (r.exit_code, r.json()["error"]["message"]) == (4, INVALID)
    assert ok("invite", "show", str(data["id"]), as_="rita.reseller")["status"] == "expired"
    assert [i["status"] for i in ok("invite", "list", as_="rita.reseller")] == ["expired"]


def test_an_admin_who_asks_for_a_new_organisation_gets_the_existing_one_connected(world, cli, ok, rows,
                                                                                   monkeypatch):
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "off")
    inv = ok("invite", "create", "--kind", "partner", "--from", "beta", as_="bert.beta")
    r = cli("invite", "accept", "--organisation", "Max Zwei GmbH", input=inv["link"], as_="max.mueller")
    assert r.exit_code == 0
    assert "max.mueller already administers 'mueller': that organisation is connected" in r.stderr
    assert rows(Tenant, key="max-zwei-gmbh") == []
    assert [c.customer_id for c in rows(Connection, reseller_id=rows(Tenant, key="beta")[0].id)] == [
        rows(Tenant, key="other")[0].id, rows(Tenant, key="mueller")[0].id]


def test_a_partner_invitation_sent_to_an_address_registers_only_that_address(world, ok, cli, rows):
    """Whoever else holds the link (a forwarded mail, the inviter) cannot register an organisation under
    another address; with the invited one (or no --email) the registration goes ahead."""
    inv = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "eva@neu.example",
             "--customer-name", "Neukunde GmbH", as_="rita.reseller")
    tenants_before = len(rows(Tenant))
    r = cli("invite", "accept", "--organisation", "Andere GmbH", "--first-name", "Iris", "--last-name", "Inviter",
            "--email", "iris@anders.example", "--json", input=inv["link"])
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == "this invitation is for one e-mail address; --email cannot change it"
    assert [i.status for i in rows(Invitation)] == ["pending"] and len(rows(Tenant)) == tenants_before
    assert rows(User, email="iris@anders.example") == []
    data = ok("invite", "accept", "--first-name", "Eva", "--last-name", "Neu", "--email", "EVA@neu.example",
              input=inv["link"])
    assert (data["tenant"], data["registered"]) == ("neukunde-gmbh", True)
    assert [i.status for i in rows(Invitation)] == ["accepted"]
