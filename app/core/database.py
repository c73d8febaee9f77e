"""The database engine: its pool, SQLite's pragmas, and telling a database that is away
from a bug."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import create_engine

from app.core.config import Settings

# A session opened with this execution option belongs to a request that writes; on SQLite
# its transaction starts with BEGIN IMMEDIATE so that concurrent writers queue on the
# busy timeout instead of failing when a read lock cannot be upgraded.
WRITE_OPTION = "followup_write"

# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(settings: Settings) -> Engine:
    """The engine for `settings.database_url`, with as many connections as the thread pool
    that runs the route functions has threads (app.core.session), and an overflow for the
    work outside requests (the embedded worker)."""
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


# Set in a connection's info while its transaction holds the engine's write lock.
_HOLDS_WRITE_LOCK = "followup_holds_write_lock"


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # SQLite lets one writer at a time in. Writers of this process queue on this lock
    # before BEGIN IMMEDIATE, in order and woken at once, rather than on SQLite's busy
    # handler, which polls with sleeps of up to 100 ms: under a steady flow of writes
    # those sleeps, not the writes, would make most of the wait. The busy timeout still
    # orders the writers of other processes (the command line, a second server).
    write_lock = threading.Lock()

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
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not write_lock.acquire(timeout=busy_timeout_ms / 1000):
            # As SQLite says when its own busy timeout runs out: a 503 (database_unavailable).
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorname = "SQLITE_BUSY"
            raise OperationalError("BEGIN IMMEDIATE", None, busy)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            write_lock.release()
            raise
        connection.info[_HOLDS_WRITE_LOCK] = True

    def release(_dbapi_connection: Any, record: ConnectionPoolEntry, *_args: Any) -> None:
        # Once the transaction is over and its connection back in the pool (or thrown
        # away): the COMMIT or ROLLBACK is done, so the next writer's BEGIN goes through.
        if record.info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()

    event.listen(engine, "checkin", release)
    event.listen(engine, "invalidate", release)


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
