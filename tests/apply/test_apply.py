"""`tenantctl apply -f`: desired state through the import engine (issue 11)."""

import json
from pathlib import Path

import pytest
from sqlmodel import select

from tenantctl.importers.variables import missing_message
from tenantctl.store.models import AccessRight, ImportRun, Membership, PasswordLink, Tenant, TenantApplication, User

EXAMPLE = Path(__file__).parents[2] / "examples" / "setup.yaml"


@pytest.fixture
def platform(ok, db_url):
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    ok("tenant", "create", "ACME Reseller AG", "--kind", "reseller", "--key", "acme")
    ok("tenant", "create", "Beta Partner GmbH", "--kind", "reseller", "--key", "beta")
    ok("user", "create", "--tenant", "acme", "--first-name", "Rita", "--last-name", "Reseller",
       "--email", "rita@acme.example", "--role", "admin")
    for app in ("Lohnbuchhaltung", "Zeiterfassung", "Dokumente"):
        ok("app", "create", app)
    return "rita.reseller"


def write(tmp_path, text, name="state.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def state(store):
    with store.transaction(write=False) as s:
        tenants = {t.key: t for t in s.exec(select(Tenant)).all()}
        users = {u.email: u for u in s.exec(select(User)).all()}
        members = {(u.login, t.key): m.role for m, u, t in s.exec(
            select(Membership, User, Tenant).join(User, User.id == Membership.user_id)
            .join(Tenant, Tenant.id == Membership.tenant_id)).all()}
        bookings = len(s.exec(select(TenantApplication)).all())
        rights = len(s.exec(select(AccessRight)).all())
    return tenants, users, members, bookings, rights


DOC = """
tenants:
  - name: Müller GmbH
    reseller: acme
    customer_number: "0042"
    currency: EUR
    applications: [lohnbuchhaltung]
    users:
      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: admin, access: [lohnbuchhaltung]}
      - {email: mia@mueller.example, first_name: Mia, last_name: Meier}
  - name: Weiß KG
    reseller: acme
    external_id: crm-7
    users:
      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: member}
      - {email: jo@weiss.example, first_name: Jo, last_name: Weiß, role: admin}
"""


def test_apply_creates_then_a_second_apply_changes_nothing(backend, platform, ok, cli, store, tmp_path):
    f = write(tmp_path, DOC)
    data = ok("apply", "-f", f)
    assert data["action"] == "updated" and data["dry_run"] is False
    assert data["counts"]["tenants"] == {"created": 2, "updated": 0, "unchanged": 0, "deleted": 0}
    tenants, _, members, bookings, rights = state(store)
    assert tenants["mueller-gmbh"].name == "Müller GmbH" and tenants["weiss-kg"].external_id == "crm-7"
    # one person, two memberships
    assert members[("max.mueller", "mueller-gmbh")] == "admin" and members[("max.mueller", "weiss-kg")] == "member"
    assert (bookings, rights) == (1, 1)
    again = ok("apply", "-f", f)
    assert again["action"] == "unchanged" and again["changes"] == []
    assert all(c["created"] == c["updated"] == c["deleted"] == 0 for c in again["counts"].values())
    assert state(store)[2] == members
    r = cli("apply", "-f", f)
    assert r.exit_code == 0 and "tenants: 2 unchanged" in r.stderr


def test_dry_run_prints_the_plan_as_a_diff_and_writes_nothing(platform, ok, cli, store, tmp_path):
    f = write(tmp_path, DOC)
    ok("apply", "-f", f)
    before = state(store)
    edited = DOC.replace("name: Weiß KG", "name: Weiß & Co KG").replace("first_name: Mia", "first_name: Maria")
    r = cli("apply", "-f", write(tmp_path, edited, "edit.yaml"), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "~ tenant weiss-kg  tenants[1]: name Weiß KG → Weiß & Co KG" in r.stdout
    assert "~ user mia.meier  tenants[0].users[1]: first_name Mia → Maria" in r.stdout
    assert "would apply edit.yaml: tenants: 1 changed, 1 unchanged" in r.stderr
    data = ok("apply", "-f", write(tmp_path, edited, "edit.yaml"), "--dry-run")
    assert data["dry_run"] is True and data["run"] is None
    assert {(c["path"], c["action"]) for c in data["changes"]} == {("tenants[1]", "updated"),
                                                                     ("tenants[0].users[1]", "updated")}
    assert state(store) == before


def test_every_problem_at_once_with_its_document_path(platform, cli, store, tmp_path):
    doc = """
tenants:
  - name: Müller GmbH
    reseller: acme
    customer_number: 42
    colour: blue
  - name: Weiß KG
    reseller: acme
    users:
      - {email: max@mueller.example, first_name: Max}
"""
    r = cli("apply", "-f", write(tmp_path, doc), "--json")
    assert r.exit_code == 4
    err = r.json()["error"]
    paths = {p["path"]: p["message"] for p in err["details"]["problems"]}
    assert "quotes" in paths["tenants[0].customer_number"]
    assert "colour" in paths["tenants[0]"]
    assert "last_name" in paths["tenants[1].users[0]"]
    # rules of the engine: each with its path too
    doc = """
tenants:
  - name: Müller GmbH
    reseller: acme
    applications: [nope]
    users:
      - {email: not-an-address, first_name: Max, last_name: Müller}
      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: boss}
"""
    r = cli("apply", "-f", write(tmp_path, doc, "b.yaml"), "--json")
    assert r.exit_code == 4
    paths = {p["path"]: p["message"] for p in r.json()["error"]["details"]["problems"]}
    assert "unknown application 'nope'" in paths["tenants[0].applications"]
    assert "tenants[0].users[0].email" in paths
    assert set(paths) >= {"tenants[0].applications", "tenants[0].users[0].email"}
    assert any(p.startswith("tenants[0].users[1]") for p in paths)
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.key == "mueller-gmbh")).first() is None
        assert {r.state for r in s.exec(select(ImportRun)).all()} == {"rejected"}
    r = cli("apply", "-f", write(tmp_path, doc, "c.yaml"))
    assert "tenants[0].applications: unknown application 'nope'" in r.stderr


