"""Issue 17, sections 1 and 2 for `apply`: a document's people section names tenants (a look-up,
near names named), its text is NFC, and --prune knows a listed person however the address is written."""

import unicodedata

from tests.apply.test_apply import platform, state, write  # noqa: F401  (the fixture)

DOC = """
tenants:
  - name: Bäckerei Kühn GmbH
    reseller: acme
    customer_number: "0042"
    users:
      - {email: "anna@bäckerei-kühn.example", first_name: Anna, last_name: Kühn, role: admin}
      - {email: max@kuehn.example, first_name: Max, last_name: Müller}
"""


def _nfd(s):
    return unicodedata.normalize("NFD", s)


def test_prune_keeps_a_person_listed_in_nfd_or_punycode(backend, platform, ok, store, tmp_path):  # noqa: F811
    ok("apply", "-f", write(tmp_path, DOC))
    members = state(store)[2]
    assert ("anna.kuehn", "baeckerei-kuehn-gmbh") in members and ("max.mueller", "baeckerei-kuehn-gmbh") in members
    # the same document from a Mac (NFD) and with the domain in its ASCII form: nothing to change or prune
    again = _nfd(DOC).replace(_nfd("anna@bäckerei-kühn.example"), "anna@xn--bckerei-khn-l8a43a.example")
    assert "xn--" in again and unicodedata.is_normalized("NFD", again)
    f = write(tmp_path, again, "mac.yaml")
    plan = ok("apply", "-f", f, "--prune", "--dry-run")
    assert plan["action"] == "unchanged", plan
    assert ok("apply", "-f", f, "--prune", "--yes")["action"] == "unchanged"
    assert state(store)[2] == members
    tenants = state(store)[0]
    assert tenants["baeckerei-kuehn-gmbh"].name == "Bäckerei Kühn GmbH"  # NFC, as stored


def test_people_section_names_tenants_and_a_near_name_is_named(backend, platform, ok, cli, store,  # noqa: F811
                                                               tmp_path):
    ok("apply", "-f", write(tmp_path, DOC))
    before = state(store)
    people = """
users:
  - email: lea@agentur.example
    first_name: Lea
    last_name: Lang
    memberships: [{tenant: Baeckerei Kuehn GmbH}]
"""
    r = cli("apply", "-f", write(tmp_path, people, "people.yaml"), "--json")
    assert r.exit_code == 4
    (problem,) = r.json()["error"]["details"]["problems"]
    assert problem["message"] == ("unknown tenant 'Baeckerei Kuehn GmbH': not in the file and not in the store; "
                                  "the stored tenant 'baeckerei-kuehn-gmbh' is 'Bäckerei Kühn GmbH': write it as "
                                  "stored, or use its key")
    assert state(store)[:3] == before[:3]
    # the name as stored, here in NFD and in capitals, names it; the tenant is not changed
    fixed = people.replace("Baeckerei Kuehn GmbH", _nfd("BÄCKEREI KÜHN GMBH"))
    ok("apply", "-f", write(tmp_path, fixed, "people2.yaml"))
    tenants, _, members, _, _ = state(store)
    assert members[("lea.lang", "baeckerei-kuehn-gmbh")] == "member"
    assert tenants["baeckerei-kuehn-gmbh"].name == "Bäckerei Kühn GmbH"
