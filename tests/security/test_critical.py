"""Issue 9's critical reproductions, run as written through the CLI. None may work; after each
refusal the store is unchanged (every table's rows, audit log included)."""

from __future__ import annotations

import pytest

OLGA = "olga.peters"  # an operator admin


@pytest.fixture(autouse=True)
def _both(backend):
    return backend


# -- 1. account takeover through bulk password links ----------------------------------------------

def test_customer_admin_cannot_pull_an_operator_admin_into_its_tenant(attack_world, cli, unchanged, links_of):
    snap = unchanged()
    r = cli("member", "add", OLGA, "--tenant", "mueller", "--json", as_="max.mueller")
    assert r.exit_code == 8
    assert r.json()["error"]["message"] == "user 'olga.peters' not found"  # same as for an unknown login
    assert "send a member invitation" in r.json()["error"]["hint"]
    snap()
    r = cli("password", "send-link", "--tenant", "mueller", "--print-link", "--json", as_="max.mueller")
    assert r.exit_code == 0
    assert OLGA not in r.stdout and links_of(OLGA) == []
    # nothing about her leaks through user show either
    r = cli("user", "show", OLGA, "--json", as_="max.mueller")
    assert r.exit_code == 8 and "ops@example.com" not in r.stdout


def test_bulk_link_skips_a_member_whom_the_admin_does_not_fully_manage(attack_world, cli, ok, unchanged, links_of):
    ok("member", "add", OLGA, "--tenant", "mueller")  # the operator may; now olga is in max's tenant
    snap = unchanged()
    r = cli("password", "send-link", OLGA, "--print-link", "--json", as_="max.mueller")
    assert r.exit_code == 9 and "may not change user 'olga.peters'" in r.json()["error"]["message"]
    snap()
    r = cli("password", "send-link", "--tenant", "mueller", "--print-link", as_="max.mueller")
    assert r.exit_code == 0
    assert "skipped 2 user(s) who also belong to tenants outside your scope" in r.stderr  # olga and anna
    assert OLGA not in r.stdout and "anna.agentur" not in r.stdout
    assert links_of(OLGA) == [] and links_of("anna.agentur") == []
    assert len(links_of("mia.meier")) == 1


def test_reseller_bulk_links_skip_the_agency_user_of_the_other_resellers_customer(attack_world, cli, links_of):
    r = cli("password", "send-link", "--without-password", "--print-link", "--json", as_="rita.reseller")
    assert r.exit_code == 0
    data = r.json()["data"]
    assert {row["login"] for row in data["links"]} == {"rita.reseller", "max.mueller", "mia.meier",
                                                       "bianca.billing"}
    assert data["skipped_outside_scope"] == 1 and "anna.agentur" not in r.stdout
    assert links_of("anna.agentur") == []


def test_outsider_with_a_standing_partner_invitation_gets_no_rights(attack_world, cli, ok, unchanged, links_of):
    link = ok("invite", "create", "--kind", "partner", "--from", "acme", "--max-uses", "100",
              as_="rita.reseller")["link"]
    ok("invite", "accept", "--organisation", "Evil GmbH", "--first-name", "Eve", "--last-name", "Vil",
       "--email", "eve@evil.example", input=link)  # registered, pending approval
    snap = unchanged()
    for argv in (("member", "add", OLGA, "--tenant", "evil-gmbh"),
                 ("password", "send-link", "--tenant", "evil-gmbh", "--print-link")):
        r = cli(*argv, "--json", as_="eve.vil")
        assert r.exit_code == 9 and "belongs to no active tenant" in r.json()["error"]["message"]
    snap()
    assert links_of(OLGA) == []


