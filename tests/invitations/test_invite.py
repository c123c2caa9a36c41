"""invite create|list|show|revoke|reissue: options, bad input, one-time display, scope, audit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tenantctl.store.models import AuditEvent, Invitation, OutboxMail

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

INVALID = "this invitation link is not valid: unknown, already used, revoked or expired"


def test_create_prints_the_link_once_and_stores_only_its_hash(world, cli, ok, partner_link, rows, actions):
    data = partner_link("--customer-name", "Neukunde GmbH", "--customer-number", "20001", "--currency", "chf",
                        "--billing", "reseller", "--message", "Willkommen!", "--expires-in", "14d")
    assert data["link"] == f"https://platform.example/invite/{data['token']}"
    assert data["status"] == "pending" and data["kind"] == "partner" and data["from"] == "acme"
    assert (data["currency"], data["customer_number"], data["billing"]) == ("CHF", "20001", "reseller")
    assert (data["uses"], data["max_uses"], data["invited_by"]) == (0, 1, "rita.reseller")
    [inv] = rows(Invitation)
    assert inv.token_hash == hashlib.sha256(data["token"].encode()).hexdigest()
    assert timedelta(days=13, hours=23) < inv.expires_at - inv.created_at <= timedelta(days=14)
    # never again: not in list, show, the audit log or the outbox
    shown = cli("invite", "show", str(inv.id), "--json", as_="rita.reseller").stdout
    listed = cli("invite", "list", "--json", as_="rita.reseller").stdout
    audit = str([e.details for e in rows(AuditEvent)])
    for text in (shown, listed, audit):
        assert data["token"] not in text and inv.token_hash not in text
    assert "link" not in ok("invite", "show", str(inv.id), as_="rita.reseller")
    assert rows(OutboxMail) == []
    assert actions("invitation.") == [("invitation.create", "rita.reseller")]


def test_human_output_shows_the_link_and_warns_on_stderr(world, cli):
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", as_="rita.reseller")
    assert r.exit_code == 0
    assert "link: https://platform.example/invite/" in r.stdout
    assert "shown only this once" in r.stderr


def test_send_queues_a_mail_without_token_and_the_link_is_minted_at_delivery(world, ok, store, rows, actions):
    from tenantctl.store.services.invitations import hash_token, mint_for_mail
    from tenantctl.store.settings import load_settings

    data = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "Chef@Neukunde.example",
              "--customer-name", "Neukunde GmbH", "--send", as_="rita.reseller")
    assert "link" not in data and "token" not in data and data["sent_to"] == "Chef@neukunde.example"
    [mail] = rows(OutboxMail, template="invitation_partner")
    assert (mail.to_address, mail.language, mail.ref_type, mail.ref_id) == (
        "Chef@neukunde.example", "de", "invitation", data["id"])
    assert "link" not in mail.context and "token" not in str(mail.context)
    assert mail.context["customer_name"] == "Neukunde GmbH" and mail.context["invitee_kind"] == "customer"
    assert actions("invitation.") == [("invitation.create", "rita.reseller"), ("invitation.send", "rita.reseller")]
    before = rows(Invitation)[0].token_hash
    with store.transaction() as s:
        first = mint_for_mail(s, data["id"], load_settings())
    with store.transaction() as s:
        second = mint_for_mail(s, data["id"], load_settings())
    assert first and second and first["link"] != second["link"]
    stored = rows(Invitation)[0].token_hash
    assert stored != before and stored == hash_token(second["link"].rsplit("/", 1)[1])


def test_mint_for_mail_returns_none_once_the_invitation_is_no_longer_pending(world, ok, store):
    from tenantctl.store.services.invitations import mint_for_mail
    from tenantctl.store.settings import load_settings

    data = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "a@b.example", "--send",
              as_="rita.reseller")
    ok("invite", "revoke", str(data["id"]), as_="rita.reseller")
    with store.transaction() as s:
        assert mint_for_mail(s, data["id"], load_settings()) is None


def test_member_invitation(world, ok, rows):
    data = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "anna@agentur.example",
              "--role", "admin", "--send", as_="max.mueller")
    assert (data["kind"], data["role"], data["from"], data["email"]) == ("member", "admin", "mueller",
                                                                         "anna@agentur.example")
    assert [(m.template, m.to_address) for m in rows(OutboxMail)] == [("invitation_member", "anna@agentur.example")]


BAD = [
    (["--kind", "partner", "--from", "acme", "--currency", "XYZ"], 4, "unknown currency 'XYZ'"),
    (["--kind", "partner", "--from", "acme", "--expires-in", "0d"], 4, "must be more than zero"),
    (["--kind", "partner", "--from", "acme", "--expires-in", "-1d"], 4, "must be more than zero"),
    (["--kind", "partner", "--from", "acme", "--expires-in", "31d"], 4, "maximum of 30 days"),
    (["--kind", "partner", "--from", "acme", "--max-uses", "0"], 4, "--max-uses 0 is out of range"),
    (["--kind", "partner", "--from", "acme", "--send"], 4, "--send needs the invitee's e-mail"),
    (["--kind", "partner", "--from", "acme", "--email", "rita@acme.example"], 4, "your own address"),
    (["--kind", "partner", "--from", "acme", "--role", "admin"], 4, "--role belongs to member invitations"),
    (["--kind", "partner", "--from", "acme", "--email", "not-an-address"], 4, "invalid e-mail"),
    (["--kind", "member", "--tenant", "acme", "--role", "member"], 4, "needs the person's e-mail"),
    (["--kind", "member", "--tenant", "acme", "--email", "x@y.example"], 4, "needs the role"),
    (["--kind", "member", "--tenant", "acme", "--email", "x@y.example", "--role", "member", "--max-uses", "2"],
     4, "works once"),
    (["--kind", "member", "--tenant", "acme", "--email", "x@y.example", "--role", "member", "--currency", "EUR"],
     4, "belong to partner invitations"),
    (["--kind", "member", "--tenant", "mueller", "--email", "mia@mueller.example", "--role", "admin"],
     5, "mia.meier is already a member of 'mueller'"),
    (["--kind", "partner", "--from", "nowhere"], 8, "tenant 'nowhere' not found"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD, ids=[m for _, _, m in BAD])
def test_bad_input_changes_nothing(world, cli, rows, args, code, message):
    events = len(rows(AuditEvent))
    r = cli("invite", "create", *args, "--json", as_="rita.reseller")
    assert r.exit_code == code, r.stdout
    assert message in r.json()["error"]["message"]
    assert rows(Invitation) == [] and rows(OutboxMail) == [] and len(rows(AuditEvent)) == events


def test_invitation_to_the_inviters_own_tenant_is_refused(world, cli, rows):
    r = cli("invite", "create", "--kind", "partner", "--from", "mueller", "--email", "mia@mueller.example", "--json",
            as_="max.mueller")
    assert r.exit_code == 4 and "belongs to 'mueller' itself" in r.json()["error"]["message"]
    assert rows(Invitation) == []


def test_operator_cannot_send_partner_invitations_and_names_the_rule(world, cli):
    r = cli("invite", "create", "--kind", "partner", "--from", "platform", "--json")
    assert r.exit_code == 5
    assert r.json()["error"]["message"].startswith("rule: the operator cannot be connected")


def test_list_filters_and_search(world, ok, partner_link, store):
    a = partner_link("--customer-name", "Alpha GmbH", "--customer-number", "A-1")
    b = partner_link("--customer-name", "Beta KG", "--email", "einkauf@beta-kg.example")
    m = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "x@agentur.example",
           "--role", "member", as_="max.mueller")
    ok("invite", "revoke", str(b["id"]), as_="rita.reseller")
    _expire(store, a["id"])

    def ids(*args, as_="olga.peters"):
        return [i["id"] for i in ok("invite", "list", *args, as_=as_)]

    assert ids() == [m["id"], b["id"], a["id"]]
    assert ids("--status", "expired") == [a["id"]]
    assert ids("--status", "revoked") == [b["id"]]
    assert ids("--status", "pending") == [m["id"]]
    assert ids("--kind", "member") == [m["id"]]
    assert ids("--search", "alpha") == ids("--search", "a-1") == [a["id"]]
    assert ids("--search", "BETA-KG.example") == [b["id"]]
    assert ok("invite", "show", str(a["id"]))["status"] == "expired"
    row = ok("invite", "list", "--search", "alpha")[0]
    assert {"status", "kind", "invited_by", "email", "customer_name", "customer_number", "created_at",
            "expires_at", "uses", "max_uses"} <= set(row)


def _expire(store, inv_id):
    from sqlalchemy import update

    from tenantctl.store.types import utcnow

    with store.transaction() as s:
        s.execute(update(Invitation).where(Invitation.id == inv_id).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_revoke_makes_the_link_invalid_at_once_and_keeps_the_record(world, cli, ok, partner_link, rows, actions):
    data = partner_link()
    out = ok("invite", "revoke", str(data["id"]), as_="rita.reseller")
    assert out["status"] == "revoked" and out["revoked_by"] == "rita.reseller"
    r = cli("invite", "accept", "--json", input=data["link"], as_="otto.other")
    assert (r.exit_code, r.json()["error"]["message"]) == (4, INVALID)
    again = cli("invite", "revoke", str(data["id"]), "--json", as_="rita.reseller")
    assert again.exit_code == 5
    assert again.json()["error"]["message"].startswith(f"invitation {data['id']} is revoked")
    assert [i.status for i in rows(Invitation)] == ["revoked"]
    assert ("invitation.revoke", "rita.reseller") in actions()


def test_reissue_gives_a_new_link_and_lifetime_and_kills_the_old_one(world, cli, ok, partner_link, store, rows,
                                                                     actions):
    data = partner_link()
    _expire(store, data["id"])
    new = ok("invite", "reissue", str(data["id"]), "--expires-in", "2d", as_="rita.reseller")
    assert new["status"] == "pending" and new["reissued"] == 1 and new["token"] != data["token"]
    old = cli("invite", "accept", "--json", input=data["link"], as_="otto.other")
    assert (old.exit_code, old.json()["error"]["message"]) == (4, INVALID)
    assert ("invitation.reissue", "rita.reseller") in actions()
    ok("invite", "revoke", str(data["id"]), as_="rita.reseller")
    r = cli("invite", "reissue", str(data["id"]), "--json", as_="rita.reseller")
    assert r.exit_code == 5 and "is revoked; only a pending or expired invitation can be reissued" in r.stdout


def test_reissue_send_queues_a_new_mail(world, ok, rows):
    data = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "a@neu.example", "--send",
              as_="rita.reseller")
    out = ok("invite", "reissue", str(data["id"]), "--send", as_="rita.reseller")
    assert "token" not in out
    assert [(m.template, m.ref_id) for m in rows(OutboxMail)] == [("invitation_partner", data["id"])] * 2


# -- scope per role ------------------------------------------------------------------------------

def test_scope_per_role(world, cli, ok, partner_link):
    acme = partner_link("--email", "max@mueller.example")  # addressed to mueller's admin
    member = ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "anna@agentur.example",
                "--role", "member", as_="rita.reseller")  # the reseller acts for its customer
    beta = partner_link(origin="beta", as_="bert.beta")
    every = {acme["id"], member["id"], beta["id"]}

    def ids(login, *args):
        return {i["id"] for i in ok("invite", "list", *args, as_=login)}

    assert ids("olga.peters") == every
    assert ids("rita.reseller") == ids("rita.reseller", "--sent") == {acme["id"], member["id"]}
    assert ids("bert.beta") == {beta["id"]}
    assert ids("max.mueller", "--received") == {acme["id"]}
    assert ids("max.mueller", "--sent") == {member["id"]}  # sent in mueller's name
    assert ids("max.mueller") == {acme["id"], member["id"]}
    assert ids("otto.other") == set()
    # out of scope: not found; received but not sent: may see, may not change
    for verb in ("show", "revoke", "reissue"):
        r = cli("invite", verb, str(acme["id"]), "--json", as_="bert.beta")
        assert r.exit_code == 8, (verb, r.stdout)
    assert ok("invite", "show", str(acme["id"]), as_="max.mueller")["id"] == acme["id"]
    r = cli("invite", "revoke", str(acme["id"]), "--json", as_="max.mueller")
    assert r.exit_code == 9 and "only its sender can change it" in r.stdout
    # creating: a plain member cannot, an admin of another tenant cannot
    r = cli("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "z@z.example", "--role",
            "member", "--json", as_="mia.meier")
    assert r.exit_code == 9
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", "--json", as_="bert.beta")
    assert r.exit_code == 8
    r = cli("invite", "create", "--kind", "partner", "--from", "mueller", "--json", as_="rita.reseller")
    assert r.exit_code == 9 and "is not an admin of 'mueller'" in r.stdout
    # the operator may act on anything
    assert ok("invite", "revoke", str(beta["id"]))["revoked_by"].startswith("operator:")
