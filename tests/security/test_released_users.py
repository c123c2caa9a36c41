"""A person removed from their last tenant can be brought back by that tenant's managers (its admins,
its reseller's admins, the operator): same login, no duplicate, through member add, user create
--if-not-exists and apply alike; the removal warns. Nobody else reaches the person, and whoever
claims them later takes the right over (docs/security.md)."""

import pytest
from fingerprint import fingerprint
from sqlmodel import select

from tenantctl.store.models import Membership, User

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP

WARNED = ("mia.meier now belongs to no tenant and cannot log in; an admin of mueller (or of its reseller) can "
          "bring them back: tenantctl member add mia.meier --tenant KEY")


def people(store):
    with store.transaction(write=False) as s:
        users = {u.login: u.id for u in s.exec(select(User)).all()}
        members = sorted((u, t) for u, t in s.exec(select(Membership.user_id, Membership.tenant_id)).all())
    return users, members


def stored(store):
    """Every table but the API tokens (remote mode issues one per actor)."""
    return {k: v for k, v in fingerprint(store).items() if k != "api_token"}


def release_mia(cli, as_="rita.reseller"):
    r = cli("member", "remove", "mia.meier", "--tenant", "mueller", "--yes", "--json", as_=as_)
    assert r.exit_code == 0, r.stdout
    assert r.json()["warnings"] == [WARNED]
    return r


def test_removal_warns_and_the_releasing_tenant_brings_the_same_person_back(backend, world, cli, ok, store):
    before_users, before_members = people(store)
    human = cli("member", "remove", "mia.meier", "--tenant", "mueller", "--yes", as_="max.mueller")
    assert human.exit_code == 0 and WARNED in human.stderr
    shown = cli("user", "show", "mia.meier", "--json", as_="max.mueller")  # the customer admin still sees her
    assert shown.exit_code == 0, shown.stdout
    assert shown.json()["data"]["memberships"] == []
    assert shown.json()["warnings"] == [
        "mia.meier belongs to no tenant since mueller removed them; an admin of mueller (or of its reseller) can "
        "bring them back: tenantctl member add mia.meier --tenant KEY"]
    assert ok("user", "show", "--email", "mia@mueller.example", as_="rita.reseller")["login"] == "mia.meier"
    assert "mia.meier" in [u["login"] for u in ok("user", "list", as_="max.mueller")]
    back = ok("member", "add", "mia.meier", "--tenant", "mueller", "--role", "member", as_="max.mueller")
    assert back["action"] == "created" and back["login"] == "mia.meier"
    assert people(store) == (before_users, before_members)  # the same account, the same membership
    assert "warnings" not in cli("user", "show", "mia.meier", "--json", as_="max.mueller").json()


def test_the_resellers_admin_may_bring_the_person_back_into_another_of_its_tenants(world, cli, ok, store):
    release_mia(cli, as_="max.mueller")
    back = ok("member", "add", "mia@mueller.example", "--tenant", "acme", as_="rita.reseller")
    assert back["action"] == "created"
    assert [m["tenant"] for m in ok("user", "show", "mia.meier", as_="rita.reseller")["memberships"]] == ["acme"]


def test_user_create_if_not_exists_brings_the_released_person_back(backend, world, cli, ok, store):
    release_mia(cli)
    users_before = people(store)[0]
    plain = cli("user", "create", "--tenant", "mueller", "--first-name", "Mia", "--last-name", "Meier",
                "--email", "mia@mueller.example", "--json", as_="rita.reseller")
    assert plain.exit_code == 5
    assert plain.json()["error"]["hint"] == "add a membership instead: tenantctl member add mia@mueller.example " \
                                            "--tenant KEY"
    other_name = cli("user", "create", "--tenant", "mueller", "--first-name", "Maria", "--last-name", "Meier",
                     "--email", "mia@mueller.example", "--if-not-exists", "--json", as_="rita.reseller")
    assert other_name.exit_code == 5
    assert other_name.json()["error"]["details"]["differences"] == {
        "first_name": {"stored": "Mia", "given": "Maria"}}
    assert people(store)[1] == sorted(people(store)[1])  # nothing attached by the refusal
    back = ok("user", "create", "--tenant", "mueller", "--first-name", "Mia", "--last-name", "Meier",
              "--email", "mia@mueller.example", "--role", "billing", "--if-not-exists", as_="rita.reseller")
    assert back["action"] == "updated" and back["login"] == "mia.meier"
    assert back["memberships"] == [{"tenant": "mueller", "tenant_name": "Müller & Söhne GmbH", "kind": "customer",
                                    "role": "billing"}]
    again = ok("user", "create", "--tenant", "mueller", "--first-name", "Mia", "--last-name", "Meier",
               "--email", "mia@mueller.example", "--role", "billing", "--if-not-exists", as_="rita.reseller")
    assert again["action"] == "unchanged"
    assert people(store)[0] == users_before


