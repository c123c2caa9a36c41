"""import list/show/undo, the all-or-nothing write under a kill, and the fast paths' equivalence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, basic_workbook, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP


def test_list_show_and_undo(world: Any, cli: Any, ok: Any, db_rows: Any, counts: Any, tmp_path: Path) -> None:
    before = counts()
    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))["run"]
    update = basic_workbook(tmp_path / "b.xlsx", [["Max", "Müller-Neu", "max@mueller.example", "mueller", "admin"]])
    run2 = ok("import", "run", str(update))["run"]
    runs = ok("import", "list")
    assert [r["id"] for r in runs] == [run2, run] and runs[0]["file"] == "b.xlsx"
    shown = ok("import", "show", str(run))
    assert shown["created"] == {"tenant": 2, "connection": 2, "user": 3, "membership": 3}
    assert len(shown["file_hash"]) == 64 and shown["actor"].startswith("operator:")
    shown2 = ok("import", "show", str(run2))
    assert shown2["updated"][0]["before"] == {"last_name": "Müller"}
    # undo needs --yes without a terminal
    assert cli("import", "undo", str(run2)).exit_code == 3
    ok("import", "undo", str(run2), "--yes")
    assert db_rows("SELECT last_name FROM user_account WHERE login = 'max.mueller'") == [("Müller",)]
    ok("import", "undo", str(run), "--yes")
    after = counts()
    for table in ("tenant", "user_account", "membership", "connection"):
        assert after[table] == before[table]
    assert cli("import", "undo", str(run), "--yes").exit_code == 4  # already undone


def test_undo_refuses_when_later_changes_would_be_lost(world: Any, cli: Any, ok: Any, store: Any, db_rows: Any,
                                                      tmp_path: Path) -> None:
    from tenantctl.store.models import ImportRun

    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))["run"]
    with store.transaction() as s:  # the run finished a second ago: the update below is later, not the same tick
        done = s.get(ImportRun, run)
        done.finished_at -= timedelta(seconds=1)
    ok("user", "update", "juergen.weiss", "--last-name", "Weiss")
    ok("member", "add", "mia@mueller.example", "--tenant", "baeckerei-weiss-kg")
    r = cli("import", "undo", str(run), "--yes")
    assert r.exit_code == 5
    msg = " ".join(r.stderr.split())
    assert "user juergen.weiss (changed or used since the import)" in msg
    assert "has a membership added after the import" in msg
    assert db_rows("SELECT count(*) FROM tenant WHERE key = 'baeckerei-weiss-kg'") == [(1,)]


def test_runs_of_other_actors_are_hidden(world: Any, cli: Any, ok: Any, tmp_path: Path) -> None:
    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))["run"]
    assert cli("import", "show", str(run), as_="rita.reseller").exit_code == 8
    assert ok("import", "list", as_="rita.reseller") == []


def test_refused_run_is_recorded_with_its_problems(world: Any, cli: Any, ok: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "kaputt", "mueller", ""]])
    assert cli("import", "run", str(path)).exit_code == 4
    (run,) = ok("import", "list")
    assert run["state"] == "rejected"
    assert ok("import", "show", str(run["id"]))["problems"][0]["row"] == 2


CREATED = {"tenant": "tenant", "connection": "connection", "tenant_application": "tenant_application",
           "user": "user_account", "membership": "membership", "access_right": "access_right"}


def test_undo_data_names_exactly_the_created_rows(backend: str, world: Any, ok: Any, store: Any, db_rows: Any,
                                                  ctx_for: Any, tmp_path: Path) -> None:
    """The writer assigns new ids itself (SQLite: above the highest, PostgreSQL: from the sequence).
    Run twice, undoing in between: the undo removes the tables' highest rows, whose ids SQLite hands
    out again. Each time the ids recorded for undo are exactly the rows that appeared."""
    from sqlmodel import select

    from tenantctl.store.imports.runs import expand as _expand
    from tenantctl.store.models import ImportRunItem

    ok("app", "create", "Lohnbuchhaltung")
    path = write_xlsx(tmp_path / "e.xlsx", {
        "Mandanten": [["Name", "Reseller", "Anwendungen"], ["Apfel GmbH", "acme", "Lohnbuchhaltung"],
                      ["Birne GmbH", "acme", ""]],
        "Benutzer": [[*USER_HEADER, "Zugriffsrechte"],
                     ["Ada", "Apfel", "ada@apfel.example", "Apfel GmbH", "admin", "lohnbuchhaltung"],
                     ["Bo", "Birne", "bo@birne.example", "Birne GmbH", "admin", ""],
                     ["Max", "Müller", "max@mueller.example", "Apfel GmbH", "member", "lohnbuchhaltung"]]})

    def ids() -> dict[str, set[int]]:
        return {kind: {r[0] for r in db_rows(f"SELECT id FROM {table}")} for kind, table in CREATED.items()}

    new_ids = []
    for _ in range(2):
        before = ids()
        data = ok("import", "run", str(path))
        after = ids()
        with ctx_for() as ctx:
            items = ctx.session.exec(select(ImportRunItem).where(ImportRunItem.run_id == data["run"])).all()
            recorded = {i.object_type: set(_expand(i.after["ids"])) for i in items if i.action == "create_many"}
        new = {kind: after[kind] - before[kind] for kind in CREATED}
        assert all(after[kind] >= before[kind] for kind in CREATED)
        assert recorded == new and all(new.values())
        # Max exists: his membership in the new tenant joins the new users' ones
        assert (len(new["user"]), len(new["membership"]), len(new["access_right"])) == (2, 3, 2)
        ok("import", "undo", str(data["run"]), "--yes")
        assert ids() == before
        new_ids.append(new)
    if backend == "sqlite":  # the second run did reuse the removed rows' ids
        assert new_ids[0] == new_ids[1]


# The child stops inside its open write transaction, after the users and their memberships are
# inserted and before the commit, and waits there for the signal: the kill always lands on a
# half-written import (a free-running child could finish before a busy machine delivered it).
_STOP_BEFORE_COMMIT = """
import signal, sys, time
# Ctrl-C as on a terminal, whatever the test process left behind (a signal mask and a SIGINT
# disposition are inherited across exec; a test worker that served or ran the worker may have changed them)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)
from tenantctl.store.imports import write

