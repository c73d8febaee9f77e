"""The database goes away: 503 problems with Retry-After, never a trace; when it comes
back, the same process serves again."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from conftest import Api, alembic_config, assert_problem, new_user
from fastapi.testclient import TestClient
from live import PrivatePostgres
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app

INTERVIEW = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
}
LEAKS = ("traceback", "select", "insert", "operationalerror", "psycopg", "sqlite", "connection refused", "5432")


def assert_unavailable(response: httpx.Response) -> None:
    problem = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    text = json.dumps(problem).lower()
    for leak in LEAKS:
        assert leak not in text, leak


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_stopped_then_started_again(private_postgres: PrivatePostgres) -> None:
    command.upgrade(alembic_config(private_postgres.url), "head")
    app = create_app(Settings(database_url=private_postgres.url, thread_pool_size=4, db_connect_timeout_seconds=2))
    headers = new_user(app.state.database.engine, "outage@example.com")
    retry = headers | {"Idempotency-Key": "outage-1"}
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post("/v1/interviews", json=INTERVIEW, headers=headers)
        assert created.status_code == 201
        # The stored next action: one read in the request's session.
        next_action = f"/v1/interviews/{created.json()['id']}/next-action"
        assert client.get(next_action, headers=headers).status_code == 200

        private_postgres.stop()
        assert_unavailable(client.get(next_action, headers=headers))
        assert_unavailable(client.get("/v1/interviews", headers=headers))
        assert_unavailable(client.post("/v1/interviews", json=INTERVIEW, headers=headers))
        assert_unavailable(client.post("/v1/interviews", json=INTERVIEW, headers=retry))
        assert_unavailable(client.get("/readyz"))
        assert client.get("/healthz").status_code == 200
        # Many at once, as a home screen's clients would: each is answered within the bound.
        started = time.monotonic()
        answers: list[httpx.Response] = []
        threads = [
            threading.Thread(target=lambda: answers.append(client.get(next_action, headers=headers))) for _ in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for answer in answers:
            assert_unavailable(answer)
        assert len(answers) == 20
        assert time.monotonic() - started < 2 * (app.state.settings.db_wait_seconds + 2)

        private_postgres.start()
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/interviews", headers=headers).status_code == 200
        assert client.get(next_action, headers=headers).status_code == 200
        # The key was not used up by the failed attempt: the retry runs, once.
        first = client.post("/v1/interviews", json=INTERVIEW, headers=retry)
        again = client.post("/v1/interviews", json=INTERVIEW, headers=retry)
        assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (201, 201, "true")
        assert len(client.get("/v1/interviews", headers=headers).json()["data"]) == 2
    app.state.database.engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'outage.db'}"
    command.upgrade(alembic_config(url), "head")
    return url


def test_sqlite_locked_by_another_writer_is_a_503_then_serves(sqlite_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_url, thread_pool_size=2, sqlite_busy_timeout_ms=200))
    headers = new_user(app.state.database.engine, "locked@example.com")
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    with TestClient(app, raise_server_exceptions=False) as client:
        blocker.execute("BEGIN EXCLUSIVE")
        assert_unavailable(client.post("/v1/interviews", json=INTERVIEW, headers=headers))
        assert_unavailable(client.post("/v1/interviews", json=INTERVIEW, headers=headers | {"Idempotency-Key": "k"}))
        blocker.execute("ROLLBACK")
        assert client.post("/v1/interviews", json=INTERVIEW, headers=headers).status_code == 201
    blocker.close()
    app.state.database.engine.dispose()


def test_a_commit_that_fails_on_a_lost_connection_is_a_503_and_stores_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patched:
        # The rollback that follows fails too: the connection is gone.
        patched.setattr(Session, "commit", lost)
        patched.setattr(Session, "rollback", lost)
        assert_unavailable(api.post("/v1/interviews", INTERVIEW))
    assert api.get("/v1/interviews").json()["data"] == []


def test_sql_errors_that_are_bugs_stay_500(tmp_path: Path) -> None:
    # No migrations ran: a missing table is a bug (500), not an outage.
    bare = create_app(Settings(database_url=f"sqlite:///{tmp_path}/bare.db", thread_pool_size=1))
    with TestClient(bare, raise_server_exceptions=False) as client:
        for extra in ({}, {"Idempotency-Key": "k"}):
            headers = {"Authorization": "Bearer fu_abc_def"} | extra
            assert_problem(client.post("/v1/interviews", json=INTERVIEW, headers=headers), 500)
    bare.state.database.engine.dispose()


class Blackhole:
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a
    database server that hangs, the case where only timeouts bound the wait."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(1024)
        self.port: int = self.socket.getsockname()[1]

    def close(self) -> None:
        self.socket.close()


@pytest.mark.slow
def test_every_request_is_answered_within_the_bound_while_the_database_hangs(tmp_path: Path) -> None:
    """40 requests at once over every kind of path, to 2 slots, while every connection
    attempt hangs: each is answered 503 within its connection attempts' timeouts, not
    after the others' in turn."""
    hole = Blackhole()
    settings = Settings(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{hole.port}/followup",
        thread_pool_size=2,
        db_connect_timeout_seconds=2,  # libpq's least
        auth_cache_seconds=0,
        embedded_worker=False,
    )
    # One connection attempt for the API key's lookup, one for the session: once the first
    # attempt has failed, the requests still waiting are answered at once.
    bound = 2 * settings.db_connect_timeout_seconds
    app = create_app(settings)
    headers = {"Authorization": "Bearer fu_abcdefabcdef_" + "x" * 32}
    requests = [
        ("GET", "/v1/interviews/some-id/next-action", {}),
        ("GET", "/v1/follow-ups", {}),
        ("POST", "/v1/interviews", {"json": INTERVIEW}),
        ("POST", "/v1/interviews", {"json": INTERVIEW, "headers": {"Idempotency-Key": "k"}}),
        ("GET", "/readyz", {}),
    ] * 8
    answers: list[tuple[int, str, float]] = []
    try:
        with TestClient(app, raise_server_exceptions=False) as client:

            def send(method: str, path: str, options: dict[str, Any]) -> None:
                started = time.monotonic()
                extra = options.pop("headers", {})
                response = client.request(method, path, headers=headers | extra, **options)
                answers.append(
                    (response.status_code, response.headers.get("Retry-After", ""), time.monotonic() - started)
                )

            threads = [threading.Thread(target=send, args=(m, p, dict(o))) for m, p, o in requests]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        hole.close()
        app.state.database.dispose()
    assert len(answers) == len(requests)
    assert {(status, bool(retry_after)) for status, retry_after, _ in answers} == {(503, True)}
    slowest = max(seconds for _, _, seconds in answers)
    # Each waits at most for a slot, then for its own connection attempt (and the time to
    # answer on a loaded machine): never for the others in turn.
    assert slowest < bound * 2, slowest
