"""Database engine, naming convention, column types and the per-request unit of work."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, TypeVar, cast
from weakref import WeakKeyDictionary

import anyio.to_thread
import psycopg
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, FastAPI, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import DateTime, Dialect, event
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine

from app.config import Settings

# Explicit constraint names, so that migrations can name (and drop) every constraint on
# every backend, including SQLite's batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata

# A session opened with this execution option belongs to a request that writes; on SQLite
# its transaction starts with BEGIN IMMEDIATE so that concurrent writers queue on the
# busy timeout instead of failing when a read lock cannot be upgraded.
WRITE_OPTION = "followup_write"
# A connection with this execution option runs its statements outside a transaction
# (SQLite: no BEGIN is sent; see single_read).
AUTOCOMMIT_OPTION = "followup_autocommit"
# A GET that may write (one that creates what it reads on first use) sets this scope key
# with the `writes` dependency, before the session opens.
WRITES_SCOPE_KEY = "followup.writes"

# Callables that `get_session` runs in the request's transaction just before it commits
# (the idempotency middleware marks its key there: committed if and only if the work is).
BEFORE_COMMIT = "followup_before_commit"

T = TypeVar("T")

_SESSION_SLOTS: RunVar[WeakKeyDictionary[FastAPI, CapacityLimiter]] = RunVar("followup_session_slots")


def version_field() -> Any:
    """A row version for ETags: 1 when created, incremented by each change to what the
    API shows of the row (see app.etags)."""
    return Field(default=1, sa_column_kwargs={"server_default": "1"})


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite, which keeps no offset, gets naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetimes are not stored; give a time zone offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(settings: Settings) -> Engine:
    """The engine for `settings.database_url`, with a pool at least as large as the
    thread pool that runs the sync route functions."""
    url = settings.database_url
    engine = create_engine(
        url,
        pool_size=settings.thread_pool_size,
        max_overflow=settings.db_pool_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No ping on every checkout (a round trip per request); see _ping_idle_connections.
        pool_pre_ping=False,
        # An unreachable server must fail fast (503) rather than hold the request.
        connect_args={} if is_sqlite(url) else {"connect_timeout": settings.db_connect_timeout_seconds},
    )
    if is_sqlite(url):
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
    else:
        _ping_idle_connections(engine)
    return engine


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    """Pessimistic disconnect handling, for connections that sat idle only: a connection
    that died with the server (a restart, a failover, an idle timeout) is noticed before a
    request uses it, and replaced. A busy pool hands out connections used milliseconds
    ago, which would pay a round trip per request for SQLAlchemy's `pool_pre_ping`; if the
    server goes away under load, the first request to notice gets a 503 and SQLAlchemy
    invalidates the whole pool, so the next ones reconnect."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError("the pooled connection is gone") from error


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one SELECT on its own, outside a transaction: a single statement
    sees one snapshot anyway. On Postgres that is one round trip where a transaction costs
    three (BEGIN, the query, ROLLBACK); on SQLite, two calls into the library instead of
    four."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(**{AUTOCOMMIT_OPTION: True})
        else:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def _all_rows(engine: Engine, statement: Executable, params: dict[str, Any]) -> list[Row[Any]]:
    with single_read(engine) as connection:
        return list(connection.execute(statement, params).all())


