"""Retention (`tenantctl db prune`, and `run_prune` for the periodic worker): what is due by the
settings goes, the rest stays; --dry-run counts the same and changes nothing. Ages are set in the
store (no waiting)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.privacy.test_erasure import build_small


def _age(store: Any, sql: str, **params: Any) -> None:
    with store.transaction() as s:
        s.execute(text(sql), params)


@pytest.fixture
def aged(ok: Any, store: Any, tmp_path: Any) -> dict[str, Any]:
    """Mia's link mail delivered 31 days ago (her link expired then too), Max's today; a revoked
    invitation from 40 days ago and a pending one; a rate-limit row from yesterday and one now."""
    from tenantctl.store.types import utcnow

    build_small(ok)
    ok("password", "send-link", "max.mustermann")
    ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "alt@example.org", "--role", "member")
    ok("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "neu@example.org", "--role", "member")
    ok("invite", "revoke", "1")
    old = utcnow() - timedelta(days=31)
    _age(store, "UPDATE outbox_mail SET sent_at = :t WHERE to_address = 'mia@mueller.example'", t=old)
    _age(store, "UPDATE password_link SET expires_at = :t WHERE user_id = "
                "(SELECT id FROM user_account WHERE login = 'mia.meier')", t=old)
    _age(store, "UPDATE invitation SET revoked_at = :t WHERE id = 1", t=utcnow() - timedelta(days=40))
    now = utcnow().timestamp()
    _age(store, "INSERT INTO rate_limit_hit (bucket, key, at) VALUES ('login', 'a', :old), ('login', 'b', :now)",
         old=now - 2 * 86400, now=now)
    return {"outbox": tmp_path / "home" / "outbox"}


@pytest.mark.usefixtures("backend")
def test_prune_deletes_what_is_due_and_nothing_else(ok, store, db_rows, aged):
    from fingerprint import fingerprint

    files = sorted(aged["outbox"].glob("*.eml"))
    assert len(files) == 2
    snap = fingerprint(store)
    plan = ok("db", "prune", "--dry-run")
    assert fingerprint(store) == snap and sorted(aged["outbox"].glob("*.eml")) == files
    expected = {"mail_bodies": 1, "password_links": 1, "invitations": 1, "rate_limit_rows": 1, "outbox_files": 1}
    assert plan["counts"] == expected and plan["dry_run"] is True

    done = ok("db", "prune")
    assert done["counts"] == expected and done["files_deleted"] == 1 and done["files_left"] == 0
    (left,) = aged["outbox"].glob("*.eml")
    assert b"max@mueller.example" in left.read_bytes()
    mails = db_rows("SELECT to_address, context, to_name, purged_at IS NOT NULL FROM outbox_mail ORDER BY id")
    assert [(m[0], m[3]) for m in mails] == [("mia@mueller.example", True), ("max@mueller.example", False)]
    assert mails[0][1] in ({}, "{}") and mails[0][2] is None
    assert db_rows("SELECT email FROM invitation") == [("neu@example.org",)]
    assert db_rows("SELECT key FROM rate_limit_hit") == [("b",)]
    assert [r[0] for r in db_rows("SELECT u.login FROM password_link p JOIN user_account u ON u.id = p.user_id")
            ] == ["max.mustermann"]
    (entry,) = ok("audit", "list", "--json")[:1]
    assert entry["action"] == "db.prune" and entry["details"] == expected

    again = ok("db", "prune")
    assert again["counts"] == dict.fromkeys(expected, 0) and again["files_deleted"] == 0
    assert ok("audit", "list")[0]["id"] == entry["id"]  # nothing due: no entry


def test_periods_are_settings_and_zero_keeps(ok, cli, store, aged, monkeypatch):
    monkeypatch.setenv("TENANTCTL_RETENTION_MAIL_DAYS", "0")
    monkeypatch.setenv("TENANTCTL_RETENTION_LINK_DAYS", "60")
    assert ok("db", "prune")["counts"] == {"password_links": 0, "invitations": 0, "rate_limit_rows": 1,
                                           "outbox_files": 0}
    assert len(list(aged["outbox"].glob("*.eml"))) == 2
    monkeypatch.setenv("TENANTCTL_RETENTION_MAIL_DAYS", "-1")
    r = cli("db", "prune", "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == "setting retention_mail_days=-1 (environment) is out of bounds"


def test_old_audit_entries_are_pseudonymised_when_set(ok, store, db_rows, aged, monkeypatch):
    from tenantctl.store.types import utcnow

    ids = dict(db_rows("SELECT login, id FROM user_account"))
    cut = utcnow() - timedelta(days=100)
    _age(store, "UPDATE audit_event SET at = :t WHERE object_key IN ('mia.meier', 'mia.meier@mueller')", t=cut)
    assert "audit_entries" not in ok("db", "prune", "--dry-run")["counts"]  # off by default
    monkeypatch.setenv("TENANTCTL_RETENTION_AUDIT_DAYS", "90")
    result = ok("db", "prune")
    old = db_rows("SELECT action, object_key, details FROM audit_event WHERE object_key LIKE 'user-%'")
    assert result["counts"]["audit_entries"] == len(old) >= 1
    ((_, key, details),) = [r for r in old if r[0] == "user.create"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert key == f"user-{ids['mia.meier']}" and details["email"] == f"user-{ids['mia.meier']}"
    assert details["first_name"] == details["last_name"] == "(pseudonymised)" and details["tenant"] == "mueller"
    # newer entries keep their names
    assert [e["details"]["first_name"] for e in ok("audit", "list") if e["action"] == "user.create"
            and e["object"] == "olga.peters"] == ["Olga"]
    assert ok("db", "prune")["counts"]["audit_entries"] == 0  # done once


@pytest.mark.usefixtures("backend")
def test_the_worker_prunes_what_is_due_once_per_interval(ok, store, db_rows, aged):
    """`tenantctl worker` (and serve's in-process loop) runs the same prune as `db prune`, hourly,
    and deletes the .eml files after its transaction committed."""
    from tenantctl.store.services.retention import run_prune
    from tenantctl.store.settings import load_settings
    from tenantctl.store.worker import Worker

    worker = Worker(load_settings(), store)
    assert [j.name for j in worker.jobs] == ["retention-prune"]
    (ran,) = worker.tick().jobs
    assert ran.error is None
    assert ran.result == ("mail_bodies 1, password_links 1, invitations 1, rate_limit_rows 1, outbox_files 1; "
                          "1 outbox files deleted")
    (left,) = aged["outbox"].glob("*.eml")
    assert b"max@mueller.example" in left.read_bytes()
    assert db_rows("SELECT email FROM invitation") == [("neu@example.org",)]
    assert [e["action"] for e in ok("audit", "list")][:1] == ["db.prune"]
    assert [r.name for r in worker.tick().jobs] == []  # not due again within the hour
    again = run_prune(store, load_settings())  # what db prune would still find: nothing
    assert set(again["counts"].values()) == {0} and again["files_deleted"] == 0
