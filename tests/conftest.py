"""The database and HTTP fixtures shared by the service tests.

The schema is built once per test session by running the migrations, on SQLite always and
on Postgres too when a server answers at 127.0.0.1:5432 (a fresh database per run, dropped
afterwards). Every table is emptied after each test. FOLLOWUP_TEST_BACKENDS (comma
separated, both by default) narrows the run to some backends: `make check` runs SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.database import WRITE_OPTION
from app.main import create_app
from app.models import metadata

# The real IMAP server (one per test session) and the OpenID Provider, with their fixtures,
# for the tests that need them.
pytest_plugins = ["mail.dovecot", "oidc.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
# The specifications and reference texts, checked out beside the repository.
SHARED = ROOT.parent / "shared"
# Starlette's TestClient sends `Host: testserver`: every app the tests build (the settings
# read the environment) answers it besides the local names. Tests of the Host check set
# their own list.
os.environ["FOLLOWUP_ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1],testserver"
POSTGRES_SERVER = os.environ.get("FOLLOWUP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgres")


def selected_backends(value: str | None) -> list[str]:
    """The backends named in FOLLOWUP_TEST_BACKENDS, in the suite's order; all when unset or
    empty. A name it does not know is an error rather than a run that quietly tests less."""
    names = {name.strip() for name in (value or "").split(",") if name.strip()}
    if not names:
        return list(BACKENDS)
    unknown = names - set(BACKENDS)
    if unknown:
        raise ValueError(f"FOLLOWUP_TEST_BACKENDS: unknown backend(s) {sorted(unknown)}; choose from {list(BACKENDS)}")
    return [backend for backend in BACKENDS if backend in names]


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def skip_unless_ci(message: str) -> None:
    """Skip with `message`; under CI=true fail with it instead, so that CI never passes a
    run that left something out."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def shared_file(relative: str) -> Path:
    """`relative` under ../shared, for a test that reads it: a checkout without it skips
    the test with a message, and fails it under CI=true."""
    path = SHARED / relative
    if not path.is_file():
        skip_unless_ci(f"{path} not found: the test needs ../shared checked out beside the repository")
    return path


def _postgres_database() -> Iterator[str]:
    server = make_url(POSTGRES_SERVER)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        skip_unless_ci(
            f"Postgres half skipped: no server at {server.render_as_string(hide_password=True)} ({error.orig})"
        )
    name = f"followup_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


MAIL_DOMAIN = "in.followup.example"
MAILGUN_SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
POSTMARK_USER, POSTMARK_PASSWORD = "postmark", "inbound-s3cret"
INBOUND_MAIL_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="session", params=selected_backends(os.environ.get("FOLLOWUP_TEST_BACKENDS")))
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database: the whole suite runs once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'followup.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    for url in _postgres_database():
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[FastAPI]:
    # Tests run the worker themselves, with their own clock. The rate limit is high enough
    # never to refuse (its own tests build apps with a low one) and every answer has its headers.
    # Startup does not freeze the garbage collector's view of the test process (each test
    # client starts the application again).
    settings = Settings(
        database_url=database_url,
        thread_pool_size=4,
        embedded_worker=False,
        rate_limit_per_minute=1_000_000,
        gc_freeze=False,
        # Mail intake's forwarding addresses and providers (tests/mail/test_inbound.py).
        mail_domain=MAIL_DOMAIN,
        mailgun_signing_key=MAILGUN_SIGNING_KEY,
        postmark_inbound_user=POSTMARK_USER,
        postmark_inbound_password=POSTMARK_PASSWORD,
        inbound_mail_secret=INBOUND_MAIL_SECRET,
    )
    application = create_app(settings)
    yield application
    application.state.database.engine.dispose()


@pytest.fixture
def engine(app: FastAPI) -> Iterator[Engine]:
    engine: Engine = app.state.database.engine
    yield engine
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    # The keys it remembers belonged to the rows just deleted.
    app.state.key_cache.clear()


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def new_user(engine: Engine, email: str) -> dict[str, str]:
    """A user and the Authorization header of its first key."""
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        _, key = auth_service.create_user(session, email=email)
        session.commit()
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Api:
    """A user's view of the API, with shortcuts for the objects most tests need (through
    the app in-process, or over HTTP to a running server)."""

    client: httpx.Client
    headers: dict[str, str]
    created: list[str] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, json=body, headers=self.headers, **kwargs)

    def patch(self, url: str, body: Any = None) -> httpx.Response:
        return self.client.patch(url, json=body, headers=self.headers)

    def delete(self, url: str) -> httpx.Response:
        return self.client.delete(url, headers=self.headers)

    def interview(self, **fields: Any) -> dict[str, Any]:
        body = {
            "company": "Acme",
            "role_title": "Backend Engineer",
            "role_family": "engineering",
            "interview_at": "2026-03-02T10:00:00-05:00",
            "timezone": "America/New_York",
            "contacts": [
                {"name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True},
                {"name": "Ben", "email": "ben@example.com", "role": "hiring_manager"},
            ],
        } | fields
        response = self.post("/v1/interviews", body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def event(self, interview_id: str, **fields: Any) -> dict[str, Any]:
        response = self.post(f"/v1/interviews/{interview_id}/events", fields)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, new_user(engine, "me@example.com"))


@pytest.fixture
def other(client: TestClient, engine: Engine) -> Api:
    """Another user, whose objects must look missing to `api`."""
    return Api(client, new_user(engine, "other@example.com"))


def assert_problem(response: httpx.Response, status: int, *locs: tuple[str | int, ...]) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`, naming each of `locs` in `errors`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["type"] == "about:blank"
    found = {tuple(error["loc"]) for error in problem.get("errors", [])}
    for loc in locs:
        assert loc in found, (loc, found)
    return problem


@pytest.fixture
def problem() -> Any:
    return assert_problem
