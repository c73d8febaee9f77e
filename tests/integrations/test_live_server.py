"""Deliveries sent over real HTTP to the service served by uvicorn on a free local port,
as an ATS sends them: the sample files with their documented signatures, a chunked body
that grows past the limit, and a burst of one delivery sent 20 times at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import assert_problem, new_user
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from app.core.limits import MAX_BODY_BYTES
from integrations.support import (
    GREENHOUSE_APPLICATION,
    GREENHOUSE_SECRET,
    GREENHOUSE_SIGNATURES,
    LEVER_OPPORTUNITY,
    LEVER_TOKEN,
    sample,
    standard_body,
    standard_headers,
)

BURST = 20


@pytest.fixture(scope="module")
def server_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn in a thread, on a port the system picks."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(server_url: str, engine: Engine) -> Iterator[httpx.Client]:
    headers = new_user(engine, "live@example.com")
    with httpx.Client(base_url=server_url, headers=headers, timeout=60) as client:
        yield client


def connect(http: httpx.Client, provider: str, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"provider": provider, "company": "Acme Robotics"} | ({"secret": secret} if secret else {})
    response = http.post("/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def follow(http: httpx.Client, integration: dict[str, Any], application: str) -> dict[str, Any]:
    response = http.post(
        "/v1/interviews",
        json={
            "company": "Acme Robotics",
            "role_title": "Senior Backend Engineer",
            "role_family": "engineering",
            "interview_at": "2026-03-02T10:00:00-05:00",
            "timezone": "America/New_York",
            "contacts": [{"name": "Jordan", "role": "recruiter", "is_primary": True}],
            "integration_id": integration["id"],
            "ats_application_id": application,
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """As the ATS does it: no API key, the raw bytes."""
    return httpx.post(url, content=body, headers=headers, timeout=60)


def event_types(http: httpx.Client, interview: dict[str, Any]) -> list[tuple[str, str]]:
    data = http.get(f"/v1/interviews/{interview['id']}/events").json()["data"]
    return [(event["type"], event["source"]) for event in data]


def test_sample_files_over_http(http: httpx.Client) -> None:
    greenhouse = connect(http, "greenhouse", GREENHOUSE_SECRET)
    lever = connect(http, "lever", LEVER_TOKEN)
    gh_interview = follow(http, greenhouse, GREENHOUSE_APPLICATION)
    lever_interview = follow(http, lever, LEVER_OPPORTUNITY)
    for name in ("greenhouse_candidate_stage_change.json", "greenhouse_reject_candidate.json"):
        headers = {"Content-Type": "application/json", "Signature": GREENHOUSE_SIGNATURES[name]}
        response = post_raw(greenhouse["webhook_url"], sample(name), headers)
        assert (response.status_code, response.json()["result"]) == (200, "applied"), response.text
    for name, result in (("lever_candidateStageChange.json", "applied"), ("lever_test_request.json", "ignored")):
        response = post_raw(lever["webhook_url"], sample(name), {"Content-Type": "application/json"})
        assert (response.status_code, response.json()["result"]) == (200, result)
    assert event_types(http, gh_interview) == [("stage_changed", "greenhouse"), ("rejected", "greenhouse")]
    assert http.get(f"/v1/interviews/{gh_interview['id']}/next-action").json()["action"] == "none"
    assert event_types(http, lever_interview) == [("stage_changed", "lever")]
    tampered = sample("greenhouse_reject_candidate.json").replace(b"Hired another", b"Hired  another")
    headers = {"Signature": GREENHOUSE_SIGNATURES["greenhouse_reject_candidate.json"]}
    assert_problem(post_raw(greenhouse["webhook_url"], tampered, headers), 401)


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client) -> None:
    integration = connect(http, "greenhouse", GREENHOUSE_SECRET)

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    # A generator is sent chunked: no Content-Length to refuse it by, the count does.
    response = httpx.post(integration["webhook_url"], content=chunks(), headers={"Signature": "sha256 00"})
    assert_problem(response, 413)
    assert http.get(f"/v1/integrations/{integration['id']}/deliveries").json()["data"] == []


def test_a_burst_of_one_delivery_makes_one_event(http: httpx.Client) -> None:
    integration = connect(http, "standard")
    interview = follow(http, integration, "A-1")
    body = standard_body("A-1", {"type": "reply_received", "occurred_at": "2026-03-04T10:00:00-05:00"})
    headers = standard_headers(body, secret=integration["secret"], msg_id="msg_burst")
    start = threading.Barrier(BURST)

    def send(_: int) -> httpx.Response:
        start.wait()
        return post_raw(integration["webhook_url"], body, headers)

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        responses = list(pool.map(send, range(BURST)))
    assert [response.status_code for response in responses] == [200] * BURST
    results = sorted(response.json()["result"] for response in responses)
    assert results == ["applied"] + ["duplicate"] * (BURST - 1)
    assert event_types(http, interview) == [("reply_received", "standard")]
    listed = http.get(f"/v1/integrations/{integration['id']}/deliveries", params={"limit": 100}).json()["data"]
    assert sorted(d["result"] for d in listed) == results
