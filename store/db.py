"""Engine, transactions and schema state. One transaction per command: the CLI opens it with
`Store.transaction()`, services only add and flush."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from tenantctl.store import errors
from tenantctl.store.errors import InvalidInput, SchemaError, Unreachable, busy_error, is_busy
from tenantctl.store.revisions import check_not_newer, head_revisions
from tenantctl.store.settings import mask_secret


def normalise_url(url: str) -> str:
    """psycopg 3 is our PostgreSQL driver; accept the bare scheme users paste from elsewhere."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


# `tenantctl serve`: all workers together hold at most SERVER_CONNECTIONS connections of the
# store (PostgreSQL's default max_connections is 100: room is left for the CLI, migrations and
# other clients); each worker keeps half of its share open and opens the other half on demand. A
# request waits at most POOL_WAIT_SECONDS for a connection, then answers 503 with Retry-After
# before it has read or written anything.
SERVER_CONNECTIONS = 40
POOL_WAIT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 1
# a PostgreSQL server that does not answer (a dropped packet, a stopped VM) is reported after this
# long instead of after the operating system's TCP timeout (minutes): /readyz, a command at 2 a.m.
# A connect_timeout in the URL wins.
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class PoolBounds:
    size: int
    overflow: int
    wait: float = POOL_WAIT_SECONDS

    @classmethod
    def for_workers(cls, workers: int, budget: int = SERVER_CONNECTIONS) -> PoolBounds:
        share = max(2, budget // max(1, workers))
        return cls(size=(share + 1) // 2, overflow=share // 2)


class Busy(Unreachable):
    """No connection of the pool became free in time: nothing was read or written (HTTP 503 with
    Retry-After)."""

    retry_after = RETRY_AFTER_SECONDS


class Lease:
    """One connection for everything a unit of work (a request of `tenantctl serve`) does: its
    transactions run one after the other on it, so a request never waits for a second connection
    while holding one (with N requests each holding one and waiting for another, a pool of N
    deadlocks). Taken on first use, given back by release()."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.conn: Any = None

    def release(self) -> None:
        conn, self.conn, self.engine = self.conn, None, None
        if conn is not None:
            conn.close()


LEASE: ContextVar[Lease | None] = ContextVar("tenantctl_connection_lease", default=None)


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={errors.SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that upgrades to a writer
        # later can fail with SQLITE_BUSY regardless of busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write", True) else "BEGIN")


def _no_table(exc: BaseException) -> bool:
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text_ or "does not exist" in text_ or "undefinedtable" in type(
        getattr(exc, "orig", exc)).__name__.lower()


def take_exclusive(session: Any, name: str) -> bool:
    """Try to become the only transaction doing `name` (e.g. an import) until it ends. PostgreSQL:
    a transaction-scoped advisory lock, False at once when another transaction holds it. SQLite:
    always True, since write transactions already run one at a time (BEGIN IMMEDIATE)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:name))"), {"name": name}).scalar())


# after `tenantctl logout` (or on a reseller's laptop) there is no store here, and none is wanted
NO_STORE_HINT = ("to work through a server: tenantctl login --server URL (or tenantctl context use NAME); "
                 "for a store on this machine: tenantctl init, or pass --db")