create = write._Writer.create

def stopping(self, object_type, *args, **kw):
    ids = create(self, object_type, *args, **kw)
    if object_type == "membership":
        sys.stderr.write(f"inserted {len(ids)} memberships, not committed\\n")
        sys.stderr.flush()
        time.sleep(120)
    return ids

write._Writer.create = stopping
sys.argv = ["tenantctl", *sys.argv[1:]]
from tenantctl.cli.main import main
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_kill_during_import_leaves_store_unchanged(world: Any, db_url: str, counts: Any, tmp_path: Path,
                                                   sig: int) -> None:
    rows = [USER_HEADER] + [[f"Vor{i}", f"Nach{i}", f"user{i}@mueller.example", "mueller", "member"]
                            for i in range(5_000)]
    path = write_csv(tmp_path / "viele.csv", rows)
    before = counts()
    env = {**os.environ, "TENANTCTL_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-c", _STOP_BEFORE_COMMIT, "import", "run", str(path)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline().decode()  # "writing N new or changed rows…": the transaction is open
        assert "writing 5000" in line, line
        line = proc.stderr.readline().decode()
        assert line == "inserted 5000 memberships, not committed\n", line
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL if sig == signal.SIGKILL else proc.returncode not in (0, -signal.SIGINT)
    assert counts() == before


def test_fast_email_path_agrees_with_the_rule() -> None:
    from tenantctl.store import rules
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.imports.checks import normalise_email

    for address in ("a@b.example", "Max.Mueller@Mueller.EXAMPLE", "x+tag@sub.domain.de", "o'brien@x.ie",
                    "jürgen@müller.example", "a@b.local", "a@localhost", "a..b@x.example", ".a@x.example",
                    "a@x", "a@-x.example", "a@x.example.", "very.long" * 8 + "@x.example", "a@xn--mller-kva.de"):
        try:
            expected: str | None = rules.normalise_email(address)
        except InvalidInput:
            expected = None
        try:
            got: str | None = normalise_email(address)
        except InvalidInput:
            got = None
        assert got == expected, address


def test_handles_agree_with_unique_login_and_key(ctx_for: Any, world: Any) -> None:
    from tenantctl.store import rules
    from tenantctl.store.imports.checks import Handles, login_for
    from tenantctl.store.services.tenants import unique_tenant_key
    from tenantctl.store.services.users import unique_login

    with ctx_for() as ctx:
        from sqlmodel import select

        from tenantctl.store.models import Tenant, User

        logins = set(ctx.session.exec(select(User.login)).all())
        h = Handles(set(logins), "", 100)
        taken = set(logins)
        for first, last in [("Max", "Müller")] * 3 + [("Mia", "Meier"), ("Zoë", "Łukasiewicz")]:
            expected = unique_login(ctx.session, first, last, taken=taken)
            taken.add(expected)
            assert login_for(h, first, last) == expected
        keys = set(ctx.session.exec(select(Tenant.key)).all())
        kh = Handles(set(keys), "-", rules.KEY_MAX)
        assert kh.allocate(rules.tenant_key_base("Müller & Söhne GmbH")) == unique_tenant_key(
            ctx.session, "Müller & Söhne GmbH")


def test_unchanged_row_fast_path_agrees_with_the_full_checks(world: Any, cli: Any, ok: Any, tmp_path: Path) -> None:
    """Rows identical to the store skip the cell rules; every other spelling of the same row takes the
    full checks and reaches the same verdict, and file-wide checks (duplicates, mode) still apply."""
    from tests.imports.conftest import basic_workbook

    ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")))
    path = basic_workbook(tmp_path / "b.xlsx", [
        ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],         # identical: fast path
        ["Zoë", "Schröder", "zoe@SCHROEDER.example", "20002", "Admin"],        # other spelling: full checks
        ["Max", "Müller", "max2@weiss.example", "baeckerei-weiss-kg", "admin"],  # role member → admin
        ["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],         # duplicate of the first
    ])
    run = cli("import", "run", str(path), "--dry-run", "--json")
    assert run.exit_code == 4
    users = [(r["row"], r["key"], r["action"], r["changes"], [e["message"] for e in r["errors"]])
             for r in run.json()["error"]["details"]["rows"] if r["type"] == "user"]
    assert users == [
        (2, "juergen.weiss", "unchanged", {}, []),
        (3, "zoe.schroeder", "unchanged", {}, []),
        (4, "max.mueller2", "update", {"role": ["member", "admin"]}, []),
        (5, "juergen.weiss", "error", {}, ["e-mail juergen@weiss.example also in row 2"]),
    ]
    created = cli("import", "run", str(basic_workbook(tmp_path / "c.xlsx")), "--mode", "create", "--dry-run",
                  "--json")
    assert created.exit_code == 4
    users = [r for r in created.json()["error"]["details"]["rows"] if r["type"] == "user"]
    emails = ("juergen@weiss.example", "Zoe@schroeder.example", "max2@weiss.example")
    assert [(r["action"], f"a user with e-mail {e} already exists (--mode create)" in [x["message"] for x in
                                                                                        r["errors"]])
            for r, e in zip(users, emails, strict=True)] == [("error", True)] * 3


def test_planning_leaves_the_collector_to_its_process(world: Any, ctx_for: Any, tmp_path: Path) -> None:
    """The engine does not touch the cyclic GC (a server must keep it): planning runs with it on,
    and inside the CLI's import process (cli/process.py) with it paused, restored afterwards."""
    import gc

    from tenantctl.cli.process import gc_paused
    from tenantctl.importers import read as reader
    from tenantctl.store.imports import planning as imports
    from tenantctl.store.imports.plan import Options
    from tests.imports.conftest import basic_workbook

    source = reader.read(basic_workbook(tmp_path / "a.xlsx"))
    seen: list[bool] = []
    original = imports.plan_users

    def spy(*args: Any) -> None:
        seen.append(gc.isenabled())
        original(*args)

    assert gc.isenabled()
    imports.plan_users = spy  # type: ignore[assignment]
    try:
        with ctx_for() as ctx:
            plan = imports.build_plan(ctx, source, Options())
        with gc_paused(), ctx_for() as ctx:
            imports.build_plan(ctx, source, Options())
    finally:
        imports.plan_users = original  # type: ignore[assignment]
    assert seen == [True, False] and gc.isenabled()
    assert plan.counts()["users_create"] == 3


def test_equal_cells_share_one_string(tmp_path: Path) -> None:
    """100,000 rows repeat first names, roles and languages: the reader keeps one copy of each."""
    from tenantctl.importers import read as reader
    from tests.imports.conftest import basic_workbook

    table = reader.read(basic_workbook(tmp_path / "a.xlsx")).tables["users"]
    (_, first), (_, second), (_, third) = table.rows
    assert first[4] == second[4] == "admin" and first[4] is second[4]
    assert first[3] != third[3]


def test_undo_dry_run_and_prompt_show_counts_and_the_links_that_went_out(world: Any, cli: Any, ok: Any, db_rows: Any,
                                                                         counts: Any, tmp_path: Path) -> None:
    run = ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")), "--send-links")["run"]
    sent = db_rows("SELECT count(*) FROM password_link WHERE token_hash IS NOT NULL")
    assert sent == [(3,)]  # delivered right after the import committed
    before = counts()
    preview = ok("import", "undo", str(run), "--dry-run")
    assert preview["dry_run"] is True and preview["links_sent"] == 3
    assert preview["undone"] == {"memberships_removed": 3, "users_removed": 3, "connections_removed": 2,
                                 "tenants_removed": 2, "restored": 0}
    human = cli("import", "undo", str(run), "--dry-run")
    assert human.exit_code == 0
    assert " ".join(human.stderr.split()) == (
        f"dry run: undoing import run {run} would remove 3 memberships, 3 users, 2 connections, 2 tenants; "
        "3 password link mails already went out and those links stop working; nothing changed")
    assert counts() == before  # the dry run wrote nothing, not even an audit event
    # without a terminal and without --yes: the refusal carries the same counts
    asked = cli("import", "undo", str(run), "--json")
    assert asked.exit_code == 3
    assert asked.json()["error"]["message"] == (
        f"Undo import run {run}: remove 3 memberships, 3 users, 2 connections, 2 tenants; "
        "3 password link mails already went out and those links stop working: confirmation needed")
    assert counts() == before
    done = cli("import", "undo", str(run), "--yes")
    assert done.exit_code == 0
    assert " ".join(done.stderr.split()) == (
        f"undid import run {run}: removed 3 memberships, 3 users, 2 connections, 2 tenants; "
        "3 password link mails already went out and those links no longer work")
    assert "memberships_removed" not in done.stdout + done.stderr
    assert db_rows("SELECT count(*) FROM password_link") == [(0,)]
