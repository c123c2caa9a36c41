"""The authorization matrix (issue 9): every command of the Typer app × every kind of actor, each
with its expected outcome, and the store unchanged after every refusal (all tables, audit log
included). The command list is read from the app itself, so a new command without a line in
MATRIX fails `test_every_command_is_classified`, naming the command.

The world is built once per module through the CLI; each case runs on a copy of its SQLite file."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

# Actor kinds, in the order of the expectation strings below.
RANKED = {  # kind → --as (None: the operator, as the CLI runs without --as)
    "operator": None, "reseller_a": "rita.reseller", "reseller_b": "bert.beta", "customer_admin": "max.mueller",
    "member": "mia.meier", "billing": "bianca.billing", "agency": "anna.agentur",
}
# These never get past the actor: refused (permission denied) on every command.
REFUSED = {"suspended_admin": "sus.admin", "pending_admin": "pen.admin", "rejected_admin": "rej.admin",
           "disabled": "dis.abled", "unknown": "nobody.here", "empty": ""}
OK, NOT_FOUND, DENIED = "0", "8", "9"

# command → (argv, expected exit code per ranked actor kind: operator reseller_a reseller_b
# customer_admin member billing agency). 0 allowed, 8 not found, 9 permission denied; other codes
# are the command's own answer once the actor was allowed past the scope check (2 usage, 4 invalid,
# 5 conflict). Every non-zero outcome must leave the store unchanged. {tmp} {inv} {conn} {run}
# {mail} are filled in per case. Adding a command is one line.
MATRIX: dict[str, tuple[tuple[str, ...], str]] = {
    "init": (("init",), "0 9 9 9 9 9 9"),
    "doctor": (("doctor",), "0 9 9 9 9 9 9"),
    "serve": (("serve", "--workers", "2"), "2 9 9 9 9 9 9"),  # the operator reaches serve's own check
    "export": (("export", "{tmp}/out.json"), "0 0 0 0 0 0 0"),
    "db status": (("db", "status"), "0 9 9 9 9 9 9"),
    "db upgrade": (("db", "upgrade"), "0 9 9 9 9 9 9"),
    "db prune": (("db", "prune"), "0 9 9 9 9 9 9"),
    "db copy": (("db", "copy", "--to", "sqlite:///{tmp}/copy.db"), "0 9 9 9 9 9 9"),
    "db backup": (("db", "backup", "{tmp}/backup.db"), "0 9 9 9 9 9 9"),
    "worker": (("worker", "--once"), "0 9 9 9 9 9 9"),
    "config show": (("config", "show"), "0 9 9 9 9 9 9"),
    "tenant create": (("tenant", "create", "Neukunde GmbH", "--kind", "customer", "--reseller", "acme"),
                      "0 0 8 8 8 8 8"),
    "tenant list": (("tenant", "list"), "0 0 0 0 0 0 0"),
    "tenant show": (("tenant", "show", "mueller"), "0 0 8 0 0 0 0"),
    "tenant update": (("tenant", "update", "mueller", "--language", "en"), "0 0 8 0 9 9 0"),
    "tenant suspend": (("tenant", "suspend", "mueller", "--yes"), "0 0 8 9 9 9 9"),
    "tenant activate": (("tenant", "activate", "susp"), "0 0 8 8 8 8 8"),
    "tenant approve": (("tenant", "approve", "pend-gmbh"), "0 9 8 8 8 8 8"),
    "tenant reject": (("tenant", "reject", "pend-gmbh"), "0 9 8 8 8 8 8"),
    "user create": (("user", "create", "--tenant", "mueller", "--first-name", "Neu", "--last-name", "Person",
                     "--email", "neu.person@mueller.example"), "0 0 8 0 9 9 0"),
    "user list": (("user", "list"), "0 0 0 0 0 0 0"),
    "user show": (("user", "show", "mia.meier"), "0 0 8 0 0 0 0"),
    "user update": (("user", "update", "mia.meier", "--last-name", "Neu"), "0 0 8 0 9 9 0"),
    "user disable": (("user", "disable", "mia.meier", "--yes"), "0 0 8 0 9 9 0"),
    "user enable": (("user", "enable", "dis.abled"), "0 0 8 0 9 9 0"),
    # personal data: one's own (mia exports herself) or the operator (the record spans the platform)
    "user export": (("user", "export", "mia.meier", "-o", "{tmp}/mia.json"), "0 9 8 9 0 9 9"),
    # erasure: the operator, or the reseller that manages every tenant of the person
    "user erase": (("user", "erase", "mia.meier", "--yes"), "0 0 8 9 9 9 9"),
    "tenant erase": (("tenant", "erase", "mueller", "--yes"), "0 0 8 9 9 9 9"),
    "member add": (("member", "add", "mia.meier", "--tenant", "mueller", "--role", "billing"), "0 0 8 0 9 9 0"),
    "member remove": (("member", "remove", "bianca.billing", "--tenant", "mueller", "--yes"), "0 0 8 0 9 9 0"),
    "member list": (("member", "list", "--tenant", "mueller"), "0 0 8 0 0 0 0"),
    "invite create": (("invite", "create", "--kind", "member", "--tenant", "mueller", "--email", "gast@example.com",
                       "--role", "member"), "0 0 8 0 9 9 0"),
    "invite list": (("invite", "list"), "0 0 0 0 0 0 0"),
    "invite show": (("invite", "show", "{inv}"), "0 0 8 8 8 8 8"),
    "invite revoke": (("invite", "revoke", "{inv}"), "0 0 8 8 8 8 8"),
    "invite reissue": (("invite", "reissue", "{inv}"), "0 0 8 8 8 8 8"),
    "invite accept": (("invite", "accept", "--organisation", "Fremd GmbH"), "4 9 0 5 0 0 4"),  # acme's standing link
    "connection list": (("connection", "list"), "0 0 0 0 0 0 0"),
    "connection show": (("connection", "show", "{conn}"), "0 0 8 8 8 8 8"),
    "connection approve": (("connection", "approve", "{conn}"), "0 0 8 8 8 8 8"),
    "connection request-info": (("connection", "request-info", "{conn}", "-m", "Frage"), "0 0 8 8 8 8 8"),
    "connection answer": (("connection", "answer", "{conn}", "-m", "Antwort"), "5 9 8 8 8 8 8"),
    "connection reject": (("connection", "reject", "{conn}"), "0 0 8 8 8 8 8"),
    "connection delete": (("connection", "delete", "{conn}", "--yes"), "0 0 8 8 8 8 8"),
    "audit list": (("audit", "list"), "0 0 0 0 0 0 0"),
    "password send-link": (("password", "send-link", "mia.meier", "--print-link"), "0 0 8 0 9 9 0"),
    "password set": (("password", "set", "--password-stdin"), "4 4 4 4 4 4 4"),  # stdin: a bogus token
    "auth login": (("auth", "login", "max.mueller", "--password-stdin"), "9 9 9 9 9 9 9"),  # wrong password
    "mail list": (("mail", "list"), "0 0 0 0 9 9 0"),  # admins: the mails of the users they manage
    "mail show": (("mail", "show", "{mail}"), "0 9 9 9 9 9 9"),
    "mail send": (("mail", "send"), "0 9 9 9 9 9 9"),
    "mail retry": (("mail", "retry", "{mail}", "--no-send"), "0 9 9 9 9 9 9"),
    "mail preview": (("mail", "preview", "password_link_initial"), "0 9 9 9 9 9 9"),
    "mail test": (("mail", "test", "--to", "ops@example.com"), "0 9 9 9 9 9 9"),
    "import template": (("import", "template", "{tmp}/t.xlsx"), "0 9 9 9 9 9 9"),
    "import run": (("import", "run", "{tmp}/in.xlsx"), "0 0 4 4 4 4 4"),  # out of scope: rows refused
    "import list": (("import", "list"), "0 0 0 0 0 0 0"),
    "import show": (("import", "show", "{run}"), "0 0 8 8 8 8 8"),
    "import undo": (("import", "undo", "{run}", "--yes"), "0 0 8 8 8 8 8"),
    "app create": (("app", "create", "Neue App"), "0 9 9 9 9 9 9"),
    "app list": (("app", "list"), "0 0 0 0 0 0 0"),
    # tokens belong to a user: the operator without --as has none of its own (4) but lists everyone's
    "token create": (("token", "create", "--name", "m"), "4 0 0 0 0 0 0"),
    "token list": (("token", "list"), "0 0 0 0 0 0 0"),
    "token revoke": (("token", "revoke", "{tok}", "--yes"), "0 0 8 8 8 8 8"),  # rita's token
    # a login is made with one's own password, never --as someone (the operator reaches the server: 7)
    "login": (("login", "--server", "http://127.0.0.1:9"), "7 9 9 9 9 9 9"),
    "logout": (("logout",), "2 9 9 9 9 9 9"),  # not logged in
    "apply": (("apply", "-f", "{tmp}/state.yaml"), "0 0 4 0 4 4 0"),  # out of scope: problems at their paths
    "completion": (("completion", "bash"), "0 0 0 0 0 0 0"),
    "whoami": (("whoami",), "0 0 0 0 0 0 0"),
    "auth status": (("auth", "status"), "0 0 0 0 0 0 0"),
    # the saved logins of remote mode: a file of the caller's, no store, no actor
    "context list": (("context", "list"), "0 0 0 0 0 0 0"),
    "context use": (("context", "use", "-"), "0 0 0 0 0 0 0"),
    "context add": (("context", "add", "x", "--server", "http://127.0.0.1:9"), "7 7 7 7 7 7 7"),
    "context remove": (("context", "remove", "none-saved", "--yes"), "8 8 8 8 8 8 8"),
}
# Commands that never act on the store, so no actor is resolved (a static completion script, the
# saved logins): command → the exit code of the actors that are refused everywhere else.
NO_ACTOR = {"completion": "0", "context list": "0", "context use": "0", "context add": "7", "context remove": "8"}
# The document `apply` reads in every case: a new person in tenant mueller.
STATE_YAML = ("users:\n  - {email: neu.apply@mueller.example, first_name: Neu, last_name: Apply, "
              "memberships: [{tenant: mueller}]}\n")
STDIN = {"password set": "bogus-token\nein-langes-passwort-42\n", "auth login": "falsches-passwort-123\n",
         "context add": "tctl_1_" + "x" * 43 + "\n",
         "login": "max.mueller\nfalsches-passwort-123\n",
         "invite accept": "{token}\n"}
# Tables a refusal may still write, by design: a refused import keeps its run record (with the
# problems and the marked copy's path) for `import show`.
KEPT_ON_REFUSAL = {"import run": {"import_run"}, "apply": {"import_run"}}
# A sample of commands for the PostgreSQL run (same expectations).
PG_SAMPLE = ["user erase", "tenant erase", "member add", "password send-link", "user disable", "tenant update",
             "invite accept", "connection approve", "import undo", "init"]


def app_commands() -> list[str]:
    """Every leaf command of the Typer app, as "noun verb"."""

    def walk(cmd: Any, path: list[str]) -> Iterator[str]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    return sorted(walk(_click_command(), []))


def test_every_command_is_classified() -> None:
    commands = app_commands()
    missing = [c for c in commands if c not in MATRIX]
    assert not missing, (f"command(s) without a line in the authorization matrix: {', '.join(missing)}; add "
                         "a line to MATRIX in tests/security/test_matrix.py (argv and the expected outcome per "
                         "actor kind)")
    stale = sorted(set(MATRIX) - set(commands))
    assert not stale, f"MATRIX names command(s) the app does not have: {', '.join(stale)}"
    assert all(len(expected.split()) == len(RANKED) for _, expected in MATRIX.values())


# -- the world ------------------------------------------------------------------------------------

@dataclass
class World:
    url: str
    home: Path
    handles: dict[str, str]
    fingerprint: dict[str, tuple[int, str]]


def _env(url: str, home: Path, **more: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TENANTCTL_")
                                  and k != "TENANTCTL_TEST_DATABASE_URL"}
    env.update({"TENANTCTL_DATABASE_URL": url, "TENANTCTL_HOME": str(home),
                "XDG_CONFIG_HOME": str(home / "xdg"), "TENANTCTL_EXCLUSIVE_RESELLER": "0"})
    env.update(more)
    return env


@functools.cache
def _click_command() -> Any:
    """The app's click command, built once (Typer rebuilds it on every invoke: ~0.1 s a case)."""
    import typer

    from tenantctl.cli.main import app

    return typer.main.get_command(app)


