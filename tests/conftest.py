"""Fixtures: a fresh store per test on SQLite (always) and PostgreSQL (when
TENANTCTL_TEST_DATABASE_URL is set, for tests that use `backend`); a CLI runner, locally or in
remote mode against a loopback server (`cli_mode`), that checks two things for every call: with
--json, stdout is exactly one JSON document; and every `import run` / `apply` is first run as its
--dry-run twin, which must leave the store unchanged and answer as the real run does (exit code,
and with --json the same document but for the run's number and timings). It does not otherwise
check the store after a command: tests assert that themselves (`counts`, `db_rows`, `unchanged`).
Plus service contexts acting as any user."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

PG_URL = os.environ.get("TENANTCTL_TEST_DATABASE_URL")
PG_SKIP = "TENANTCTL_TEST_DATABASE_URL is not set (CI's .ci/run sets it to the local PostgreSQL)"


def pytest_report_header(config: Any) -> str:
    return f"postgres: {PG_URL or 'SKIPPED - ' + PG_SKIP}"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the developer's machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TENANTCTL_") and name != "TENANTCTL_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("TENANTCTL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no user config.toml
    monkeypatch.chdir(tmp_path)  # no ./tenantctl.toml
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # the output's width: set by the tests that mean it


# -- stores ---------------------------------------------------------------------------------------

def _admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tenantctl.store.db import Store
    from tenantctl.store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store(f"sqlite:///{path}", create=True)
    upgrade(store)
    store.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """One migrated template database per test session; each test clones it (fast)."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    import psycopg

    from tenantctl.store.db import Store
    from tenantctl.store.migrate import upgrade

    name = f"tenantctl_tpl_{uuid.uuid4().hex[:10]}"
    admin = _admin_url(PG_URL).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _db_url(name)
    store = Store(url)
    upgrade(store)
    store.dispose()
    yield name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _db_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    assert PG_URL
    return make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


