"""Workers side by side, a worker killed mid-batch, and the worker inside the API process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from conftest import Api, alembic_config, new_user
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from webhook_support import Clock, MakeWorker, Receiver, Reply, deliveries, subscribe

from app.core.config import Settings
from app.core.database import WRITE_OPTION, create_db_engine
from app.interviews import service as interview_service
from app.interviews.schemas import InterviewCreate
from app.main import create_app
from app.users.models import User
from app.webhooks_out.models import WebhookAttempt
from app.worker import PassReport, Worker

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.usefixtures("allow_private")
def test_a_worker_killed_mid_batch_loses_nothing(
    database_url: str, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    for _ in range(6):
        api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    sent = {d["webhook_id"] for d in deliveries(api, endpoint["id"])}
    receiver.default = Reply(200, delay=10)  # the first batch hangs in the receiver
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "FOLLOWUP_WEBHOOKS_ALLOW_PRIVATE": "1",
        "FOLLOWUP_WEBHOOKS_CONCURRENCY": "2",
        "FOLLOWUP_WEBHOOKS_LEASE_SECONDS": "30",
        "FOLLOWUP_WORKER_INTERVAL_SECONDS": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "worker"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: len(receiver.received) == 2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    receiver.default = Reply(200)
    # The requests in flight are on record although no answer was.
    in_flight = [a["status"] for d in deliveries(api, endpoint["id"]) for a in d["attempts"]]
    assert in_flight == ["sending", "sending"]

    # Another worker takes over once the dead worker's lease has run out.
    worker = make_worker()
    assert worker.run_once().attempted == 4  # the leased two wait for the lease
    clock.advance(seconds=31)
    assert worker.run_once().attempted == 2
    counts = receiver.id_counts()
    assert set(counts) == sent  # every message arrived; deduplicated by webhook-id
    assert sorted(counts.values()) == [1, 1, 1, 1, 2, 2]  # the two in flight came twice
    shown = deliveries(api, endpoint["id"])
    assert {d["status"] for d in shown} == {"succeeded"}
    # Every request the receiver saw is in the history: the two the dead worker sent as
    # `unknown`, since it never recorded their answers.
    attempts = sorted(a["status"] for d in shown for a in d["attempts"])
    assert len(attempts) == len(receiver.received) == 8
    assert attempts == ["succeeded"] * 6 + ["unknown"] * 2
    assert receiver.unverified() == []


@pytest.mark.usefixtures("allow_private")
def test_two_workers_on_postgres_send_each_message_once(
    database_url: str, engine: Engine, api: Api, receiver: Receiver
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time; side-by-side workers are a Postgres setup")
    subscribe(api, receiver, ["follow_up.due"])
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        user = session.exec(select(User).where(User.email == "me@example.com")).one()
        for number in range(500):
            body = InterviewCreate.model_validate(
                {
                    "company": f"Company {number}",
                    "role_title": "Engineer",
                    "role_family": "engineering",
                    "interview_at": "2026-03-02T10:00:00-05:00",
                    "contacts": [{"name": "Ana", "role": "recruiter"}],
                }
            )
            interview_service.create(session, user=user, body=body)
        session.commit()

    settings = Settings(
        database_url=database_url, thread_pool_size=2, webhooks_allow_private=True, webhooks_concurrency=16
    )
    start = threading.Barrier(2)
    reports: list[list[PassReport]] = [[], []]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        worker_engine = create_db_engine(settings)
        worker = Worker(worker_engine, settings)
        try:
            start.wait()
            while report := worker.run_once():
                reports[index].append(report)
        except BaseException as error:
            errors.append(error)
        finally:
            worker.close()
            worker_engine.dispose()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with Session(engine) as session:
        attempts = session.exec(select(WebhookAttempt)).all()
    # A failed attempt is retried, so it would show as one attempt too many: name it.
    assert [attempt.error for attempt in attempts if attempt.error is not None] == []
    counts = receiver.id_counts()
    assert len(counts) == 500
    assert set(counts.values()) == {1}
    assert len(receiver.of_type("follow_up.due")) == 500
    assert sum(r.due for rs in reports for r in rs) == 500
    assert sum(r.attempted for rs in reports for r in rs) == 500
    assert len(attempts) == 500
    assert receiver.unverified() == []


def test_the_api_process_runs_the_worker_with_sqlite(tmp_path: Path, receiver: Receiver) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    command.upgrade(alembic_config(url), "head")
    # A long pause between passes: what a request commits wakes the worker at once.
    settings = Settings(database_url=url, thread_pool_size=2, worker_interval_seconds=60, webhooks_allow_private=True)
    assert settings.runs_embedded_worker
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client, new_user(app.state.database.engine, "me@example.com"))
        endpoint = subscribe(api, receiver)
        interview = api.interview()
        wait_for(lambda: len(receiver.received) == 2, seconds=10)
        assert {r.payload["type"] for r in receiver.received} == {"next_action.changed", "follow_up.due"}
        assert receiver.of_type("follow_up.due")[0].payload["data"]["interview"]["id"] == interview["id"]
        api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
        wait_for(lambda: len(receiver.received) == 3, seconds=10)
        started = time.monotonic()
    assert time.monotonic() - started < 10  # stopping does not wait for the pause to end
    assert not [t for t in threading.enumerate() if t.name == "followup-worker"]


def test_the_embedded_worker_is_on_by_default_with_sqlite_only() -> None:
    assert Settings(database_url="sqlite:///x.db").runs_embedded_worker
    assert not Settings(database_url="postgresql+psycopg://u@h/db").runs_embedded_worker
    assert Settings(database_url="postgresql+psycopg://u@h/db", embedded_worker=True).runs_embedded_worker
    assert not Settings(database_url="sqlite:///x.db", embedded_worker=False).runs_embedded_worker


def test_a_failed_pass_is_logged_and_the_worker_goes_on(
    engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(engine, Settings(database_url=database_url, worker_interval_seconds=0.01))
    passes = 0

    def failing_pass() -> PassReport:
        nonlocal passes
        passes += 1
        if passes == 3:
            worker.stop()
        raise RuntimeError("database went away")

    worker.run_once = failing_pass  # type: ignore[method-assign]
    worker.run()
    worker.close()
    assert passes == 3
    assert "worker pass failed" in caplog.text
