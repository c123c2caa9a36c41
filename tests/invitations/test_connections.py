"""The approval chain (S5) and the connection rules (S6): transitions, mails, illegal steps,
scope per role, registration approval by the operator."""

from __future__ import annotations

import pytest

from tenantctl.store.models import Connection, OutboxMail, Tenant

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

NEW_ORG = ["--organisation", "Stadt Musterhausen", "--first-name", "Klara", "--last-name", "Kämmerer",
           "--email", "klara@musterhausen.example"]


@pytest.fixture
def registered(world, ok, partner_link):
    """A customer registered through acme's invitation, still pending the operator's approval."""
    link = partner_link("--customer-number", "K-1", "--currency", "EUR")["link"]
    data = ok("invite", "accept", *NEW_ORG, input=link)
    return data["connection"]


def test_full_chain_with_a_question(registered, ok, cli, rows, mails, actions):
    conn = registered
    r = cli("connection", "approve", str(conn), "--json", as_="rita.reseller")
    assert r.exit_code == 5
    assert r.json()["error"] == {
        "code": "conflict",
        "message": "customer 'stadt-musterhausen' is pending_approval; "
                   "the operator must approve its registration first",
        "hint": "tenantctl tenant approve stadt-musterhausen"}
    ok("tenant", "approve", "stadt-musterhausen", as_="olga.peters")
    assert mails("registration_approved", "connection_requested") == [
        ("registration_approved", "klara@musterhausen.example", "de"),
        ("connection_requested", "rita@acme.example", "de")]
    out = ok("connection", "request-info", str(conn), "--message", "Bitte USt-IdNr. nennen", as_="rita.reseller")
    assert (out["state"], out["info_request"]) == ("info_requested", "Bitte USt-IdNr. nennen")
    [mail] = rows(OutboxMail, template="connection_info_requested")
    assert mail.to_address == "klara@musterhausen.example" and mail.context["message"] == "Bitte USt-IdNr. nennen"
    r = cli("connection", "approve", str(conn), "--json", as_="rita.reseller")
    assert r.exit_code == 5 and r.json()["error"]["message"].startswith(
        f"connection {conn} is info_requested; only a requested connection can be approved")
    out = ok("connection", "answer", str(conn), "--message", "DE123456789", as_="klara.kaemmerer")
    assert (out["state"], out["info_answer"]) == ("requested", "DE123456789")
    assert mails("connection_answered") == [("connection_answered", "rita@acme.example", "de")]
    out = ok("connection", "approve", str(conn), as_="rita.reseller")
    assert (out["state"], out["approved_by"]) == ("active", "rita.reseller")
    assert mails("connection_approved") == [("connection_approved", "klara@musterhausen.example", "de")]
    [c] = rows(Connection, id=conn)
    assert c.state == "active" and c.approved_at is not None
    assert actions("connection.")[-4:] == [
        ("connection.create", "operator:" + _os_user()), ("connection.request_info", "rita.reseller"),
        ("connection.answer", "klara.kaemmerer"), ("connection.approve", "rita.reseller")]
    assert ("tenant.approve", "olga.peters") in actions("tenant.")
    # illegal transitions name the current state
    for args, msg in [(["approve"], "is active; only a requested connection can be approved"),
                      (["reject"], "is active; only a info_requested or requested connection can be rejected"),
                      (["request-info", "--message", "?"], "is active; only a requested connection can be asked"),
                      (["answer", "--message", "!"], "is active: nobody asked for information")]:
        r = cli("connection", args[0], str(conn), *args[1:], "--json")
        assert r.exit_code == 5 and msg in r.json()["error"]["message"], (args, r.stdout)


def test_answering_a_request_that_asked_nothing(registered, ok, cli):
    ok("tenant", "approve", "stadt-musterhausen")
    r = cli("connection", "answer", str(registered), "--message", "hier", "--json", as_="klara.kaemmerer")
    assert r.exit_code == 5
    assert r.json()["error"]["message"] == (f"connection {registered} is requested: nobody asked for information, "
                                            "so there is nothing to answer")


def test_reject_tells_the_customer(registered, ok, rows, mails, actions):
    ok("tenant", "approve", "stadt-musterhausen")
    out = ok("connection", "reject", str(registered), "--reason", "nicht unsere Region", as_="rita.reseller")
    assert (out["state"], out["decision_reason"]) == ("rejected", "nicht unsere Region")
    assert mails("connection_rejected") == [("connection_rejected", "klara@musterhausen.example", "de")]
    assert ("connection.reject", "rita.reseller") in actions()


def test_empty_messages_are_refused(registered, ok, cli):
    ok("tenant", "approve", "stadt-musterhausen")
    r = cli("connection", "request-info", str(registered), "--message", "  ", "--json", as_="rita.reseller")
    assert r.exit_code == 4 and "the question must not be empty" in r.stdout


