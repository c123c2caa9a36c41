"""The dry run is the real run, rolled back (issue 17, section 3), and what apply removes goes the
one way every removal goes (section 4): on SQLite and PostgreSQL.

The test runner itself rehearses every `import run` and `apply` of every test as a dry run first
and compares (tests/conftest.py, `cli`); the tests here are the classes the issue names."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.models import Membership, PasswordLink, User

NEW_ORG = ["--organisation", "Stadt Musterhausen", "--first-name", "Klara", "--last-name", "Kämmerer",
           "--email", "klara@musterhausen.example"]


def _write(tmp_path: Any, text: str, name: str = "doc.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _both(cli: Any, *args: str, as_: str | None = None) -> tuple[Any, Any]:
    """(the dry run, the real run) of one command line, as --json."""
    return cli(*args, "--dry-run", "--json", as_=as_), cli(*args, "--json", as_=as_)


@pytest.mark.parametrize(("doc", "problem"), [
    ("tenants:\n  - key: other\n    name: Other Customer KG\n",  # beta's customer: outside rita's scope
     "tenant key 'other' is taken"),
    ("tenants:\n  - key: mueller\n    name: Müller & Söhne GmbH\n    colour: blue\n",  # an unknown field
     "colour"),
])
def test_apply_dry_run_refuses_what_the_real_run_refuses(backend: str, world: Any, cli: Any, tmp_path: Any,
                                                         doc: str, problem: str) -> None:
    dry, real = _both(cli, "apply", "-f", _write(tmp_path, doc), as_="rita.reseller")
    assert (dry.exit_code, real.exit_code) == (4, 4), (dry.stdout, real.stdout)
    assert dry.json()["error"]["details"]["problems"] == real.json()["error"]["details"]["problems"]
    assert any(problem in p["message"] or problem in p["path"] for p in dry.json()["error"]["details"]["problems"])
    assert dry.json()["error"]["details"]["run"] is None and real.json()["error"]["details"]["run"] >= 1
    assert "nothing was written (dry run)" in dry.json()["error"]["message"]


def test_import_dry_run_refuses_a_file_the_real_run_refuses_and_writes_its_marked_copy(
        backend: str, world: Any, cli: Any, tmp_path: Any) -> None:
    """A report's totals row: the dry run said "would import 15 new"; now it is the real run's refusal,
    with the marked copy where --report says, and --skip-invalid answers the same way in both."""
    from tests.imports.conftest import write_xlsx

    rows = [["Vorname", "Nachname", "E-Mail", "Mandant"]]
    rows += [[f"P{i}", "Weiß", f"p{i}@mueller.example", "mueller"] for i in range(15)]
    rows.append(["Summe", None, None, 15])
    path = write_xlsx(tmp_path / "bericht.xlsx", {"Benutzer": rows})
    report = tmp_path / "markiert.xlsx"
    dry = cli("import", "run", str(path), "--dry-run", "--report", str(report), "--json")
    assert dry.exit_code == 4 and dry.json()["error"]["details"]["report"] == str(report)
    assert report.exists()  # the marked copy, as the real run writes it
    report.unlink()
    real = cli("import", "run", str(path), "--report", str(report), "--json")
    assert real.exit_code == 4 and report.exists()
    assert dry.json()["error"]["details"]["problems"] == real.json()["error"]["details"]["problems"]
    assert real.json()["error"]["hint"] == "fix the rows and import again (--skip-invalid cannot skip these)"
    skipping = cli("import", "run", str(path), "--skip-invalid", "--json")  # and its dry run, by the runner
    assert skipping.exit_code == 4


def test_prune_voids_the_open_link_of_a_user_left_without_a_tenant(backend: str, world: Any, ok: Any, cli: Any,
                                                                  store: Any, tmp_path: Any) -> None:
    """apply --prune removes through the membership removal that `member remove` uses: the link of a
    person who belongs nowhere any more must not set a password."""
    ok("password", "send-link", "mia.meier", as_="rita.reseller")
    doc = ("tenants:\n  - key: mueller\n    name: Müller & Söhne GmbH\n    users:\n"
           "      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: admin}\n")
    data = ok("apply", "-f", _write(tmp_path, doc), "--prune", "--yes", as_="rita.reseller")
    assert [(c["type"], c["key"], c["action"]) for c in data["changes"]] == [
        ("membership", "mia.meier@mueller", "deleted")]
    with store.transaction(write=False) as s:
        mia = s.exec(select(User).where(User.login == "mia.meier")).one()
        assert s.exec(select(Membership).where(Membership.user_id == mia.id)).all() == []
        (link,) = s.exec(select(PasswordLink).where(PasswordLink.user_id == mia.id)).all()
        assert (link.voided_at is not None, link.void_reason) == (True, "no_membership")


def test_send_links_missing_skips_a_user_of_tenants_the_actor_does_not_manage(
        backend: str, world: Any, ok: Any, cli: Any, store: Any, tmp_path: Any) -> None:
    """otto belongs to beta's customer too: rita (acme) may not mail him a link, on any path."""
    ok("member", "add", "otto@other.example", "--tenant", "mueller", "--role", "member")  # the operator
    doc = ("tenants:\n  - key: mueller\n    name: Müller & Söhne GmbH\n    users:\n"
           "      - {email: max@mueller.example, first_name: Max, last_name: Müller, role: admin}\n"
           "      - {email: mia@mueller.example, first_name: Mia, last_name: Meier, role: member}\n"
           "      - {email: otto@other.example, first_name: Otto, last_name: Other, role: member}\n")
    r = cli("apply", "-f", _write(tmp_path, doc), "--send-links=missing", "--json", as_="rita.reseller")
    assert r.exit_code == 0, r.stdout
    assert r.json()["data"]["links_queued"] == 2  # max and mia, not otto
    assert r.json()["warnings"] == ["--send-links=missing: no link for 1 user(s) of the document who also belong "
                                    "to tenants you do not manage (their admins or the operator can send one)"]
    with store.transaction(write=False) as s:
        linked = {u.login for u in s.exec(select(User).join(PasswordLink, PasswordLink.user_id == User.id)).all()}
    assert linked == {"max.mueller", "mia.meier"}


def test_export_then_apply_of_the_unchanged_document_as_a_customer_admin(backend: str, world: Any, ok: Any,
                                                                        cli: Any, tmp_path: Any) -> None:
    r = cli("export", "-o", "yaml", as_="max.mueller")
    assert r.exit_code == 0
    f = _write(tmp_path, r.stdout)
    dry, real = _both(cli, "apply", "-f", f, as_="max.mueller")
    assert (dry.exit_code, real.exit_code) == (0, 0), (dry.stdout, real.stdout)
    assert dry.data["action"] == real.data["action"] == "unchanged"


def test_export_then_apply_of_the_unchanged_document_with_a_requested_connection(
        backend: str, world: Any, ok: Any, cli: Any, tmp_path: Any) -> None:
    link = ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-number", "K-1",
              "--currency", "EUR", as_="rita.reseller")["link"]
    ok("invite", "accept", *NEW_ORG, input=link)
    ok("tenant", "approve", "stadt-musterhausen")  # the operator; acme has not approved the connection yet
    r = cli("export", "-o", "yaml", as_="rita.reseller")
    assert r.exit_code == 0 and "stadt-musterhausen" in r.stdout
    dry, real = _both(cli, "apply", "-f", _write(tmp_path, r.stdout), as_="rita.reseller")
    assert (dry.exit_code, real.exit_code) == (0, 0), (dry.stdout, real.stdout)
    assert dry.data["action"] == real.data["action"] == "unchanged"
