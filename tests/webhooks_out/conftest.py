from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from webhook_support import Clock, MakeWorker, Receiver

from app.core.config import Settings
from app.worker import Worker


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def allow_private(app: FastAPI) -> Iterator[None]:
    """Endpoints on 127.0.0.1, as FOLLOWUP_WEBHOOKS_ALLOW_PRIVATE=1 allows."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"webhooks_allow_private": True})
    yield
    app.state.settings = settings


@pytest.fixture
def make_worker(database_url: str, engine: Engine, clock: Clock) -> Iterator[MakeWorker]:
    """Workers on the test database with the test clock, no jitter and short timeouts."""
    made: list[Worker] = []

    def make(**overrides: Any) -> Worker:
        settings = Settings(
            database_url=database_url,
            embedded_worker=False,
            webhooks_allow_private=True,
            webhooks_timeout_seconds=2,
            webhooks_concurrency=4,
        ).model_copy(update=overrides)
        worker = Worker(engine, settings, clock=clock, jitter=lambda: 0.0)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()