@contextmanager
def pg_database(template: str) -> Iterator[str]:
    import psycopg

    assert PG_URL
    name = f"tenantctl_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_url(PG_URL).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _db_url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           _sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated, empty store. SQLite unless the test uses the `backend` fixture and runs
    with the postgres parameter."""
    kind = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if kind == "sqlite":
        path = tmp_path / "home" / "tenantctl.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_sqlite_template, path)
        url = f"sqlite:///{path}"
        monkeypatch.setenv("TENANTCTL_DATABASE_URL", url)
        yield url
        return
    template = request.getfixturevalue("_pg_template")
    with pg_database(template) as url:
        monkeypatch.setenv("TENANTCTL_DATABASE_URL", url)
        yield url


# -- the CLI -------------------------------------------------------------------------------------

@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)

    @property
    def data(self) -> Any:
        return self.json()["data"]


# Commands without an API counterpart: in remote-mode tests they set the scene locally.
LOCAL_ONLY = {("init",), ("db",), ("config",), ("doctor",), ("export",), ("auth", "login"), ("serve",), ("worker",),
              ("mail", "show"), ("mail", "send"), ("mail", "retry"), ("mail", "preview"), ("mail", "test"),
              ("password", "set"), ("invite", "accept"), ("import", "template"), ("completion",)}


@pytest.fixture(params=["local", "remote"])
def cli_mode(request: pytest.FixtureRequest) -> str:
    """A module that uses this (pytestmark = pytest.mark.usefixtures("cli_mode")) runs every test
    twice: the CLI on the store, and the CLI in remote mode against a loopback server."""
    return str(request.param)


@pytest.fixture(scope="session")
def _api_server(_sqlite_template: Path) -> Iterator[Any]:
    from apiserver import LoopbackServer

    from tenantctl.store.settings import load_settings

    server = LoopbackServer(load_settings(environ={"TENANTCTL_DATABASE_URL": f"sqlite:///{_sqlite_template}"}))
    yield server
    server.stop()


@pytest.fixture
def api_server(_api_server: Any, db_url: str) -> Iterator[Any]:
    """The loopback API server (`tenantctl serve`'s app), serving this test's store."""
    from tenantctl.store.settings import load_settings

    _api_server.use(load_settings())
    yield _api_server
    _api_server.runtime.close()


def _is_local_only(args: list[str]) -> bool:
    words = [a for a in args if not a.startswith("-")][:2]
    return tuple(words[:1]) in LOCAL_ONLY or tuple(words) in LOCAL_ONLY


@pytest.fixture
def cli(request: pytest.FixtureRequest) -> Callable[..., Run]:
    """cli("tenant", "list", "--json", input=..., as_="max.mueller") -> Run. In a remote-mode test
    (cli_mode), every command with an API counterpart goes over HTTP with a token for `as_`."""
    from tenantctl.cli.main import app

    runner = CliRunner()
    remote = "cli_mode" in request.fixturenames and request.getfixturevalue("cli_mode") == "remote"
    server = request.getfixturevalue("api_server") if remote else None
    if remote:
        from apiserver import same_labels

        request.getfixturevalue("monkeypatch").setattr("tenantctl.store.services.api_tokens.label_for", same_labels)
    tokens: dict[str | None, str] = {}

    def run(*args: str, input: str | None = None, as_: str | None = None, env: dict[str, str] | None = None) -> Run:
        if server is None or _is_local_only(list(args)):
            argv = (["--as", as_] if as_ else []) + list(args)
            result = runner.invoke(app.for_args(argv), argv, input=input, env=env)
        else:
            from apiserver import token_for

            from tenantctl.store.settings import load_settings

            if as_ not in tokens:
                tokens[as_] = token_for(server.runtime.store, as_)
            with pytest.MonkeyPatch.context() as mp:  # the server reads the command's settings too
                for k, v in (env or {}).items():
                    mp.setenv(k, v)
                server.runtime.settings = load_settings()
            argv = ["--server", server.url, *args]
            result = runner.invoke(app.for_args(argv), argv, input=input,
                                   env={**(env or {}), "TENANTCTL_TOKEN": tokens[as_],
                                        "TENANTCTL_DATABASE_URL": None, "TENANTCTL_ACTOR": None})
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        out = Run(result.exit_code, result.stdout, result.stderr)
        if "--json" in args:
            one_json_document(out.stdout)
        return out

    def checked(*args: str, **kw: Any) -> Run:
        twin = rehearse and _dry_run_twin(list(args))
        if not twin:
            return run(*args, **kw)
        before = stored(db) if db else None
        folders = _folders_of(args)
        files = {f: set(f.iterdir()) for f in folders}
        dry = run(*twin, **kw)
        if db:
            assert stored(db) == before, f"the dry run of {args} changed the store"
        for folder, known in files.items():  # the real run finds the folder as the dry run did: its
            for made in set(folder.iterdir()) - known:  # marked copy would otherwise exist already
                made.unlink()
        real = run(*args, **kw)
        if real.exit_code != ConfirmationNeeded.exit_code:  # a real --prune without --yes asks first
            assert_same_outcome(dry, real, list(args))
        return real

    from tenantctl.store.errors import ConfirmationNeeded

    rehearse = request.node.get_closest_marker("no_dry_run_twin") is None
    engine: list[Any] = []

    def store_engine() -> Any:
        if not engine:
            from sqlalchemy import create_engine

            engine.append(create_engine(request.getfixturevalue("db_url")))
            request.addfinalizer(engine[0].dispose)
        return engine[0]

    db = store_engine if "db_url" in request.fixturenames else None
    return checked


def _folders_of(args: tuple[str, ...]) -> set[Path]:
    """The folders of the files a command line names (where an import writes its marked copy)."""
    return {Path(a).parent for a in args if "/" in a and Path(a).parent.is_dir() and Path(a).parent != Path("/")}


def stored(db: Callable[[], Any]) -> dict[str, Any]:
    """Every table's fingerprint but the API tokens' (remote mode: the test's token is made on its
    first request and notes when it was used)."""
    from fingerprint import fingerprint

    return {k: v for k, v in fingerprint(db()).items() if k != "api_token"}


def one_json_document(stdout: str) -> Any:
    """With --json, stdout holds exactly one JSON document (README "Output and exit codes"):
    checked for every --json call of every test."""
    import json

    text = stdout.strip()
    assert text, "--json printed nothing on stdout"
    doc, end = json.JSONDecoder().raw_decode(text)
    assert not text[end:].strip(), f"--json printed more than one document: {text[end:end + 200]!r}"
    return doc


def _dry_run_twin(args: list[str]) -> list[str] | None:
    """`import run …` and `apply …` (not a dry run themselves, not `--schema`): the same command
    line with --dry-run, which must answer as the real run does (issue 17: the dry run is the
    real run, rolled back)."""
    words = [a for a in args if not a.startswith("-")]
    if not words or "--dry-run" in args or "--schema" in args or "--help" in args:
        return None
    if words[0] == "apply" or words[:2] == ["import", "run"]:
        return [*args, "--dry-run"]
    return None


_RUN_NUMBER = re.compile(r"\b(run \d+|dry run)\b")
_RUN_ONLY = frozenset({"run", "dry_run", "state", "timings", "seconds"})


def _same_shape(value: Any) -> Any:
    """A result as far as a dry run and a real run must agree: without the run's number, its
    state and its timings."""
    if isinstance(value, dict):
        return {k: _same_shape(v) for k, v in value.items() if k not in _RUN_ONLY}
    if isinstance(value, list):
        return [_same_shape(v) for v in value]
    if isinstance(value, str):
        return _RUN_NUMBER.sub("run …", value)
    return value


def assert_same_outcome(dry: Run, real: Run, args: list[str]) -> None:
    """The dry run said what the real run did: the same exit code, and with --json the same
    problems and plan (the same document but for the run number and timings)."""
    assert dry.exit_code == real.exit_code, (f"dry run of {args} exited {dry.exit_code}, the real run "
                                             f"{real.exit_code}", dry.stderr, real.stderr)
    if "--json" in args:
        assert _same_shape(dry.json()) == _same_shape(real.json()), f"dry run and real run of {args} differ"


@pytest.fixture
def ok(cli: Callable[..., Run]) -> Callable[..., Any]:
    """Run a command with --json that must succeed; return its data."""

    def run(*args: str, **kw: Any) -> Any:
        r = cli(*args, "--json", **kw)
        assert r.exit_code == 0, (r.exit_code, r.stdout, r.stderr)
        assert r.stderr == ""
        return r.data

    return run


# -- service contexts ----------------------------------------------------------------------------

@pytest.fixture
def store(db_url: str) -> Iterator[Any]:
    from tenantctl.store.db import Store

    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def db_rows(store: Any) -> Callable[[str], list[tuple[Any, ...]]]:
    """db_rows("SELECT …") -> the rows as tuples, read on a connection of its own: what the
    commands committed."""
    from sqlalchemy import text

    def rows(sql: str) -> list[tuple[Any, ...]]:
        with store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    return rows


@pytest.fixture
def ctx_for(store: Any) -> Callable[..., Any]:
    """with ctx_for("max.mueller") as ctx: … one committed transaction acting as that login
    (None: the operator)."""
    from tenantctl.store.actor import resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.settings import load_settings

    @contextmanager
    def make(login: str | None = None) -> Iterator[Ctx]:
        settings = load_settings()
        with store.transaction() as session:
            ctx = Ctx(session, resolve_actor(session, login), settings)
            yield ctx
        for hook in ctx.after_commit:
            hook()

    return make


@pytest.fixture
def world(ctx_for: Callable[..., Any]) -> dict[str, str]:
    """The S1 world: operator (+ admin), reseller acme with admin, customers mueller (under acme,
    admin + member) and other (under a second reseller beta). Returns the handles."""
    from tenantctl.store.enums import TenantKind, TenantStatus
    from tenantctl.store.models import Tenant
    from tenantctl.store.services import tenants, users

    with ctx_for() as ctx:
        ctx.session.add(Tenant(key="platform", name="Platform", kind=TenantKind.operator,
                               status=TenantStatus.active, created_by="test"))
        ctx.session.flush()
        users.create_user(ctx, "platform", "Olga", "Peters", "ops@example.com", role="admin")
        tenants.create_tenant(ctx, "ACME Reseller AG", "reseller", key="acme")
        tenants.create_tenant(ctx, "Beta Partner GmbH", "reseller", key="beta")
        users.create_user(ctx, "acme", "Rita", "Reseller", "rita@acme.example", role="admin")
        users.create_user(ctx, "beta", "Bert", "Beta", "bert@beta.example", role="admin")
        tenants.create_tenant(ctx, "Müller & Söhne GmbH", "customer", reseller="acme", key="mueller",
                              customer_number="10001", currency="EUR")
        tenants.create_tenant(ctx, "Other Customer KG", "customer", reseller="beta", key="other")
        users.create_user(ctx, "mueller", "Max", "Müller", "max@mueller.example", role="admin")
        users.create_user(ctx, "mueller", "Mia", "Meier", "mia@mueller.example", role="member")
        users.create_user(ctx, "other", "Otto", "Other", "otto@other.example", role="admin")
    return {"operator": "olga.peters", "reseller_admin": "rita.reseller", "other_reseller_admin": "bert.beta",
            "customer_admin": "max.mueller", "customer_member": "mia.meier", "other_customer_admin": "otto.other"}


@pytest.fixture
def fast_hasher() -> Iterator[None]:
    """argon2id at minimal cost: tests of behaviour, not of the work factor (the real parameters
    are tested in tests/passwords and measured by bench web)."""
    from argon2 import PasswordHasher, Type

    from tenantctl.store import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID))
    yield
    passwords.use_hasher(None)