def _invoke(url: str, home: Path, argv: list[str], as_: str | None = None, input: str | None = None,
            **env: str | None) -> tuple[int, str, str]:
    from unittest import mock

    from tenantctl.cli.main import app

    full = (["--as", as_] if as_ is not None else []) + argv
    with mock.patch("typer.testing._get_command", lambda _app: _click_command()):
        result = CliRunner().invoke(app, full, input=input, env=_env(url, home, **env))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _sqlite_fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for t in tables:
            rows = conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()
            out[t] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
        return out
    finally:
        conn.close()


def build_world(url: str, home: Path, tmp: Path) -> dict[str, str]:
    """Operator (olga), resellers acme (rita) and beta (bert); customer mueller of acme with admin
    max, member mia, billing bianca, the agency admin anna (also admin of beta's customer other)
    and a disabled member; tenants that are suspended (susp), pending (pend) and rejected (rej),
    each with an admin; a requested connection acme→neu, a pending invitation of acme, a queued
    mail, and an import run of rita's."""
    import json

    def ok(*argv: str, as_: str | None = None, input: str | None = None, **env: str | None) -> Any:
        code, out, err = _invoke(url, home, [*argv, "--json"], as_=as_, input=input, **env)
        assert code == 0, (argv, code, out, err)
        return json.loads(out)["data"]

    def tenant(name: str, key: str, kind: str, *extra: str) -> None:
        ok("tenant", "create", name, "--kind", kind, "--key", key, *extra)

    def user(key: str, first: str, last: str, role: str) -> None:
        ok("user", "create", "--tenant", key, "--first-name", first, "--last-name", last,
           "--email", f"{first}.{last}@{key}.example".lower(), "--role", role)

    ok("init", "--admin-email", "olga@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    tenant("ACME Reseller AG", "acme", "reseller")
    tenant("Beta Partner GmbH", "beta", "reseller")
    tenant("Müller GmbH", "mueller", "customer", "--reseller", "acme", "--customer-number", "10001")
    tenant("Other KG", "other", "customer", "--reseller", "beta")
    tenant("Susp GmbH", "susp", "customer", "--reseller", "acme")
    tenant("Neu GmbH", "neu", "customer")
    user("acme", "Rita", "Reseller", "admin")
    user("beta", "Bert", "Beta", "admin")
    user("mueller", "Max", "Mueller", "admin")
    user("mueller", "Mia", "Meier", "member")
    user("mueller", "Bianca", "Billing", "billing")
    user("mueller", "Anna", "Agentur", "admin")
    ok("member", "add", "anna.agentur", "--tenant", "other", "--role", "admin")
    user("other", "Otto", "Other", "admin")
    user("mueller", "Dis", "Abled", "member")
    ok("user", "disable", "dis.abled", "--yes")
    user("susp", "Sus", "Admin", "admin")
    ok("tenant", "suspend", "susp", "--yes")
    user("neu", "Neu", "Admin", "admin")
    # pending: registered through acme's standing invitation while approval is on
    standing = ok("invite", "create", "--kind", "partner", "--from", "acme", "--max-uses", "100", as_="rita.reseller")
    ok("invite", "accept", "--organisation", "Pend GmbH", "--first-name", "Pen", "--last-name", "Admin",
       "--email", "pen@pend.example", input=standing["token"] + "\n")
    # rejected: the operator decides on a second registration
    ok("invite", "accept", "--organisation", "Rejected Org", "--first-name", "X", "--last-name", "Y",
       "--email", "x@rejected.example", input=standing["token"] + "\n")
    ok("tenant", "reject", "rejected-org")
    user("rejected-org", "Rej", "Admin", "admin")
    # a requested connection acme → neu, accepted by neu's admin
    inv = ok("invite", "create", "--kind", "partner", "--from", "acme", "--email", "neu.admin@neu.example",
             as_="rita.reseller")
    conn = ok("invite", "accept", input=inv["token"] + "\n", as_="neu.admin")["connection"]
    pending = ok("invite", "create", "--kind", "member", "--tenant", "acme", "--email", "gast@acme.example",
                 "--role", "member", as_="rita.reseller")
    ok("password", "send-link", "mia.meier", "--no-send")  # a queued mail
    mails = ok("mail", "list")
    from tests.imports.conftest import basic_workbook

    workbook = basic_workbook(tmp / "in.xlsx")
    run = ok("import", "run", str(workbook), as_="rita.reseller")["run"]
    tok = ok("token", "create", "--name", "ci", as_="rita.reseller")["id"]
    return {"inv": str(pending["id"]), "conn": str(conn), "run": str(run), "mail": str(mails[0]["id"]),
            "token": standing["token"], "tok": str(tok)}


@pytest.fixture(scope="module", autouse=True)
def _fast_hasher() -> Iterator[None]:
    """argon2 at its real cost would spend seconds on `auth login` alone (its cost is tested elsewhere)."""
    from argon2 import PasswordHasher, Type

    from tenantctl.store import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    yield
    passwords.use_hasher(None)


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> World:
    base = tmp_path_factory.mktemp("matrix")
    path = base / "home" / "tenantctl.db"
    path.parent.mkdir(parents=True)
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    handles = build_world(url, base / "home", base)
    return World(url, base / "home", handles, _sqlite_fingerprint(path))


# -- running a case -------------------------------------------------------------------------------

def run_case(command: str, who: str | None, url: str, home: Path, tmp: Path, handles: dict[str, str]
             ) -> tuple[int, str]:
    argv, _ = MATRIX[command]
    fill = {**handles, "tmp": str(tmp)}
    args = [a.format(**fill) for a in argv]
    stdin = STDIN.get(command, "").format(**fill) or None
    if takes_json(command):
        args.append("--json")
    code, out, err = _invoke(url, home, args, as_=who, input=stdin)
    return code, (out or err)[:300]


def takes_json(command: str) -> bool:
    cmd: Any = _click_command()
    for name in command.split():
        cmd = cmd.commands[name]
    return any("--json" in getattr(p, "opts", []) for p in cmd.params)


def _changed(before: dict[str, Any], after: dict[str, Any], command: str) -> list[str]:
    kept = KEPT_ON_REFUSAL.get(command, set())
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t) and t not in kept)