def test_apply_prune_warns_and_apply_brings_the_person_back(backend, world, cli, ok, store, tmp_path):
    only_max = tmp_path / "only-max.yaml"
    only_max.write_text("tenants:\n  - name: Müller & Söhne GmbH\n    key: mueller\n    reseller: acme\n"
                        "    users:\n      - {email: max@mueller.example, first_name: Max, last_name: Müller, "
                        "role: admin}\n", encoding="utf-8")
    pruned = cli("apply", "-f", str(only_max), "--prune", "--yes", "--json", as_="rita.reseller")
    assert pruned.exit_code == 0, pruned.stdout
    assert pruned.json()["warnings"] == [WARNED]
    assert ok("user", "show", "mia.meier", as_="rita.reseller")["memberships"] == []
    with_mia = tmp_path / "with-mia.yaml"
    with_mia.write_text(only_max.read_text(encoding="utf-8") + "      - {email: mia@mueller.example, first_name: Mia, "
                        "last_name: Meier}\n", encoding="utf-8")
    users_before = people(store)[0]
    done = ok("apply", "-f", str(with_mia), as_="rita.reseller")
    assert done["counts"]["users"] == {"created": 0, "updated": 1, "unchanged": 1, "deleted": 0}
    assert people(store)[0] == users_before
    assert [m["tenant"] for m in ok("user", "show", "mia.meier", as_="rita.reseller")["memberships"]] == ["mueller"]


def test_nobody_else_reaches_a_released_person(backend, world, cli, store, tmp_path):
    release_mia(cli)
    before = stored(store)
    for who in ("bert.beta", "otto.other"):  # another reseller; another customer's admin
        for args, code in ((("user", "show", "mia.meier"), 8), (("user", "show", "--email", "mia@mueller.example"), 8),
                           (("member", "add", "mia.meier", "--tenant", "other"), 8),
                           (("user", "create", "--tenant", "other", "--first-name", "Mia", "--last-name", "Meier",
                             "--email", "mia@mueller.example", "--if-not-exists"), 8),
                           (("user", "create", "--tenant", "other", "--first-name", "Mia", "--last-name", "Meier",
                             "--email", "mia@mueller.example"), 5)):
            r = cli(*args, "--json", as_=who)
            assert r.exit_code == code, (who, args, r.stdout)
            assert "data" not in r.json() and "'mueller'" not in r.stdout  # nothing about her is told
        assert "mia.meier" not in cli("user", "list", "--json", as_=who).stdout
    assert stored(store) == before
    doc = tmp_path / "claim.yaml"
    doc.write_text("tenants:\n  - name: Other Customer KG\n    key: other\n    reseller: beta\n    users:\n"
                   "      - {email: mia@mueller.example, first_name: Mia, last_name: Meier}\n", encoding="utf-8")
    r = cli("apply", "-f", str(doc), "--json", as_="bert.beta")
    assert r.exit_code == 4
    assert [p["message"] for p in r.json()["error"]["details"]["problems"]] == [
        "a user with e-mail mia@mueller.example already exists outside your tenants; ask them to be added with "
        "tenantctl member add"]  # (the refused run is recorded, as every refused apply)


def test_whoever_claims_the_person_later_takes_the_right_over(backend, world, cli, ok, store):
    release_mia(cli)
    ok("member", "add", "mia.meier", "--tenant", "other")  # the operator: another reseller's customer claims her
    for args in (("user", "show", "mia.meier"), ("member", "add", "mia.meier", "--tenant", "mueller")):
        r = cli(*args, "--json", as_="rita.reseller")
        assert r.exit_code == 8, (args, r.stdout)
    removed = cli("member", "remove", "mia.meier", "--tenant", "other", "--yes", "--json", as_="otto.other")
    assert removed.json()["warnings"] == [WARNED.replace("admin of mueller", "admin of other")]
    assert cli("member", "add", "mia.meier", "--tenant", "mueller", "--json", as_="rita.reseller").exit_code == 8
    assert ok("member", "add", "mia.meier", "--tenant", "beta", as_="bert.beta")["action"] == "created"
