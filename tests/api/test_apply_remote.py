"""`tenantctl apply` in remote mode: a reseller with only a token states its setup in a document. The
variables are the caller's (substituted on its side; the server substitutes none of its own), the
plan, prune, refusals with document paths and read-only tokens behave as locally."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tenantctl.importers.variables import missing_message
from tenantctl.store.models import ImportRun, Membership, Tenant, User
from tests.api.test_remote_cli import _remote
from tests.apply.test_not_a_way_in import NOT_DOCUMENTS, REPEATED_JSON, REPEATED_PROBLEMS, REPEATED_YAML, SECRET_HASH

DOC = """
tenants:
  - name: ${KUNDE}
    reseller: acme
    customer_number: "0042"
    currency: EUR
    users:
      - {email: eva@neukunde.example, first_name: Eva, last_name: Neumann, role: admin}
      - {email: jan@neukunde.example, first_name: Jan, last_name: "$${NICHT_ERSETZT}"}
"""


def _doc(tmp_path: Any, text: str, name: str = "setup.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_reseller_applies_its_setup_with_only_a_token(world, cli, api_server, token, store, tmp_path):
    t = token("rita.reseller", "ci")
    path = _doc(tmp_path, DOC)
    var = ("--var", "KUNDE=Neukunde GmbH")
    planned = _remote(cli, api_server, t, "apply", "-f", path, "--dry-run", *var)
    assert planned.exit_code == 0, planned.stderr
    assert planned.stdout.splitlines()[0] == "+ tenant neukunde-gmbh  tenants[0]"
    assert "would apply setup.yaml: tenants: 1 created; users: 2 created" in planned.stderr
    done = _remote(cli, api_server, t, "apply", "-f", path, "--json", *var)
    assert done.exit_code == 0, done.stderr
    assert done.data["action"] == "updated" and done.data["counts"]["users"]["created"] == 2
    with store.transaction(write=False) as s:
        tenant = s.exec(select(Tenant).where(Tenant.name == "Neukunde GmbH")).one()
        jan = s.exec(select(User).where(User.email == "jan@neukunde.example")).one()
        run = s.get(ImportRun, done.data["run"])
    assert jan.last_name == "${NICHT_ERSETZT}"  # $${…} is the caller's escape, kept literal by the server
    assert run is not None and run.mode == "apply" and run.file_name == "setup.yaml"
    assert run.actor == 'rita.reseller via token "ci"' and tenant.created_by == 'rita.reseller via token "ci"'
    again = _remote(cli, api_server, t, "apply", "-f", path, "--json", *var)
    assert again.data["action"] == "unchanged"


def test_the_callers_unset_variable_is_named_before_anything_is_sent(world, cli, api_server, token, store,
                                                                      tmp_path):
    r = _remote(cli, api_server, token("rita.reseller"), "apply", "-f", _doc(tmp_path, DOC), "--json",
                env={"KUNDE": "from the environment, never read"})
    assert r.exit_code == 4
    error = r.json()["error"]
    assert error["message"] == "1 problem(s) in setup.yaml; nothing was sent"
    assert error["details"]["problems"] == [
        {"path": "tenants[0].name", "message": missing_message("KUNDE")}]
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).first() is None
    said = _remote(cli, api_server, token("rita.reseller"), "apply", "-f", _doc(tmp_path, DOC))
    assert said.exit_code == 4 and said.stderr.splitlines()[0] == "tenants[0].name: " + missing_message("KUNDE")
    # the tool's own settings are never the caller's variables, remotely either
    said = _remote(cli, api_server, token("rita.reseller"), "apply", "-f", _doc(tmp_path, DOC), "--json",
                   "--env-allow", "TENANTCTL_TOKEN")
    assert said.exit_code == 4 and "TENANTCTL_TOKEN is one of tenantctl's own settings" in said.stdout
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).first() is None


def test_the_server_substitutes_none_of_its_own_variables(world, http, token, store, monkeypatch):
    monkeypatch.setenv("SERVER_SECRET", "geheim")
    body = b"tenants:\n  - {name: 'Kunde ${SERVER_SECRET}', reseller: acme}\n"
    r = http.post("/apply", params={"name": "setup.yaml"}, content=body,
                  headers={"Authorization": f"Bearer {token('rita.reseller')}"})
    assert r.status_code == 200, r.text
    with store.transaction(write=False) as s:
        names = [t.name for t in s.exec(select(Tenant).where(Tenant.name.startswith("Kunde "))).all()]
    assert names == ["Kunde ${SERVER_SECRET}"]


def test_a_refused_document_lists_its_paths_and_records_the_run(world, cli, api_server, token, store, tmp_path):
    doc = _doc(tmp_path, "tenants:\n  - name: Fremd GmbH\n    reseller: beta\n    users:\n"
                         "      - {email: x@fremd.example, first_name: X, last_name: Y, role: boss}\n")
    r = _remote(cli, api_server, token("rita.reseller"), "apply", "-f", doc)
    assert r.exit_code == 4
    assert "tenants[0].users[0].role: 'boss' is not one of" in r.stderr
    assert "tenants[0].reseller: reseller 'beta' not found" in r.stderr
    assert "problem(s) in setup.yaml; nothing was written (run " in r.stderr
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Fremd GmbH")).first() is None
        assert [run.state for run in s.exec(select(ImportRun)).all()] == ["rejected"]


def test_prune_asks_then_removes_over_http(world, cli, api_server, token, store, tmp_path):
    t = token("rita.reseller")
    var = ("--var", "KUNDE=Neukunde GmbH")
    assert _remote(cli, api_server, t, "apply", "-f", _doc(tmp_path, DOC), *var).exit_code == 0
    shorter = _doc(tmp_path, DOC.split("      - {email: jan")[0], "kurz.yaml")
    asked = _remote(cli, api_server, t, "apply", "-f", shorter, "--prune", *var)
    assert asked.exit_code == 3 and "- membership jan.nicht-ersetzt@neukunde-gmbh" in asked.stderr
    done = _remote(cli, api_server, t, "apply", "-f", shorter, "--prune", "--yes", "--json", *var)
    assert done.exit_code == 0 and done.data["counts"]["memberships"]["deleted"] == 1
    with store.transaction(write=False) as s:
        jan = s.exec(select(User).where(User.email == "jan@neukunde.example")).one()
        assert s.exec(select(Membership).where(Membership.user_id == jan.id)).first() is None


def test_a_read_only_token_plans_but_never_applies(world, cli, api_server, store, tmp_path):
    from tenantctl.store.actor import resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.services import api_tokens
    from tenantctl.store.settings import load_settings

    with store.transaction() as s:
        t = api_tokens.create(Ctx(s, resolve_actor(s, "rita.reseller"), load_settings()), name="ro",
                              read_only=True)["token"]
    var = ("--var", "KUNDE=Neukunde GmbH")
    path = _doc(tmp_path, DOC)
    assert _remote(cli, api_server, t, "apply", "-f", path, "--dry-run", *var).exit_code == 0
    r = _remote(cli, api_server, t, "apply", "-f", path, "--json", *var)
    assert r.exit_code == 9 and r.json()["error"]["message"] == "this token is read-only"
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Neukunde GmbH")).first() is None


def test_the_server_takes_documents_as_large_as_apply_reads():
    from tenantctl.importers.document import MAX_BYTES
    from tenantctl.web.api import apply

    assert apply.MAX_BYTES == MAX_BYTES


def test_remote_apply_refuses_both_the_same_way(world, cli, api_server, token, http, store, tmp_path):
    t = token("rita.reseller")
    r = _remote(cli, api_server, t, "apply", "-f", _doc(tmp_path, REPEATED_YAML), "--json")
    assert r.exit_code == 4, r.stdout
    assert r.json()["error"]["details"]["problems"] == REPEATED_PROBLEMS
    text, what = NOT_DOCUMENTS["shadow"]
    r = _remote(cli, api_server, t, "apply", "-f", _doc(tmp_path, text, "shadow"), "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == f"shadow is not a tenantctl document: it reads as {what}"
    assert SECRET_HASH[:20] not in r.stdout + r.stderr
    # the route itself, as any HTTP client reaches it
    resp = http.post("/apply", params={"name": "x.json"}, content=REPEATED_JSON.encode(),
                     headers={"Authorization": f"Bearer {t}", "Content-Type": "application/json"})
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["problems"][0] == {
        "path": "tenants[0].customer_number", "message": "is given 2 times (lines 5 and 6)"}
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).first() is None