def test_variables_from_the_environment(platform, ok, cli, tmp_path):
    doc = "tenants:\n  - {name: Var GmbH, reseller: '${RESELLER}', currency: '${CURRENCY:-CHF}'}\n"
    f = write(tmp_path, doc)
    r = cli("apply", "-f", f, "--json")
    assert r.exit_code == 4
    problems = r.json()["error"]["details"]["problems"]
    assert {"path": "tenants[0].reseller",
            "message": missing_message("RESELLER")} in problems
    data = ok("apply", "-f", f, "--var", "RESELLER=beta")
    assert data["counts"]["tenants"]["created"] == 1
    shown = ok("tenant", "show", "var-gmbh")
    assert (shown["reseller"], shown["currency"]) == ("beta", "CHF")
    # a literal $${...} stays as written
    f2 = write(tmp_path, "tenants:\n  - {name: 'Preis $${X} AG', kind: reseller}\n", "lit.yaml")
    ok("apply", "-f", f2)
    assert ok("tenant", "show", "preis-x-ag")["name"] == "Preis ${X} AG"


def test_tenants_matched_by_key_customer_number_and_external_id(platform, ok, tmp_path):
    ok("tenant", "create", "Alt GmbH", "--kind", "customer", "--reseller", "acme", "--customer-number", "7")
    ok("tenant", "create", "Ext GmbH", "--kind", "customer", "--reseller", "acme", "--external-id", "crm-9")
    doc = """
tenants:
  - {name: Alt & Neu GmbH, reseller: acme, customer_number: "7"}
  - {name: Ext Neu GmbH, reseller: acme, external_id: crm-9}
  - {key: acme, name: ACME Reseller AG, kind: reseller}
"""
    data = ok("apply", "-f", write(tmp_path, doc))
    assert data["counts"]["tenants"] == {"created": 0, "updated": 2, "unchanged": 1, "deleted": 0}
    assert ok("tenant", "show", "alt-gmbh")["name"] == "Alt & Neu GmbH"
    assert ok("tenant", "show", "ext-gmbh")["name"] == "Ext Neu GmbH"


