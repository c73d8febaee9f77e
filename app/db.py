"""Database engine, naming convention, column types and the per-request unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

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
# A GET that may write (one that creates what it reads on first use) sets this scope key
# with the `writes` dependency, before the session opens.
WRITES_SCOPE_KEY = "followup.writes"


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
        pool_pre_ping=not is_sqlite(url),
    )
    if is_sqlite(url):
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
    return engine


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
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def unit_of_work(engine: Engine, *, writes: bool) -> Iterator[Session]:
    """A session whose transaction commits when the block ends and rolls back when it
    raises. Services and repositories never commit."""
    with Session(engine, expire_on_commit=False, execution_options={WRITE_OPTION: writes}) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def get_session(request: Request) -> Iterator[Session]:
    """The unit of work of one request: commit when the route returns, roll back when it
    raises."""
    writes = request.method not in ("GET", "HEAD", "OPTIONS") or request.scope.get(WRITES_SCOPE_KEY, False)
    with unit_of_work(request.app.state.engine, writes=writes) as session:
        yield session


def writes(request: Request) -> None:
    request.scope[WRITES_SCOPE_KEY] = True


# scope="function": commit before the response is sent, so a failed commit is never
# reported to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
