from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import alembic_config, new_user
from fastapi.testclient import TestClient
from sqlalchemy import JSON, column, create_engine, inspect, table, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from app.core import database as db
from app.core.columns import UTCDateTime
from app.core.config import Settings
from app.core.database import WRITE_OPTION, create_db_engine, database_unavailable, is_sqlite
from app.core.session import LOOKUP_THREADS
from app.main import create_app
from app.models import metadata


def test_upgrade_downgrade_upgrade(database_url: str, engine: Engine) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert {"users", "api_keys", "interviews", "contacts", "events", "policies", "idempotency_keys"} <= set(
        inspect(engine).get_table_names()
    )


def test_rows_from_before_row_versions_start_at_version_1(database_url: str, engine: Engine) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "28cf061112a6")  # the revision before row versions
    assert "version" not in {column["name"] for column in inspect(engine).get_columns("policies")}
    now = datetime.now(UTC)
    users = table("users", column("id"), column("email"), column("created_at", UTCDateTime()))
    policies = table("policies", column("user_id"), column("overrides", JSON()), column("updated_at", UTCDateTime()))
    with engine.begin() as connection:
        connection.execute(users.insert().values(id="u1", email="old@example.com", created_at=now))
        connection.execute(policies.insert().values(user_id="u1", overrides={"send_hour": 8}, updated_at=now))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM policies")).scalar_one() == 1


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path}/x.db", sqlite_busy_timeout_ms=1234))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    engine.dispose()


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """Two write transactions: the second waits for the first (BEGIN IMMEDIATE + busy
    timeout) instead of failing with 'database is locked' when it upgrades its lock."""
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path}/w.db", thread_pool_size=2))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            for _ in range(20):
                with Session(engine, execution_options={WRITE_OPTION: True}) as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                    session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 40
    assert errors == []
    engine.dispose()


def test_pool_is_at_least_the_thread_pool(tmp_path: Path) -> None:
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path}/p.db", thread_pool_size=17))
    assert engine.pool.size() >= 17  # type: ignore[attr-defined]
    engine.dispose()


def test_naive_datetimes_are_not_stored(engine: Engine) -> None:
    from datetime import datetime

    from app.users.models import User

    with Session(engine) as session:
        session.add(User(email="naive@example.com", created_at=datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive"):
            session.flush()


def test_the_lifespan_sizes_the_thread_pool(database_url: str) -> None:
    application = create_app(Settings(database_url=database_url, thread_pool_size=7))
    with TestClient(application) as client:
        tokens = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    application.state.database.engine.dispose()
    assert tokens == 7 + LOOKUP_THREADS


def test_more_requests_than_connections_queue_instead_of_starving(database_url: str, engine: Engine) -> None:
    """40 requests at once with 2 threads and 2 connections (no overflow): each request
    keeps its connection between thread hops, so without a limit on the requests that
    hold one, threads wait for connections held by requests that wait for threads, until
    the pool timeout fails them."""
    settings = Settings(database_url=database_url, thread_pool_size=2, db_pool_overflow=0, db_pool_timeout_seconds=3)
    application = create_app(settings)
    headers = new_user(application.state.database.engine, "pool@example.com")
    statuses: list[int] = []
    with TestClient(application, raise_server_exceptions=False) as client:

        def list_interviews() -> None:
            statuses.append(client.get("/v1/interviews", headers=headers).status_code)

        threads = [threading.Thread(target=list_interviews) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    application.state.database.engine.dispose()
    assert statuses == [200] * 40


def _sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (PoolTimeoutError("QueuePool limit reached"), True),
        (OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused")), True),
        (OperationalError("SELECT 1", {}, _sqlite_error("database is locked", "SQLITE_BUSY")), True),
        (OperationalError("SELECT 1", {}, _sqlite_error("unable to open database file", "SQLITE_CANTOPEN")), True),
        (OperationalError("SELECT 1", {}, _sqlite_error("no such table: users", "SQLITE_ERROR")), False),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
        (ProgrammingError("SELECT 1", {}, Exception('relation "users" does not exist')), False),
        (ValueError("not a database error"), False),
    ],
)
def test_which_database_errors_are_outages(error: BaseException, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable


def _kill_backend(database_url: str, engine: Engine) -> int:
    """Check a connection out and back in, then have the server end its session."""
    with engine.connect() as connection:
        pid = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    return pid


@pytest.fixture
def pool_of_one(database_url: str) -> Iterator[Engine]:
    """A Postgres engine with one pooled connection."""
    if is_sqlite(database_url):
        pytest.skip("Postgres connections only: SQLite has no server to lose")
    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=1, db_pool_overflow=0))
    yield engine
    engine.dispose()


def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    database_url: str, pool_of_one: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = pool_of_one
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle
    killed = _kill_backend(database_url, engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != killed


def test_a_connection_used_a_moment_ago_is_not_pinged_and_one_request_notices_its_loss(
    database_url: str, pool_of_one: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = pool_of_one
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    _kill_backend(database_url, engine)
    with pytest.raises(OperationalError) as raised, engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert database_unavailable(raised.value)  # a 503 for that request
    with engine.connect() as connection:  # and the pool has reconnected for the next one
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