def test_scoped_to_the_actor(platform, ok, cli, tmp_path):
    ok("tenant", "create", "Beta Kunde GmbH", "--kind", "customer", "--reseller", "beta", "--key", "beta-kunde")
    doc = """
tenants:
  - {name: Rita Kunde GmbH, customer_number: "1"}
users:
  - email: spy@acme.example
    first_name: Spy
    last_name: Agent
    memberships: [{tenant: beta-kunde}]
"""
    r = cli("apply", "-f", write(tmp_path, doc), "--json", as_=platform)
    assert r.exit_code == 4
    paths = {p["path"] for p in r.json()["error"]["details"]["problems"]}
    assert "users[0].memberships[0].tenant" in paths
    ok("apply", "-f", write(tmp_path, doc.split("users:")[0], "own.yaml"), as_=platform)
    assert ok("tenant", "show", "rita-kunde-gmbh")["reseller"] == "acme"


def test_prune_removes_unlisted_memberships_and_bookings_asks_and_undoes(backend, platform, ok, cli, store,
                                                                       tmp_path):
    ok("apply", "-f", write(tmp_path, DOC))
    ok("member", "add", "rita@acme.example", "--tenant", "mueller-gmbh")  # not in the document
    ok("tenant", "show", "mueller-gmbh")
    pruned = DOC.replace("applications: [lohnbuchhaltung]", "applications: []").replace(
        ", access: [lohnbuchhaltung]", "")
    f = write(tmp_path, pruned, "pruned.yaml")
    r = cli("apply", "-f", f, "--prune")  # no terminal, no --yes
    assert r.exit_code == 3 and "- membership rita.reseller@mueller-gmbh  tenants[0]" in r.stderr
    assert ("rita.reseller", "mueller-gmbh") in state(store)[2]
    plan = ok("apply", "-f", f, "--prune", "--dry-run")
    assert {(c["type"], c["key"], c["action"]) for c in plan["changes"]} >= {
        ("membership", "rita.reseller@mueller-gmbh", "deleted"), ("booking", "lohnbuchhaltung@mueller-gmbh", "deleted")}
    data = ok("apply", "-f", f, "--prune", "--yes")
    assert data["counts"]["memberships"]["deleted"] == 1 and data["counts"]["bookings"]["deleted"] == 1
    _, users, members, bookings, rights = state(store)
    assert ("rita.reseller", "mueller-gmbh") not in members and "rita@acme.example" in users  # users stay
    assert (bookings, rights) == (0, 0)
    assert ok("apply", "-f", f, "--prune", "--yes")["action"] == "unchanged"
    ok("import", "undo", str(data["run"]), "--yes")
    _, _, members, bookings, rights = state(store)
    assert members[("rita.reseller", "mueller-gmbh")] == "member" and (bookings, rights) == (1, 1)


def test_prune_never_leaves_a_tenant_without_admin(platform, ok, cli, store, tmp_path):
    ok("apply", "-f", write(tmp_path, DOC))
    no_admin = DOC.replace(", role: admin, access: [lohnbuchhaltung]", "")
    no_admin = "\n".join(line for line in no_admin.splitlines() if "max@mueller" not in line or "member" in line)
    r = cli("apply", "-f", write(tmp_path, no_admin, "x.yaml"), "--prune", "--yes", "--json")
    assert r.exit_code == 5 and "without an admin" in r.json()["error"]["message"]
    assert state(store)[2][("max.mueller", "mueller-gmbh")] == "admin"


def test_send_links_new_and_missing(platform, ok, cli, store, tmp_path):
    f = write(tmp_path, DOC)
    data = ok("apply", "-f", f, "--send-links")
    assert data["links_queued"] == 3
    with store.transaction(write=False) as s:
        s.exec(select(PasswordLink)).all()
        first = {link.id for link in s.exec(select(PasswordLink)).all()}
    # everybody holds an open link: nobody gets another
    assert ok("apply", "-f", f, "--send-links=missing")["links_queued"] == 0
    ok("user", "create", "--tenant", "mueller-gmbh", "--first-name", "Neu", "--last-name", "Person",
       "--email", "neu@mueller.example")
    doc = DOC + "      - {email: neu@mueller.example, first_name: Neu, last_name: Person}\n"
    assert ok("apply", "-f", write(tmp_path, doc, "n.yaml"), "--send-links=missing")["links_queued"] == 1
    with store.transaction(write=False) as s:
        links = s.exec(select(PasswordLink)).all()
    assert first <= {link.id for link in links} and len(links) == 4
    said = cli("apply", "-f", write(tmp_path, doc, "n.yaml"), "--send-links=missing").stderr
    assert "queued 0" not in said  # nothing to send: no line about it
    doc2 = doc + "      - {email: zwei@mueller.example, first_name: Zwei, last_name: Person}\n"
    said = cli("apply", "-f", write(tmp_path, doc2, "z.yaml"), "--send-links=missing").stderr
    assert "queued 1 password link\n" in said and "link(s)" not in said


