"""End-to-end scenarios of invitations and connections (docs/invitations.md), driven only through
the CLI from an empty store (`tenantctl init` first). After each step: the exit code, the store and the outbox."""

from __future__ import annotations

import email
import re
from email.policy import default
from pathlib import Path

import pytest

from tenantctl.store.models import Connection, Invitation, Membership, OutboxMail, Tenant, User

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

INVALID = "this invitation link is not valid: unknown, already used, revoked or expired"


def mailed_link(rows, template: str, to: str) -> str:
    """The link in the delivered mail (minted at delivery; the outbox row holds no token)."""
    [mail] = [m for m in rows(OutboxMail, template=template) if m.to_address == to][-1:]
    assert mail.state == "sent", (mail.state, mail.last_error)
    assert "link" not in mail.context
    [path] = sorted((Path("home") / "outbox").glob(f"{mail.id:08d}-*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=default)
    body = str(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    match = re.search(r"https://platform\.example/invite/\S+", body)
    assert match, body
    return match.group(0)


def outbox(rows):
    return [(m.template, m.to_address) for m in rows(OutboxMail)]


def setup_platform(ok):
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")


def make_tenant_with_admin(ok, name, kind, first, last, address, *extra, as_=None):
    key = ok("tenant", "create", name, "--kind", kind, *extra, as_=as_)["key"]
    ok("user", "create", "--tenant", key, "--first-name", first, "--last-name", last, "--email", address,
       "--role", "admin", as_=as_)
    return key


def test_s4_per_customer_invitation_link(db_url, cli, ok, rows):
    setup_platform(ok)
    acme = make_tenant_with_admin(ok, "ACME Reseller AG", "reseller", "Rita", "Reseller", "rita@acme.example")
    # the reseller e-mails a per-customer link with name, number and currency
    sent = ok("invite", "create", "--kind", "partner", "--from", acme, "--customer-name", "Müller & Söhne GmbH",
              "--customer-number", "10042", "--currency", "eur", "--email", "max@mueller.example", "--send",
              as_="rita.reseller")
    assert ("invitation_partner", "max@mueller.example") in outbox(rows)
    link = mailed_link(rows, "invitation_partner", "max@mueller.example")
    # … and prints (copies) another one
    printed = ok("invite", "create", "--kind", "partner", "--from", acme, "--customer-name", "Copy KG",
                 as_="rita.reseller")
    listed = ok("invite", "list", "--search", "müller", as_="rita.reseller")
    assert [(i["id"], i["status"], i["invited_by"], i["customer_number"], i["currency"]) for i in listed] == [
        (sent["id"], "pending", "rita.reseller", "10042", "EUR")]
    # the customer accepts through the mailed link: registers, the number and currency are copied
    data = ok("invite", "accept", "--first-name", "Max", "--last-name", "Müller", input=f"  {link}  \n")
    customer = data["tenant"]
    assert customer == "mueller-soehne-gmbh" and data["tenant_status"] == "pending_approval"
    [conn] = rows(Connection)
    assert (conn.customer_number, conn.currency, conn.state) == ("10042", "EUR", "requested")
    assert ("password_link_initial", "max@mueller.example") in outbox(rows)
    # the link works once
    r = cli("invite", "accept", "--first-name", "Eve", "--last-name", "E", "--email", "eve@x.example", "--json",
            input=link)
    assert (r.exit_code, r.json()["error"]["message"]) == (4, INVALID)
    # revoking makes the printed link invalid at once
    ok("invite", "revoke", str(printed["id"]), as_="rita.reseller")
    r = cli("invite", "accept", "--organisation", "Copy KG", "--first-name", "C", "--last-name", "K", "--email",
            "c@copy.example", "--json", input=printed["link"])
    assert (r.exit_code, r.json()["error"]["message"]) == (4, INVALID)
    assert rows(Tenant, key="copy-kg") == []
    statuses = {i["id"]: i["status"] for i in ok("invite", "list", as_="rita.reseller")}
    assert statuses == {sent["id"]: "accepted", printed["id"]: "revoked"}
    # approval, then the currency is fixed for good
    ok("tenant", "approve", customer)
    ok("connection", "approve", str(conn.id), as_="rita.reseller")
    assert rows(Connection)[0].state == "active"
    r = cli("tenant", "update", customer, "--currency", "CHF", "--json", as_="rita.reseller")
    assert r.exit_code == 5 and "the currency is fixed at EUR" in r.stdout
    assert rows(Connection)[0].currency == "EUR"


def test_s5_bundling_organisation_and_the_approval_chain(db_url, cli, ok, rows):
    setup_platform(ok)
    efa = make_tenant_with_admin(ok, "Bündelnde Organisation eG", "reseller", "Bea", "Bund", "bea@efa.example")
    standing = ok("invite", "create", "--kind", "partner", "--from", efa, "--max-uses", "50", "--expires-in", "30d",
                  as_="bea.bund")
    # a client registers through the link: a new customer tenant and its first user
    client = ok("invite", "accept", "--organisation", "Stadt Musterhausen", "--first-name", "Klara",
                "--last-name", "Kämmerer", "--email", "klara@musterhausen.example", input=standing["link"])
    key, conn_id = client["tenant"], client["connection"]
    assert (client["tenant_status"], client["connection_state"]) == ("pending_approval", "requested")
    assert outbox(rows)[-3:] == [("password_link_initial", "klara@musterhausen.example"),
                                 ("registration_requested", "ops@platform.example"),
                                 ("invitation_accepted", "bea@efa.example")]
    assert ("connection_requested", "bea@efa.example") not in outbox(rows)
    assert rows(Invitation)[0].status == "pending" and rows(Invitation)[0].uses == 1  # a standing link
    # the reseller cannot accredit before the operator approved the registration
    r = cli("connection", "approve", str(conn_id), "--json", as_="bea.bund")
    assert r.exit_code == 5 and "pending_approval" in r.stdout
    ok("tenant", "approve", key, as_="olga.peters")
    assert rows(Tenant, key=key)[0].status == "active"
    assert outbox(rows)[-2:] == [("registration_approved", "klara@musterhausen.example"),
                                 ("connection_requested", "bea@efa.example")]
    # the reseller asks, the client answers, the request returns, the reseller approves
    ok("connection", "request-info", str(conn_id), "--message", "Bitte Gemeindeschlüssel angeben",
       as_="bea.bund")
    assert rows(Connection, id=conn_id)[0].state == "info_requested"
    assert outbox(rows)[-1] == ("connection_info_requested", "klara@musterhausen.example")
    ok("connection", "answer", str(conn_id), "--message", "08 1 15 045", as_="klara.kaemmerer")
    assert rows(Connection, id=conn_id)[0].state == "requested"
    assert outbox(rows)[-1] == ("connection_answered", "bea@efa.example")
    ok("connection", "approve", str(conn_id), as_="bea.bund")
    assert rows(Connection, id=conn_id)[0].state == "active"
    assert outbox(rows)[-1] == ("connection_approved", "klara@musterhausen.example")
    # a client has exactly one reseller (exclusive_reseller)
    other = make_tenant_with_admin(ok, "Zweiter Anbieter GmbH", "reseller", "Zora", "Zweit", "zora@zweit.example")
    second = ok("invite", "create", "--kind", "partner", "--from", other, as_="zora.zweit")
    r = cli("invite", "accept", "--json", input=second["link"], as_="klara.kaemmerer")
    assert r.exit_code == 5 and r.json()["error"]["message"].startswith("rule: exclusive_reseller")
    assert len(rows(Connection)) == 1
    # a second client is rejected by the reseller
    nope = ok("invite", "accept", "--organisation", "Gemeinde Nirgendwo", "--first-name", "Nina", "--last-name",
              "Nirgend", "--email", "nina@nirgendwo.example", input=standing["link"])
    ok("tenant", "approve", nope["tenant"])
    ok("connection", "reject", str(nope["connection"]), "--reason", "außerhalb des Verbunds", as_="bea.bund")
    assert rows(Connection, id=nope["connection"])[0].state == "rejected"
    assert outbox(rows)[-1] == ("connection_rejected", "nina@nirgendwo.example")


def test_s6_partner_connections_in_both_directions(db_url, cli, ok, rows):
    setup_platform(ok)
    agency = make_tenant_with_admin(ok, "Tempcloud Agentur GmbH", "reseller", "Tom", "Temp", "tom@temp.example")
    shop = make_tenant_with_admin(ok, "Shop AG", "customer", "Sina", "Shop", "sina@shop.example")
    rival = make_tenant_with_admin(ok, "Rival AG", "customer", "Ralf", "Rival", "ralf@rival.example")
    # a customer invites a reseller by the address of its admin: that organisation is connected
    inv = ok("invite", "create", "--kind", "partner", "--from", shop, "--email", "tom@temp.example", "--send",
             as_="sina.shop")
    assert [i["id"] for i in ok("invite", "list", "--received", as_="tom.temp")] == [inv["id"]]
    assert [i["id"] for i in ok("invite", "list", "--sent", as_="sina.shop")] == [inv["id"]]
    assert ok("invite", "list", "--sent", as_="tom.temp") == []
    link = mailed_link(rows, "invitation_partner", "tom@temp.example")
    data = ok("invite", "accept", input=link, as_="tom.temp")
    assert (data["tenant"], data["registered"], data["connection_state"]) == (agency, False, "active")
    assert outbox(rows)[-1] == ("invitation_accepted", "sina@shop.example")
    # a reseller invites an unknown address: the invitee creates its organisation
    inv2 = ok("invite", "create", "--kind", "partner", "--from", agency, "--email", "neu@neukunde.example",
              "--customer-name", "Neukunde KG", as_="tom.temp")
    data = ok("invite", "accept", "--first-name", "Nils", "--last-name", "Neu", input=inv2["link"])
    assert (data["tenant"], data["tenant_kind"], data["registered"]) == ("neukunde-kg", "customer", True)
    # never customer↔customer, never reseller↔reseller
    cc = ok("invite", "create", "--kind", "partner", "--from", shop, as_="sina.shop")
    r = cli("invite", "accept", "--json", input=cc["link"], as_="ralf.rival")
    assert r.exit_code == 5 and "(no customer↔customer)" in r.json()["error"]["message"]
    other_reseller = make_tenant_with_admin(ok, "Andere Agentur", "reseller", "Anja", "Ander", "anja@ander.example")
    rr = ok("invite", "create", "--kind", "partner", "--from", other_reseller, as_="anja.ander")
    r = cli("invite", "accept", "--json", input=rr["link"], as_="tom.temp")
    assert r.exit_code == 5 and "(no reseller↔reseller)" in r.json()["error"]["message"]
    assert {i.status for i in rows(Invitation) if i.id in (cc["id"], rr["id"])} == {"pending"}
    assert rows(Tenant, key=rival)[0].status == "active" and len(rows(Connection)) == 2
    # once accepted (active), a connection cannot be deleted
    active = next(c for c in rows(Connection) if c.state == "active")
    r = cli("connection", "delete", str(active.id), "--yes", "--json", as_="sina.shop")
    assert r.exit_code == 5 and r.json()["error"]["message"].startswith("rule: an active connection cannot be deleted")
    assert len(rows(Connection)) == 2


def test_s7_agency_acts_for_its_customer(db_url, cli, ok, rows):
    setup_platform(ok)
    agency = make_tenant_with_admin(ok, "Green Agentur", "reseller", "Anna", "Agentur", "anna@green.example")
    # the agency creates the customer tenant on the customer's behalf and makes itself a member
    customer = ok("tenant", "create", "Kunde GmbH", "--kind", "customer", "--reseller", agency, "--billing",
                  "reseller", as_="anna.agentur")["key"]
    ok("member", "add", "anna.agentur", "--tenant", customer, "--role", "admin", as_="anna.agentur")
    assert rows(Connection)[0].billing == "reseller"
    # an independent customer invites the agency's person as a member with a chosen role
    shop = make_tenant_with_admin(ok, "Webshop KG", "customer", "Wim", "Web", "wim@webshop.example")
    ok("invite", "create", "--kind", "member", "--tenant", shop, "--email", "ANNA@green.example", "--role",
       "billing", "--send", as_="wim.web")
    assert outbox(rows)[-1] == ("invitation_member", "anna@green.example")  # the user's own spelling
    link = mailed_link(rows, "invitation_member", "anna@green.example")
    data = ok("invite", "accept", input=link, as_="anna.agentur")
    assert (data["user"], data["user_created"], data["role"]) == ("anna.agentur", False, "billing")
    [anna] = rows(User, login="anna.agentur")
    assert sorted((m.tenant_id, m.role) for m in rows(Membership, user_id=anna.id)) == sorted(
        [(rows(Tenant, key=agency)[0].id, "admin"), (rows(Tenant, key=customer)[0].id, "admin"),
         (rows(Tenant, key=shop)[0].id, "billing")])
    # one login works in all three tenants
    assert {m["tenant"] for m in ok("user", "show", "anna.agentur", as_="anna.agentur")["memberships"]} == {
        agency, customer, shop}
    # an e-mail that is already a user cannot register a second account; the user is linked instead
    partner = ok("invite", "create", "--kind", "partner", "--from", shop, as_="wim.web")
    r = cli("invite", "accept", "--organisation", "Anna Zwei", "--first-name", "Anna", "--last-name", "Agentur",
            "--email", "anna@green.example", "--json", input=partner["link"])
    assert r.exit_code == 5 and "anna@green.example already belongs to an account" in r.json()["error"]["message"]
    assert len(rows(User, email_key="anna@green.example")) == 1
    # … and accepting as that user connects her agency, billed to the reseller
    data = ok("invite", "accept", input=partner["link"], as_="anna.agentur")
    assert (data["tenant"], data["connection_state"]) == (agency, "active")
    # a person who is not yet a user: created with a password link
    newbie = ok("invite", "create", "--kind", "member", "--tenant", shop, "--email", "paul@green.example", "--role",
                "member", as_="wim.web")
    data = ok("invite", "accept", "--first-name", "Paul", "--last-name", "Praktikant", input=newbie["link"])
    assert data["user"] == "paul.praktikant" and data["user_created"] is True
    assert outbox(rows)[-2:] == [("password_link_initial", "paul@green.example"),
                                 ("invitation_accepted", "wim@webshop.example")]