def expected_for(command: str) -> dict[str, str]:
    codes = MATRIX[command][1].split()
    refused = NO_ACTOR.get(command, DENIED)
    return {**dict(zip(RANKED, codes, strict=True)), **dict.fromkeys(REFUSED, refused)}


ALL_KINDS = {**RANKED, **REFUSED}


def case_files(world: World, folder: Path) -> Path:
    """One actor's case: a copy of the world's store (returned) and the files commands read."""
    from tests.imports.conftest import basic_workbook

    (folder / "home").mkdir(parents=True)
    db = folder / "home" / "tenantctl.db"
    shutil.copy(Path(world.url.removeprefix("sqlite:///")), db)
    basic_workbook(folder / "in.xlsx")
    (folder / "state.yaml").write_text(STATE_YAML, encoding="utf-8")
    return db


@pytest.mark.parametrize("command", sorted(MATRIX))
def test_matrix_sqlite(command: str, sqlite_world: World, tmp_path: Path) -> None:
    problems = []
    for kind, who in ALL_KINDS.items():
        case = tmp_path / kind
        db = case_files(sqlite_world, case)
        code, said = run_case(command, who, f"sqlite:///{db}", case / "home", case, sqlite_world.handles)
        want = expected_for(command)[kind]
        if str(code) != want:
            problems.append(f"{kind} ({who!r}): exit {code}, expected {want}: {said}")
        elif want != OK and (changed := _changed(sqlite_world.fingerprint, _sqlite_fingerprint(db), command)):
            problems.append(f"{kind} ({who!r}): refused with {code} but the store changed: {changed}")
    assert not problems, f"{command}:\n" + "\n".join(problems)