class LoopReads:
    """Reads of one statement awaited on the event loop, with no worker thread.

    A hop to a worker thread is cheap alone, but under load the worker threads and the
    event loop contend for the GIL at every call into the database driver, which halved
    the throughput of a read that takes a fraction of a millisecond (docs/benchmarks.md).
    The reads a home screen polls come here instead:

    - Postgres: psycopg's async connections from a fixed psycopg_pool, in autocommit (one
      round trip), the statement compiled once by SQLAlchemy. (SQLAlchemy's asyncio engine
      did the same at twice the CPU per read, measured in docs/benchmarks.md.) The pool
      belongs to the event loop that runs the application's lifespan (uvicorn's); a
      request served on another loop (a test client without a lifespan) reads in a
      worker thread instead.
    - SQLite: the query runs on the event loop itself: a read by primary key from a file
      in the page cache takes microseconds, and in WAL mode readers do not wait for
      writers. Its connection never waits for a lock (busy timeout 0); in the rare case
      that the database is locked to readers (WAL recovery), the read is retried in a
      worker thread with the usual busy timeout.
    """

    def __init__(self, settings: Settings, fallback: Engine) -> None:
        self.settings = settings
        self.fallback = fallback
        self.sqlite: Engine | None = None
        self.postgres: AsyncConnectionPool | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sql: dict[int, str] = {}
        self._checking: asyncio.Task[None] | None = None
        self._handed_out_at: WeakKeyDictionary[AsyncConnection[Any], float] = WeakKeyDictionary()
        if is_sqlite(settings.database_url):
            self.sqlite = create_db_engine(
                settings.model_copy(update={"sqlite_busy_timeout_ms": 0, "thread_pool_size": 1, "db_pool_overflow": 0})
            )

    async def start(self) -> None:
        """Called by the lifespan, on the loop that serves the requests."""
        if self.sqlite is not None:
            return
        self.loop = asyncio.get_running_loop()
        url = make_url(self.settings.database_url)
        size = self.settings.loop_read_connections
        self.postgres = AsyncConnectionPool(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            # A fixed pool: a request waits for a connection on the event loop, which costs
            # less than opening one for a burst and closing it after.
            min_size=size,
            max_size=size,
            kwargs={"autocommit": True, "connect_timeout": self.settings.db_connect_timeout_seconds},
            timeout=self.settings.db_pool_timeout_seconds,
            check=self._check,
            open=False,
        )
        # The connections are made in the background: the process starts serving even
        # when the database is down (the reads answer 503 until it is back).
        await self.postgres.open(wait=False)

    async def stop(self) -> None:
        if self.postgres is not None:
            await self.postgres.close()
            self.postgres = None
        if self.sqlite is not None:
            self.sqlite.dispose()

    async def _check(self, connection: AsyncConnection[Any]) -> None:
        """Ping a connection that sat idle for a while before it is handed out (as
        _ping_idle_connections does for the other pool); one that fails is replaced. Idle
        is counted from when it was last handed out: a `reset` callback to note returns
        would move every return to a background task of the pool."""
        now = time.monotonic()
        handed_out_at = self._handed_out_at.get(connection)
        if handed_out_at is not None and now - handed_out_at >= PING_AFTER_IDLE_SECONDS:
            await connection.execute("SELECT 1")
        self._handed_out_at[connection] = now

    def _compiled(self, statement: Executable) -> str:
        sql = self._sql.get(id(statement))
        if sql is None:
            sql = self._sql[id(statement)] = str(cast(ClauseElement, statement).compile(dialect=self.fallback.dialect))
        return sql

    async def first(self, app: FastAPI, statement: Executable, params: dict[str, Any]) -> Sequence[Any] | None:
        """The first row of `statement` (a module-level statement, compiled once), or None."""
        rows = await self.all(app, statement, params)
        return rows[0] if rows else None

    async def all(self, app: FastAPI, statement: Executable, params: dict[str, Any]) -> list[Sequence[Any]]:
        """The rows of `statement` (a module-level statement, compiled once). Columns are
        read by position: on Postgres they come from psycopg as it loads them (times in
        the server's time zone, JSON parsed), not through SQLAlchemy's column types."""
        if self.sqlite is not None:
            try:
                return list(_all_rows(self.sqlite, statement, params))
            except OperationalError as error:
                if not database_unavailable(error):
                    raise
        elif self.postgres is not None and asyncio.get_running_loop() is self.loop:
            return await self._all_on_postgres(statement, params)
        return list(await run_db(app, partial(_all_rows, self.fallback, statement, params)))

    async def _all_on_postgres(self, statement: Executable, params: dict[str, Any]) -> list[Sequence[Any]]:
        assert self.postgres is not None
        try:
            async with self.postgres.connection() as connection:
                cursor = await connection.execute(self._compiled(statement), params, prepare=True)
                return list(await cursor.fetchall())
        except PoolTimeout as error:
            raise OperationalError(None, None, error) from error  # app.errors: a 503
        except psycopg.OperationalError as error:
            # The server went away: check every pooled connection (the dead ones are
            # replaced in the background) rather than fail once per connection.
            if self._checking is None or self._checking.done():
                self._checking = asyncio.get_running_loop().create_task(self.postgres.check())
            raise OperationalError(None, None, error) from error


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from pysqlite: it would defer BEGIN until the
        # first write, which is what makes concurrent writers fail with "locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(AUTOCOMMIT_OPTION, False):
            return  # one statement on its own (single_read): no transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION, False) else "BEGIN")


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached or is too busy right now,
    as opposed to a bug (a bad query, a missing table): the first is a 503 worth
    retrying, the second a 500."""
    if isinstance(error, PoolTimeoutError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        # sqlite3 raises OperationalError for SQL mistakes too; only its busy, locked,
        # cannot-open, I/O and disk-full codes mean the database is unavailable.
        if isinstance(error.orig, sqlite3.Error):
            name = getattr(error.orig, "sqlite_errorname", "") or ""
            return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL"))
        return True  # psycopg: connection refused or lost, server shutting down, timeouts
    return False


def session_slots(app: FastAPI) -> CapacityLimiter:
    """How many requests may use the database at once: the size of the connection pool.

    Sync dependencies and routes run in AnyIO's thread pool, one thread hop at a time,
    and a request keeps its connection between hops (authentication, route, commit). If
    more requests held a connection than the pool has, a thread could wait for a
    connection that belongs to a request waiting for a thread: both pools would
    starve each other until the pool timeout. Requests beyond this limit wait in the
    event loop, holding neither a thread nor a connection.
    """
    # AnyIO primitives belong to one event loop; the tests run several, one per client.
    per_app = _SESSION_SLOTS.get(None)
    if per_app is None:
        per_app = WeakKeyDictionary()
        _SESSION_SLOTS.set(per_app)
    slots = per_app.get(app)
    if slots is None:
        slots = per_app[app] = CapacityLimiter(app.state.settings.thread_pool_size)
    return slots


async def run_db(app: FastAPI, work: Callable[[], T]) -> T:
    """Run blocking database `work` from async code: in a worker thread, within one of
    the app's session slots (see `session_slots`). Routes that open their own
    `unit_of_work` go through here too."""
    async with session_slots(app):
        return await anyio.to_thread.run_sync(work)


def _new_session(engine: Engine, *, writes: bool) -> Session:
    return Session(engine, expire_on_commit=False, execution_options={WRITE_OPTION: writes})


@contextmanager
def unit_of_work(engine: Engine, *, writes: bool) -> Iterator[Session]:
    """A session whose transaction commits when the block ends and rolls back when it
    raises. Services and repositories never commit."""
    session = _new_session(engine, writes=writes)
    try:
        yield session
    except BaseException:
        _rollback_and_close(session)
        raise
    _commit_and_close(session, ())


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The unit of work of one request: commit when the route returns, roll back when it
    raises. Services and repositories never commit."""
    writes = request.method not in ("GET", "HEAD", "OPTIONS") or request.scope.get(WRITES_SCOPE_KEY, False)
    async with session_slots(request.app):
        session = _new_session(request.app.state.engine, writes=writes)
        try:
            yield session
        except BaseException:
            await anyio.to_thread.run_sync(_rollback_and_close, session)
            raise
        await anyio.to_thread.run_sync(_commit_and_close, session, getattr(request.state, BEFORE_COMMIT, ()))


def _commit_and_close(session: Session, before_commit: Sequence[Callable[[Session], None]]) -> None:
    try:
        for hook in before_commit:
            hook(session)
        session.commit()
    except BaseException:
        _rollback_and_close(session)
        raise
    session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:
        # The connection is already gone (the database went away): nothing to undo, and
        # the error that brought us here is the one to report.
        pass
    finally:
        session.close()


def writes(request: Request) -> None:
    request.scope[WRITES_SCOPE_KEY] = True


# scope="function": commit before the response is sent, so a failed commit is never
# reported to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