def test_schema_stdin_and_json_documents(platform, ok, cli, tmp_path):
    r = cli("apply", "--schema")
    schema = json.loads(r.stdout)
    assert schema["$schema"].endswith("2020-12/schema") and "tenant" in schema["$defs"]
    doc = json.dumps({"tenants": [{"name": "Json GmbH", "reseller": "acme"}]})
    data = ok("apply", "-f", "-", input=doc)
    assert data["counts"]["tenants"]["created"] == 1
    r = cli("apply", "-f", write(tmp_path, "tenants: [\n", "bad.yaml"))
    assert r.exit_code == 4 and "bad.yaml is not valid YAML" in r.stderr
    r = cli("apply", "-f", write(tmp_path, "!!python/object/apply:os.system ['true']", "evil.yaml"))
    assert r.exit_code == 4 and "not valid YAML" in r.stderr


def test_the_example_applies_twice(platform, ok, cli, tmp_path):
    first = ok("apply", "-f", str(EXAMPLE), "--var", "RESELLER=acme")
    assert first["counts"]["tenants"]["created"] == 2 and first["counts"]["users"]["created"] >= 5
    assert ok("apply", "-f", str(EXAMPLE), "--var", "RESELLER=acme")["action"] == "unchanged"
    assert ok("tenant", "show", "--customer-number", "0815", "--reseller", "acme")["currency"] == "EUR"


def test_workflow_export_edit_dry_run_apply(platform, ok, cli, tmp_path):
    """The README's workflow, as CI runs it: export → edit → apply --dry-run → apply."""
    ok("apply", "-f", write(tmp_path, DOC))
    exported = cli("export", "-o", "yaml")
    assert exported.exit_code == 0
    setup = tmp_path / "setup.yaml"
    setup.write_text(exported.stdout, encoding="utf-8")
    assert ok("apply", "-f", str(setup))["action"] == "unchanged"  # the round trip changes nothing
    setup.write_text(exported.stdout.replace("name: Weiß KG", "name: Weiß GmbH"), encoding="utf-8")
    plan = cli("apply", "-f", str(setup), "--dry-run")
    assert plan.exit_code == 0 and "~ tenant weiss-kg" in plan.stdout and "Weiß KG → Weiß GmbH" in plan.stdout
    assert ok("apply", "-f", str(setup))["counts"]["tenants"]["updated"] == 1
    assert ok("tenant", "show", "weiss-kg")["name"] == "Weiß GmbH"
    assert ok("apply", "-f", str(setup))["action"] == "unchanged"
    as_json = cli("export", "-o", "json")
    (tmp_path / "setup.json").write_text(as_json.stdout, encoding="utf-8")
    assert ok("apply", "-f", str(tmp_path / "setup.json"))["action"] == "unchanged"


def test_a_workbook_may_name_a_person_for_two_tenants_but_not_twice_for_one(platform, ok, cli, store, tmp_path):
    """The engine's side of several memberships: a repeated e-mail is a further membership."""
    from tests.imports.conftest import write_xlsx

    header = ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle"]
    book = write_xlsx(tmp_path / "flat.xlsx", {
        "Mandanten": [["Name", "Reseller"], ["Eins GmbH", "acme"], ["Zwei GmbH", "acme"]],
        "Benutzer": [header, ["Anna", "Agentur", "anna@agentur.example", "Eins GmbH", "admin"],
                     ["Anna", "Agentur", "anna@agentur.example", "Zwei GmbH", "member"]]})
    ok("import", "run", str(book))
    members = state(store)[2]
    assert members[("anna.agentur", "eins-gmbh")] == "admin" and members[("anna.agentur", "zwei-gmbh")] == "member"
    twice = write_xlsx(tmp_path / "twice.xlsx", {
        "Benutzer": [header, ["Bob", "B", "bob@b.example", "eins-gmbh", "admin"],
                     ["Bob", "B", "bob@b.example", "eins-gmbh", "member"],
                     ["Bobby", "B", "bob@b.example", "zwei-gmbh", "member"]]})
    r = cli("import", "run", str(twice), "--json")
    assert r.exit_code == 4
    messages = [p["message"] for p in r.json()["error"]["details"]["problems"]]
    assert "e-mail bob@b.example also in row 2" in messages  # the same tenant twice
    assert any(m.startswith("e-mail bob@b.example also in row 2, with another name") for m in messages)