# -- PostgreSQL: a sample of commands, every actor kind -------------------------------------------

@pytest.fixture(scope="module")
def pg_world(tmp_path_factory: pytest.TempPathFactory, _pg_template: str) -> Iterator[World]:
    from tests.conftest import pg_database

    base = tmp_path_factory.mktemp("matrix-pg")
    (base / "home").mkdir()
    with pg_database(_pg_template) as url:
        handles = build_world(url, base / "home", base)
        yield World(url, base / "home", handles, _pg_fingerprint(url))


def _pg_fingerprint(url: str) -> dict[str, tuple[int, str]]:
    from fingerprint import fingerprint

    from tenantctl.store.db import Store

    store = Store(url)
    try:
        return fingerprint(store)
    finally:
        store.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("command", PG_SAMPLE)
def test_matrix_postgres_sample(command: str, pg_world: World, tmp_path: Path) -> None:
    """Each refusal runs on a clone of the world and must leave it as it was; after an allowed
    case the next one gets a fresh clone."""
    from sqlalchemy.engine import make_url

    from tests.conftest import pg_database
    from tests.imports.conftest import basic_workbook

    world_db = make_url(pg_world.url).database
    assert world_db
    basic_workbook(tmp_path / "in.xlsx")
    (tmp_path / "home").mkdir()
    problems = []
    kinds = sorted(ALL_KINDS, key=lambda k: expected_for(command)[k] == OK)  # refusals first, on one clone
    clone = pg_database(world_db)
    url = clone.__enter__()
    try:
        for kind in kinds:
            code, said = run_case(command, ALL_KINDS[kind], url, tmp_path / "home", tmp_path, pg_world.handles)
            want = expected_for(command)[kind]
            if str(code) != want:
                problems.append(f"{kind}: exit {code}, expected {want}: {said}")
            elif want != OK and (changed := _changed(pg_world.fingerprint, _pg_fingerprint(url), command)):
                problems.append(f"{kind}: refused with {code} but the store changed: {changed}")
            if code == 0:
                clone.__exit__(None, None, None)
                clone = pg_database(world_db)
                url = clone.__enter__()
    finally:
        clone.__exit__(None, None, None)
    assert not problems, f"{command} (PostgreSQL):\n" + "\n".join(problems)
