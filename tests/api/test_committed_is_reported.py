"""What was committed is reported, once (issue 17, section 4): a mail server that is down after the
commit adds a warning to the committed result (exit 6; HTTP 200/201), never an error in its place
that a retrying client would turn into a second change."""

from __future__ import annotations

from typing import Any

import pytest
from mailhelpers import free_port, point_at
from sqlmodel import select

from tenantctl.store.errors import PENDING
from tenantctl.store.models import Invitation, OutboxMail
from tests.api.conftest import bearer


def _rows(store: Any, model: Any) -> list[Any]:
    from sqlmodel import Session

    with Session(store.engine) as s:
        return list(s.exec(select(model)).all())


@pytest.mark.usefixtures("cli_mode")
def test_invite_send_with_the_smtp_server_down_reports_the_invitation(world: Any, cli: Any, store: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    point_at(monkeypatch, free_port())  # nobody listens there
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Neukunde GmbH",
            "--email", "einkauf@neukunde.example", "--send", "--json", as_="rita.reseller")
    assert r.exit_code == 6, (r.stdout, r.stderr)
    doc = r.json()
    assert doc["data"]["action"] == "created" and doc["data"]["status"] == "pending"
    assert doc["data"]["id"] == _rows(store, Invitation)[0].id  # the invitation a script can look up
    (warning,) = doc["warnings"]
    assert warning.startswith(f"{PENDING}: cannot reach the SMTP server 127.0.0.1:")
    assert "0 sent, 1 stay queued (tenantctl mail send delivers them now)" in warning
    assert r.stderr == f"warning: {warning}\n"
    assert [m.state for m in _rows(store, OutboxMail)] == ["queued"]  # retried by the next delivery
    human = cli("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Zweit GmbH",
                "--email", "einkauf@zweit.example", "--send", as_="rita.reseller")
    assert human.exit_code == 6 and f"warning: {PENDING}" in human.stderr
    assert "einkauf@zweit.example" in human.stdout  # the result is printed as usual
    assert len(_rows(store, Invitation)) == 2


def test_http_answers_201_with_the_warning_never_503(world: Any, http: Any, token: Any, api_server: Any,
                                                     store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.store.settings import load_settings

    point_at(monkeypatch, free_port())
    api_server.runtime.settings = load_settings()
    r = http.post("/invitations", headers=bearer(token("rita.reseller")),
                  json={"kind": "partner", "origin": "acme", "customer_name": "Neukunde GmbH",
                        "email": "einkauf@neukunde.example", "send": True})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["action"] == "created"
    assert r.json()["warnings"][0].startswith(PENDING)
    assert len(_rows(store, Invitation)) == 1


def test_a_reissue_sent_with_the_smtp_server_down_answers_200_with_the_warning(
        world: Any, http: Any, token: Any, api_server: Any, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning is added after the commit; a route that built its answer inside the transaction
    lost it (200 without a word that the mail is still queued)."""
    from tenantctl.store.settings import load_settings

    created = http.post("/invitations", headers=bearer(token("rita.reseller")),
                        json={"kind": "partner", "origin": "acme", "customer_name": "Neukunde GmbH",
                              "email": "einkauf@neukunde.example"})
    assert created.status_code == 201, created.text
    point_at(monkeypatch, free_port())
    api_server.runtime.settings = load_settings()
    inv = created.json()["data"]["id"]
    r = http.post(f"/invitations/{inv}/reissue", headers=bearer(token("rita.reseller")), json={"send": True})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["id"] == inv
    (warning,) = r.json()["warnings"]
    assert warning.startswith(f"{PENDING}: cannot reach the SMTP server 127.0.0.1:")
    assert [m.state for m in _rows(store, OutboxMail)] == ["queued"]


def test_no_route_builds_its_answer_inside_the_transaction() -> None:
    """Warnings (a mail still queued, a person left without a tenant) are collected when the
    transaction ends: an answer returned from inside the `with` would go without them."""
    import ast
    from pathlib import Path

    inside = []
    for path in sorted((Path(__file__).parents[2] / "web" / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.With) and "transaction(" in ast.unparse(node.items[0]):
                inside += [f"{path.name}:{n.lineno}" for n in ast.walk(node) if isinstance(n, ast.Return)
                           and n.value is not None and ast.unparse(n.value).startswith(("ok(", "page("))]
    assert inside == []


@pytest.mark.usefixtures("cli_mode")
@pytest.mark.parametrize(("command", "most"), [
    (("token", "create"), "366 days"), (("invite", "create", "--kind", "partner", "--from", "acme"), "30 days")])
def test_a_lifetime_beyond_any_date_is_refused_alike_in_both_modes(world: Any, cli: Any, store: Any,
                                                                   command: tuple[str, ...], most: str) -> None:
    r = cli(*command, "--expires-in", "99999999999d", "--json", as_="rita.reseller")
    assert r.exit_code == 4, (r.stdout, r.stderr)
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == f"--expires-in '99999999999d' is longer than the maximum of {most}"
    assert error["hint"] == f"use at most {most}"


def test_http_refuses_a_lifetime_beyond_any_date_with_422(world: Any, http: Any, token: Any) -> None:
    r = http.post("/tokens", headers=bearer(token("rita.reseller")), json={"expires_in": "99999999999d"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] == "--expires-in '99999999999d' is longer than the maximum of 366 days"