def test_nested_users_belong_to_exactly_their_tenant(platform, ok, cli, store, tmp_path):
    """A customer number used at another reseller (or a common name) does not make the users of a
    document's tenant ambiguous: they belong to the tenant they are listed under."""
    ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "beta", "--customer-number", "0042")
    data = ok("apply", "-f", write(tmp_path, DOC))
    assert (data["counts"]["users"]["created"], data["counts"]["memberships"]["created"]) == (3, 1)
    members = state(store)[2]
    assert members[("max.mueller", "mueller-gmbh-2")] == "admin" and ("max.mueller", "mueller-gmbh") not in members
    # a tenant with a problem: its users say so, at their own paths
    bad = DOC.replace("currency: EUR", "currency: XYZ")
    r = cli("apply", "-f", write(tmp_path, bad, "bad.yaml"), "--json")
    problems = r.json()["error"]["details"]["problems"]
    assert any(p["path"] == "tenants[0].currency" for p in problems)
    assert "\\x00" not in r.stdout and all("\x00" not in p["message"] for p in problems)


def test_each_problem_once_per_path_in_document_terms(platform, cli, tmp_path):
    """A bad value is reported once at its path (the schema's finding, not again by the engine's
    rules), and the engine's messages name document paths, never rows."""
    doc = """
tenants:
  - name: Müller GmbH
    reseller: acme
    applications: [nope]
    users:
      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: boss}
      - {email: mia@mueller.example, first_name: Mia, last_name: Meier}
  - name: Weiß KG
    reseller: acme
    users:
      - {email: jo@weiss.example, first_name: Jo, last_name: Weiß}
      - {email: JO@weiss.example, first_name: Jo, last_name: Weiß}
"""
    r = cli("apply", "-f", write(tmp_path, doc), "--json")
    assert r.exit_code == 4
    problems = [(p["path"], p["message"]) for p in r.json()["error"]["details"]["problems"]]
    paths = [p for p, _ in problems]
    assert paths.count("tenants[0].users[0].role") == 1 and len(paths) == len(set(paths)), problems
    assert ("tenants[0].users[0]", "its tenant (tenants[0]) has errors") in problems
    assert ("tenants[1].users[1].email", "e-mail JO@weiss.example also in tenants[1].users[0]") in problems
    assert not any("row" in m for _, m in problems), problems


def test_apply_runs_are_recorded_and_shown_as_apply_and_undo(platform, ok, cli, store, tmp_path):
    first = ok("apply", "-f", write(tmp_path, DOC))
    piped = ok("apply", "-f", "-", input=json.dumps({"tenants": [{"name": "Json GmbH", "reseller": "acme"}]}))
    rejected = cli("apply", "-f", "-", "--json", input="tenants: [{name: X, reseller: acme, currency: XYZ}]")
    assert rejected.exit_code == 4
    runs = {r["id"]: r for r in ok("import", "list")}
    assert (runs[first["run"]]["mode"], runs[first["run"]]["file"]) == ("apply", "state.yaml")
    assert (runs[piped["run"]]["mode"], runs[piped["run"]]["file"]) == ("apply", "-")
    rejected_run = rejected.json()["error"]["details"]["run"]
    assert (runs[rejected_run]["mode"], runs[rejected_run]["state"]) == ("apply", "rejected")
    r = cli("import", "list")
    assert r.exit_code == 0 and "apply" in r.stdout and "upsert" not in r.stdout
    assert ok("import", "show", str(first["run"]))["mode"] == "apply"
    r = cli("apply", "-f", "-", input="tenants: [\n")
    assert r.exit_code == 4 and "stdin is not valid YAML" in r.stderr
    ok("import", "undo", str(piped["run"]), "--yes")
    ok("import", "undo", str(first["run"]), "--yes")
    tenants, users, _, bookings, rights = state(store)
    assert not {"mueller-gmbh", "weiss-kg", "json-gmbh"} & set(tenants)
    assert set(users) == {"ops@platform.example", "rita@acme.example"} and (bookings, rights) == (0, 0)
