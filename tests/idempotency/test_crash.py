"""A server killed (SIGKILL) in the middle of an idempotent POST, then a retry with the same
key to a server started again: the original answer when the work was committed, the work
done once when it was not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import new_user
from live import free_port, running_server
from sqlalchemy import text
from sqlalchemy.engine import Engine

INTERVIEW = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
}
SERVER = Path(__file__).with_name("crashing_server.py")


def interview_ids(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT id FROM interviews")).scalars())


def crash_during_post(database_url: str, headers: dict[str, str], when: str, workdir: Path) -> None:
    port = free_port()
    env = os.environ | {"DATABASE_URL": database_url, "PYTHONPATH": str(Path.cwd())}
    log = (workdir / f"crash-{when}.log").open("wb")
    process = subprocess.Popen([sys.executable, str(SERVER), str(port), when], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
                time.sleep(0.1)
        with pytest.raises(httpx.HTTPError):  # the connection dies with the server: no answer
            httpx.post(f"http://127.0.0.1:{port}/v1/interviews", json=INTERVIEW, headers=headers, timeout=30)
        assert process.wait(timeout=30) == -9
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_retry_after_a_crash_gets_the_answer_or_the_work_done_once(
    database_url: str, engine: Engine, tmp_path: Path, when: str
) -> None:
    headers: dict[str, Any] = new_user(engine, "crash@example.com") | {"Idempotency-Key": f"crash-{when}"}
    crash_during_post(database_url, headers, when, tmp_path)
    committed = interview_ids(engine)
    assert len(committed) == (1 if when == "after" else 0)

    with running_server(database_url, tmp_path, workers=1, embedded_worker="false") as server:
        retry = httpx.post(f"{server.base_url}/v1/interviews", json=INTERVIEW, headers=headers, timeout=30)
    assert retry.status_code == 201, retry.text
    if when == "after":
        # The work was committed with its answer: the retry gets that answer.
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json()["id"] == committed[0]
    else:
        assert "Idempotent-Replayed" not in retry.headers
    assert interview_ids(engine) == [retry.json()["id"]]
