"""Every bad input of the foundation issue: one clear line, the documented exit code, nothing written."""

import json
import os
import stat

import pytest
from sqlalchemy import func
from sqlmodel import select

from tenantctl.store.models import AuditEvent, Membership, Tenant, User


@pytest.fixture
def base(ok, db_url):
    ok("init")
    ok("tenant", "create", "ACME", "--kind", "reseller", "--key", "acme")
    ok("tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme", "--key", "mueller",
       "--currency", "EUR")
    ok("user", "create", "--tenant", "mueller", "--first-name", "Max", "--last-name", "Müller",
       "--email", "max@mueller.example", "--role", "admin")


def counts(store):
    with store.transaction(write=False) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one() for m in (Tenant, User, Membership, AuditEvent))


CASES = [
    # (args, exit code, error code, text in the message)
    (["tenant", "show", "nope"], 8, "not_found", "tenant 'nope' not found"),
    (["user", "show", "nobody"], 8, "not_found", "user 'nobody' not found"),
    (["user", "create", "--tenant", "nope", "--first-name", "A", "--last-name", "B", "--email", "a@b.example"],
     8, "not_found", "tenant 'nope' not found"),
    (["tenant", "create", "Dup", "--kind", "reseller", "--key", "acme"], 5, "conflict", "tenant key 'acme' is taken"),
    (["user", "create", "--tenant", "mueller", "--first-name", "Max", "--last-name", "M",
      "--email", "MAX@Mueller.EXAMPLE"],
     5, "conflict", "a user with e-mail MAX@mueller.example already exists"),
    (["user", "create", "--tenant", "mueller", "--first-name", "A", "--last-name", "B", "--email", "not-an-email"],
     4, "invalid_input", "invalid e-mail 'not-an-email'"),
    (["tenant", "create", "", "--kind", "reseller"], 4, "invalid_input", "tenant name must not be empty"),
    (["tenant", "create", "x" * 500, "--kind", "reseller"], 4, "invalid_input", "500 characters long"),
    (["user", "create", "--tenant", "mueller", "--first-name", "A" * 500, "--last-name", "B", "--email", "a@b.example"],
     4, "invalid_input", "first name is 500 characters long"),
    (["tenant", "create", "Sub", "--kind", "customer", "--reseller", "mueller"], 4, "invalid_input",
     "a customer can only be created under a reseller"),
    (["tenant", "update", "mueller", "--currency", "CHF"], 5, "conflict", "the currency is fixed at EUR"),
    (["tenant", "create", "Y", "--kind", "customer", "--reseller", "acme", "--currency", "EURO"], 4, "invalid_input",
     "unknown currency 'EURO'"),
    (["member", "remove", "max.mueller", "--tenant", "mueller", "--yes"], 5, "conflict",
     "max.mueller is the last admin of tenant 'mueller'"),
    (["--as", "ghost", "tenant", "list"], 9, "permission_denied", "cannot act as 'ghost': no such user"),
    (["tenant", "create", "Z", "--kind", "bogus"], 2, "usage", "Invalid value for '--kind'"),
    (["tenant", "frobnicate"], 2, "usage", "No such command 'frobnicate'"),
]


@pytest.mark.parametrize(("args", "code", "error", "text"), CASES, ids=[" ".join(c[0])[:50] for c in CASES])
def test_bad_input(base, cli, store, args, code, error, text):
    before = counts(store)
    human = cli(*args)
    assert human.exit_code == code
    assert human.stdout == ""
    lines = human.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], human.stderr
    assert "Traceback" not in human.stderr
    machine = cli(*args, "--json")
    # the error document on stdout, and the same one line on stderr: `$(tenantctl … --json | jq …)`
    # under `set -e` does not die silently
    assert machine.exit_code == code and machine.stderr == human.stderr
    assert machine.json()["error"]["code"] == error and text in machine.json()["error"]["message"]
    assert counts(store) == before


def test_disabled_actor(base, ok, cli):
    ok("user", "create", "--tenant", "mueller", "--first-name", "Mia", "--last-name", "M", "--email", "mia@m.example")
    ok("user", "disable", "mia.m", "--yes")
    r = cli("tenant", "list", as_="mia.m")
    assert r.exit_code == 9 and r.stderr.strip() == (
        "error: cannot act as 'mia.m': the user is disabled (act as another user or enable this one)")


def test_unreachable_store_names_url_without_password(cli):
    r = cli("--db", "postgresql+psycopg://tenantctl:s3cret@127.0.0.1:1/nope", "tenant", "list")
    assert r.exit_code == 7
    assert "s3cret" not in r.stderr and "postgresql+psycopg://tenantctl:***@127.0.0.1:1/nope" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_store_names_init(cli, tmp_path):
    r = cli("--db", f"sqlite:///{tmp_path}/missing/dir/x.db", "tenant", "list")
    assert r.exit_code == 10 and "no store at" in r.stderr and "tenantctl init" in r.stderr
    assert not (tmp_path / "missing").exists()  # nothing created behind the user's back


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_store_folder(ok, cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    url = f"sqlite:///{folder}/x.db"
    ok("--db", url, "init")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        r = cli("--db", url, "tenant", "create", "A", "--kind", "reseller")
    finally:
        folder.chmod(stat.S_IRWXU)
    assert r.exit_code == 7 and "is not writable" in r.stderr


def test_read_only_store_folder_checked(monkeypatch, cli, ok, tmp_path):
    """Same check as above, runnable as root: the permission test is os.access."""
    url = f"sqlite:///{tmp_path}/y.db"
    ok("--db", url, "init")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    r = cli("--db", url, "tenant", "list")
    assert r.exit_code == 7 and f"the store folder {tmp_path} is not writable" in r.stderr


def test_outdated_and_missing_schema(cli, ok, tmp_path, monkeypatch):
    import sqlite3

    from tenantctl.store import migrate

    url = f"sqlite:///{tmp_path}/z.db"
    ok("--db", url, "init")
    # as if this tenantctl shipped a revision after the store's
    known = migrate.known_revisions()
    with monkeypatch.context() as m:
        m.setattr(migrate, "known_revisions", lambda: known | {"0002_later"})
        m.setattr(migrate, "head_revisions", lambda: {"0002_later"})
        r = cli("--db", url, "tenant", "list")
    assert r.exit_code == 10 and "tenantctl db upgrade" in r.stderr
    with sqlite3.connect(tmp_path / "z.db") as conn:
        conn.execute("DROP TABLE alembic_version")
    r = cli("--db", url, "tenant", "list", "--json")
    assert r.exit_code == 10 and json.loads(r.stdout)["error"]["hint"] == "run tenantctl init"