def test_outsider_without_registration_approval_still_cannot_reach_others(attack_world, cli, ok, unchanged,
                                                                          links_of, monkeypatch):
    monkeypatch.setenv("TENANTCTL_REGISTRATION_APPROVAL", "0")
    link = ok("invite", "create", "--kind", "partner", "--from", "acme", "--max-uses", "100",
              as_="rita.reseller")["link"]
    ok("invite", "accept", "--organisation", "Evil GmbH", "--first-name", "Eve", "--last-name", "Vil",
       "--email", "eve@evil.example", input=link)  # active at once, connection requested
    snap = unchanged()
    r = cli("member", "add", OLGA, "--tenant", "evil-gmbh", "--json", as_="eve.vil")
    assert r.exit_code == 8
    snap()
    data = ok("password", "send-link", "--tenant", "evil-gmbh", "--print-link", as_="eve.vil")
    assert [row["login"] for row in data["links"]] == ["eve.vil"] and links_of(OLGA) == []


# -- 2. init ignores --as and promotes --------------------------------------------------------------

def test_init_as_a_customer_admin_is_refused(attack_world, cli, unchanged):
    snap = unchanged()
    r = cli("init", "--admin-email", "max@mueller.example", "--admin-first-name", "C", "--admin-last-name", "A",
            "--json", as_="max.mueller")
    assert r.exit_code == 9
    assert r.json()["error"]["message"] == "max.mueller may not run init: it is for the operator"
    snap()


def test_init_never_promotes_an_existing_user(attack_world, cli, unchanged):
    snap = unchanged()
    r = cli("init", "--admin-email", "max@mueller.example", "--admin-first-name", "C", "--admin-last-name", "A",
            "--json")
    assert r.exit_code == 5
    assert "init does not promote existing users" in r.json()["error"]["message"]
    snap()


def test_init_as_the_operator_admin_is_allowed_and_idempotent(attack_world, ok, unchanged):
    snap = unchanged()
    data = ok("init", "--admin-email", "ops@example.com", "--admin-first-name", "Olga", "--admin-last-name",
              "Peters", as_=OLGA)
    assert (data["admin"], data["created"]) == (OLGA, [])
    snap()


# -- 3. the inviter accepts for the invitee ---------------------------------------------------------

def test_reseller_cannot_accept_its_invitation_for_an_unconnected_customer(attack_world, cli, ok, unchanged):
    token = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "sam@solo.example",
               as_="rita.reseller")["token"]
    snap = unchanged()
    r = cli("invite", "accept", "--json", input=token + "\n")  # the token alone, no --as
    assert r.exit_code == 9 and "needs that person, acting as themselves" in r.json()["error"]["message"]
    r = cli("invite", "accept", "--json", input=token + "\n", as_="rita.reseller")  # the inviter itself
    assert r.exit_code == 9 and "only the invitee can accept it" in r.json()["error"]["message"]
    snap()
    data = ok("invite", "accept", input=token + "\n", as_="sam.solo")  # the invitee's own consent works
    assert (data["tenant"], data["connection_state"]) == ("solo", "requested")


def test_customer_cannot_bind_itself_to_a_paying_reseller(attack_world, cli, ok, unchanged, monkeypatch):
    monkeypatch.setenv("TENANTCTL_EXCLUSIVE_RESELLER", "0")
    snap = unchanged()
    r = cli("invite", "create", "--kind", "partner", "--from", "mueller", "--email", "bert@beta.example",
            "--billing", "reseller", "--json", as_="max.mueller")
    assert r.exit_code == 9 and "set by the reseller" in r.json()["error"]["message"]
    snap()
    token = ok("invite", "create", "--kind", "partner", "--from", "mueller", "--email", "bert@beta.example",
               as_="max.mueller")["token"]
    snap = unchanged()
    r = cli("invite", "accept", "--json", input=token + "\n")
    assert r.exit_code == 9
    r = cli("invite", "accept", "--json", input=token + "\n", as_="max.mueller")
    assert r.exit_code == 9
    snap()
    # a customer admin cannot turn itself into the admin of a new reseller through its own invitation
    standing = ok("invite", "create", "--kind", "partner", "--from", "mueller", "--max-uses", "5",
                  as_="max.mueller")["token"]
    snap = unchanged()
    for who in ("max.mueller", "anna.agentur"):  # the inviter, and another admin of the sending tenant
        r = cli("invite", "accept", "--organisation", "Max Reseller", "--json", input=standing + "\n", as_=who)
        assert r.exit_code == 9, r.stdout
    assert "a tenant you administer" in r.json()["error"]["message"]
    snap()
