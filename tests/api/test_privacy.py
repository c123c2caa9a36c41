"""Export and erasure over HTTP (GET /api/v1/users/{ident}/export, POST /users/{ident}/erase,
POST /tenants/{key}/erase) and through the CLI in remote mode: the same documents as locally,
the same rights, never a secret."""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest
from fingerprint import fingerprint

from tests.api.conftest import bearer


@pytest.fixture
def with_mail(world: dict[str, str], ok: Any) -> dict[str, str]:
    ok("password", "send-link", "mia.meier")
    ok("token", "create", "--name", "laptop", as_="mia.meier")
    return world


def test_export_over_http_is_the_local_document(with_mail, ok, http, token):
    local = ok("user", "export", "mia.meier")
    r = http.get("/users/mia@mueller.example/export", headers=bearer(token()))  # the operator
    assert r.status_code == 200, r.text
    remote = r.json()["data"]
    for doc in (local, remote):
        doc.pop("exported_at"), doc.pop("exported_by")
        doc["api_tokens"] = [{k: v for k, v in t.items() if k != "last_used_at"} for t in doc["api_tokens"]]
    assert remote == local
    text = r.text
    assert "password_hash" not in text and "token_hash" not in text and "tctl_" not in text
    assert local["account"]["email"] == "mia@mueller.example" and len(local["mails"]) == 1
    assert local["mails"][0]["body"] is not None and len(local["password_links"]) == 1
    assert [t["name"] for t in local["api_tokens"]] == ["laptop"]


def test_who_may_export_and_erase_over_http(with_mail, http, token, store):
    mia, bert, max_ = token("mia.meier"), token("bert.beta"), token("max.mueller")
    assert http.get("/users/mia.meier/export", headers=bearer(mia)).status_code == 200  # her own
    assert http.get("/users/mia.meier/export", headers=bearer(bert)).status_code == 404
    assert http.get("/users/max.mueller/export", headers=bearer(mia)).status_code == 403
    r = http.get("/users/mia.meier/export", headers=bearer(token("rita.reseller")))  # her reseller: not the
    assert r.status_code == 403, r.text  # whole platform's record
    snap = fingerprint(store)
    for t, status in ((bert, 404), (max_, 403), (mia, 403)):
        r = http.post("/users/mia.meier/erase", json={}, headers=bearer(t))
        assert r.status_code == status, r.text
        r = http.post("/tenants/mueller/erase", json={"dry_run": True}, headers=bearer(t))
        assert r.status_code == status, r.text
    after = fingerprint(store)
    snap.pop("api_token"), after.pop("api_token")  # the tokens' last-use stamps
    assert after == snap


def test_a_read_only_token_may_plan_an_erasure_but_not_erase(with_mail, http, ctx_for, store):
    from tenantctl.store.services import api_tokens

    with ctx_for("rita.reseller") as ctx:
        ro = api_tokens.create(ctx, name="ro", read_only=True)["token"]
    snap = fingerprint(store)
    plan = http.post("/users/mia.meier/erase", json={"dry_run": True}, headers=bearer(ro))
    assert plan.status_code == 200, plan.text
    assert plan.json()["data"]["action"] == "would erase user"
    r = http.post("/users/mia.meier/erase", json={"dry_run": False}, headers=bearer(ro))
    assert r.status_code == 403 and r.json()["error"]["message"] == "this token is read-only"
    after = fingerprint(store)
    snap.pop("api_token"), after.pop("api_token")
    assert after == snap


def test_the_reseller_erases_over_http(with_mail, http, token, tmp_path):
    rita = token("rita.reseller")
    r = http.post("/users/mia.meier/erase", json={}, headers=bearer(rita))
    assert r.status_code == 200, r.text
    receipt = r.json()["data"]
    assert receipt["action"] == "erased" and receipt["files_deleted"] == 1
    assert receipt["deleted"]["api_token"] == 1 and receipt["by"].startswith("rita.reseller")
    assert http.get("/users/mia.meier", headers=bearer(rita)).status_code == 404
    assert not list((tmp_path / "home" / "outbox").glob("*.eml"))


@pytest.mark.usefixtures("cli_mode")
def test_the_commands_in_both_modes(world, ok, cli, tmp_path):
    out = tmp_path / "mia.json"
    summary = ok("user", "export", "mia.meier", "-o", str(out), as_="mia.meier")
    assert summary["file"] == str(out) and summary["memberships"] == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text(encoding="utf-8"))["account"]["login"] == "mia.meier"
    r = cli("user", "export", "mia.meier", "-o", str(tmp_path / "nowhere" / "x.json"), as_="mia.meier")
    assert r.exit_code == 4 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    r = cli("user", "erase", "mia.meier", as_="rita.reseller")
    assert r.exit_code == 3 and "add --yes" in r.stderr
    plan = ok("user", "erase", "mia.meier", "--dry-run", as_="rita.reseller")
    assert plan["action"] == "would erase user" and plan["deleted"]["membership"] == 1
    done = ok("user", "erase", "mia.meier", "--yes", as_="rita.reseller")
    assert done["deleted"] == plan["deleted"]
    r = cli("user", "show", "mia.meier", "--json", as_="rita.reseller")
    assert r.exit_code == 8
    r = cli("user", "erase", "max.mueller", "--yes", "--json", as_="rita.reseller")
    assert r.exit_code == 5 and r.json()["error"]["message"] == "max.mueller is the last admin of tenant 'mueller'"
    r = cli("tenant", "erase", "mueller", "--yes", "--json", as_="max.mueller")
    assert r.exit_code == 9
    receipt = ok("tenant", "erase", "mueller", "--yes", as_="rita.reseller")
    assert receipt["erased_users"] == 1 and receipt["tenant"] == "mueller"
