"""Fixtures of the tests with access tokens: oidc-provider installed once per session, a
provider per test, and an app that trusts it (on the database of the suite's backend)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from oidc.provider import AUDIENCE, OpenIdProvider, install, signing_key


@pytest.fixture(scope="session")
def oidc_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("oidc-provider"))


@pytest.fixture
def provider(oidc_installed: Path) -> Iterator[OpenIdProvider]:
    started = OpenIdProvider(oidc_installed, [signing_key("first")]).start()
    yield started
    started.stop()


def oidc_settings(database_url: str, provider: OpenIdProvider, **overrides: object) -> Settings:
    """The suite's settings (tests/conftest.py), trusting `provider`, with no leeway: a
    token that ran out is refused at once."""
    fields: dict[str, object] = {
        "database_url": database_url,
        "thread_pool_size": 4,
        "embedded_worker": False,
        "rate_limit_per_minute": 1_000_000,
        "gc_freeze": False,
        "oidc_issuer": provider.issuer,
        "oidc_audience": AUDIENCE,
        "oidc_leeway_seconds": 0,
    }
    return Settings.model_validate(fields | overrides)


@pytest.fixture
def oidc_app(database_url: str, engine: Engine, provider: OpenIdProvider) -> Iterator[FastAPI]:
    application = create_app(oidc_settings(database_url, provider))
    yield application
    application.state.database.engine.dispose()


@pytest.fixture
def oidc_client(oidc_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(oidc_app, raise_server_exceptions=False) as test_client:
        yield test_client