def test_sides_and_scope_per_role(registered, ok, cli):
    conn = str(registered)
    ok("tenant", "approve", "stadt-musterhausen")
    # the customer cannot decide, the reseller cannot answer, outsiders see nothing
    r = cli("connection", "approve", conn, "--json", as_="klara.kaemmerer")
    assert r.exit_code == 9 and "only an admin of reseller 'acme'" in r.stdout
    ok("connection", "request-info", conn, "--message", "?", as_="rita.reseller")
    r = cli("connection", "answer", conn, "--message", "!", "--json", as_="rita.reseller")
    assert r.exit_code == 9 and "only an admin of customer 'stadt-musterhausen'" in r.stdout
    for login in ("bert.beta", "otto.other", "max.mueller"):
        r = cli("connection", "show", conn, "--json", as_=login)
        assert r.exit_code == 8, login
        r = cli("connection", "approve", conn, "--json", as_=login)
        assert r.exit_code == 8, login

    def ids(login=None):
        return sorted(c["id"] for c in ok("connection", "list", as_=login))

    everything = ids()
    assert len(everything) == 3  # acme→mueller, beta→other, acme→stadt-musterhausen
    assert ids("rita.reseller") == sorted([everything[0], registered])
    assert ids("klara.kaemmerer") == [registered]
    assert ids("bert.beta") == ids("otto.other") == [everything[1]]
    assert [c["id"] for c in ok("connection", "list", "--state", "info_requested")] == [registered]
    assert [c["id"] for c in ok("connection", "list", "--search", "musterhausen")] == [registered]


def test_operator_registration_decisions(registered, ok, cli, rows, mails, actions):
    r = cli("tenant", "approve", "stadt-musterhausen", "--json", as_="rita.reseller")
    assert r.exit_code == 9 and "only the operator approves or rejects registrations" in r.stdout
    out = ok("tenant", "reject", "stadt-musterhausen", "--reason", "Dublette", as_="olga.peters")
    assert out["status"] == "rejected"
    [t] = rows(Tenant, key="stadt-musterhausen")
    assert (t.decided_by, t.decision_reason) == ("olga.peters", "Dublette")
    [c] = rows(Connection, id=registered)
    assert (c.state, c.decision_reason) == ("rejected", "Dublette")
    assert mails("registration_rejected") == [("registration_rejected", "klara@musterhausen.example", "de")]
    assert mails("connection_requested") == []
    assert ("tenant.reject", "olga.peters") in actions()
    r = cli("tenant", "approve", "stadt-musterhausen", "--json")
    assert r.exit_code == 5 and r.json()["error"]["message"] == (
        "tenant 'stadt-musterhausen' is rejected; only a pending_approval tenant can be approved")
    r = cli("tenant", "reject", "acme", "--json")
    assert r.exit_code == 5 and "tenant 'acme' is active" in r.stdout


def test_an_active_connection_cannot_be_deleted(registered, ok, cli, rows, actions):
    r = cli("connection", "delete", "1", "--yes", "--json")  # acme→mueller, active
    assert r.exit_code == 5
    assert r.json()["error"]["message"] == "rule: an active connection cannot be deleted: connection 1 is active"
    r = cli("connection", "delete", str(registered), "--json")
    assert r.exit_code == 3  # confirmation needed
    r = cli("connection", "delete", str(registered), "--yes", "--json", as_="bert.beta")
    assert r.exit_code == 8
    ok("connection", "delete", str(registered), "--yes", as_="rita.reseller")
    assert rows(Connection, id=registered) == []
    assert ("connection.delete", "rita.reseller") in actions()


def test_rules_in_one_place():
    from tenantctl.store.errors import Conflict
    from tenantctl.store.services.connections import opposite_kind, pair

    def t(key, kind):
        return Tenant(key=key, name=key, kind=kind, created_by="t")

    r, c, o = t("r", "reseller"), t("c", "customer"), t("op", "operator")
    assert pair(c, r) == (r, c) and pair(r, c) == (r, c)
    for a, b, text in [(c, t("c2", "customer"), "no customer↔customer"),
                       (r, t("r2", "reseller"), "no reseller↔reseller"),
                       (o, c, "rule: the operator cannot be connected"), (r, o, "rule: the operator cannot")]:
        with pytest.raises(Conflict, match=text):
            pair(a, b)
    assert opposite_kind("reseller") == "customer" and opposite_kind("customer") == "reseller"


def test_fixed_currency_cannot_change_when_a_rejected_connection_is_reopened(registered, ok, cli, partner_link, rows):
    ok("tenant", "approve", "stadt-musterhausen")
    ok("connection", "reject", str(registered), as_="rita.reseller")
    link = partner_link("--currency", "CHF")["link"]
    r = cli("invite", "accept", "--json", input=link, as_="klara.kaemmerer")
    assert r.exit_code == 5
    assert r.json()["error"]["message"] == "the currency is fixed at EUR and cannot change to CHF"
    link = partner_link("--currency", "EUR")["link"]
    data = ok("invite", "accept", input=link, as_="klara.kaemmerer")
    assert (data["connection"], data["connection_state"]) == (registered, "requested")


def _os_user():
    from tenantctl.store.actor import os_user

    return os_user()