class Store:
    def __init__(self, url: str, *, create: bool = False, pool: PoolBounds | None = None) -> None:
        self.url = normalise_url(url)
        self.safe_url = mask_secret(self.url)
        self.is_sqlite = self.url.startswith("sqlite")
        try:
            path = sqlite_path(self.url)
        except Exception as exc:  # ArgumentError (no scheme), ValueError (port not a number)
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise InvalidInput(f"the store URL {self.safe_url} is malformed: {reason}",
                               hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB") from None
        if path is not None:
            try:
                self._check_sqlite_path(path, create)
            except PermissionError as exc:  # e.g. TENANTCTL_HOME not readable by this user
                raise Unreachable(f"cannot open the store folder {path.parent}: {exc.strerror}",
                                  hint=f"fix its permissions (chmod 700 {path.parent}) or set TENANTCTL_HOME / "
                                       "--db to a folder of yours") from None
        try:
            bounds: dict[str, Any] = {} if pool is None else {
                "pool_size": pool.size, "max_overflow": pool.overflow, "pool_timeout": pool.wait}
            if not self.is_sqlite and "connect_timeout" not in make_url(self.url).query:
                bounds["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
            self.engine = create_engine(self.url, pool_pre_ping=not self.is_sqlite, **bounds)
        except Exception as exc:  # bad URL syntax, unknown driver
            raise Unreachable(f"cannot use store URL {self.safe_url}: {exc}",
                              hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB") from None
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)

    @classmethod
    def of_session(cls, session: Any) -> Store:
        """A Store over the engine a session is bound to (a command's own): for work after its
        transaction, such as mail delivery, without building a second engine."""
        bind: Any = session.get_bind()
        engine = getattr(bind, "engine", bind)
        store = cls.__new__(cls)
        store.url = engine.url.render_as_string(hide_password=False)
        store.safe_url = mask_secret(store.url)
        store.is_sqlite = engine.dialect.name == "sqlite"
        store.engine = engine
        return store

    @staticmethod
    def _check_sqlite_path(path: Path, create: bool) -> None:
        from tenantctl.store.files import create_private, private_dir

        folder = path.parent
        if not folder.exists():
            if not create:
                raise SchemaError(f"no store at {path}", hint=NO_STORE_HINT)
            try:
                private_dir(folder)
            except OSError as exc:
                raise Unreachable(f"cannot create the store folder {folder}: {exc.strerror}",
                                  hint="set TENANTCTL_HOME or --db to a writable place") from None
        if not path.exists():
            if not create:
                raise SchemaError(f"no store at {path}", hint=NO_STORE_HINT)
            try:
                create_private(path)  # 0600 before SQLite creates it (and its -wal/-shm) as 0644
            except OSError as exc:
                raise Unreachable(f"cannot create the store {path}: {exc.strerror}",
                                  hint="set TENANTCTL_HOME or --db to a writable place") from None
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise Unreachable(f"the store folder {folder} is not writable",
                              hint="fix its permissions or set TENANTCTL_HOME / --db to a writable place")

    def _unreachable(self, exc: Exception) -> Unreachable:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        return Unreachable(f"cannot reach the store at {self.safe_url}: {reason}",
                           hint="check the URL (--db / TENANTCTL_DATABASE_URL) and that the server runs")

    def _open(self) -> Any:
        try:
            return self.engine.connect()
        except PoolTimeout:
            raise Busy("the server is busy: no store connection became free in time; nothing was done",
                       hint=f"try again in {RETRY_AFTER_SECONDS} s") from None
        except (OperationalError, DBAPIError) as exc:
            raise self._unreachable(exc) from None

    @contextmanager
    def connect(self) -> Iterator[Any]:
        lease = LEASE.get()
        # a transaction already open on the leased connection is never joined (a nested one gets its
        # own connection, as without a lease)
        if lease is not None and lease.engine in (None, self.engine) and not (
                lease.conn is not None and not lease.conn.closed and lease.conn.in_transaction()):
            if lease.conn is None or lease.conn.closed or lease.conn.invalidated:
                lease.conn, lease.engine = self._open(), self.engine
            yield lease.conn  # given back when the lease ends
            return
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A Session in one transaction: committed when the block ends, rolled back on any error."""
        with self.connect() as conn:
            conn.info["write"] = write
            session = Session(bind=conn, expire_on_commit=False, autoflush=True)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    # -- schema ---------------------------------------------------------------------------------

    def current_revisions(self) -> set[str]:
        """The schema revisions the store is at (empty: no schema). A read: it neither takes nor
        waits for the write lock, so it works while another command writes."""
        with self.connect() as conn:
            conn.info["write"] = False
            try:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
            except (OperationalError, DBAPIError) as exc:
                if is_busy(exc):
                    raise busy_error() from None
                if _no_table(exc):
                    return set()
                raise self._unreachable(exc) from None
        return {r[0] for r in rows}

    def require_current_schema(self) -> None:
        current = self.current_revisions()
        if not current:
            raise SchemaError(f"the store at {self.safe_url} has no tenantctl schema",
                              hint="run tenantctl init")
        check_not_newer(self.safe_url, current)
        if current != head_revisions():
            raise SchemaError(
                f"the store schema is at {', '.join(sorted(current))}, this tenantctl needs "
                f"{', '.join(sorted(head_revisions()))}",
                hint="run tenantctl db upgrade",
            )

    def dispose(self) -> None:
        self.engine.dispose()
