"""Concurrency over real HTTP: `followup serve` with several worker processes, on each
database. Slow: they run in `make test` all the same (deselect with -m 'not slow')."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import Api, new_user
from live import LiveServer, running_server
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.slow

CLIENTS = 8
EVENTS_PER_CLIENT = 200
RACES = 100


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path_factory.mktemp("server"), workers=3) as live:
        yield live
    assert "database is locked" not in live.output()
    assert "Traceback" not in live.output(), live.output()


@pytest.fixture
def headers(engine: Engine) -> dict[str, str]:
    return new_user(engine, f"{uuid.uuid4().hex[:8]}@example.com")


def new_interview(http: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    return Api(http, headers).interview()


def all_events(http: httpx.Client, headers: dict[str, str], interview_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = http.get(f"/v1/interviews/{interview_id}/events", params=params, headers=headers).json()
        events += page["data"]
        if page["next_cursor"] is None:
            return events
        params["cursor"] = page["next_cursor"]


def at_once(count: int, work: Callable[[int], None]) -> None:
    """Run `work(0)` ... `work(count - 1)` in threads released together."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_eight_clients_writing_200_events_each_lose_nothing(server: LiveServer, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        interview = new_interview(http, headers)
    url = f"/v1/interviews/{interview['id']}/events"
    # Replies spread over weeks and sent in a random order: the stored next action
    # depends on the latest one, whichever request commits last.
    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    hours = list(range(CLIENTS * EVENTS_PER_CLIENT))
    random.Random(4).shuffle(hours)
    statuses: list[list[int]] = [[] for _ in range(CLIENTS)]
    problems: list[str] = []

    def client(index: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=120) as http:
            for n in range(EVENTS_PER_CLIENT):
                hour = hours[index * EVENTS_PER_CLIENT + n]
                body = {
                    "type": "reply_received" if n % 2 else "note",
                    "occurred_at": (start + timedelta(hours=hour)).isoformat(),
                    "note": f"client {index} event {n}",
                }
                response = http.post(url, json=body, headers=headers)
                statuses[index].append(response.status_code)
                if response.status_code != 201:
                    problems.append(response.text)

    at_once(CLIENTS, client)

    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        stored = all_events(http, headers, interview["id"])
        agenda = http.get("/v1/follow-ups", params={"limit": 200}, headers=headers).json()["data"]
        fresh = http.get(f"/v1/interviews/{interview['id']}/next-action", headers=headers).json()
    written = sum(len(s) for s in statuses)
    errors = [code for s in statuses for code in s if code != 201]
    lost = CLIENTS * EVENTS_PER_CLIENT - len(stored)
    print(f"\nconcurrency: {written} events written, {len(stored)} stored, {lost} lost, {len(errors)} errors")
    assert (written, errors, problems) == (CLIENTS * EVENTS_PER_CLIENT, [], [])
    assert lost == 0
    assert sorted(event["note"] for event in stored) == sorted(
        f"client {i} event {n}" for i in range(CLIENTS) for n in range(EVENTS_PER_CLIENT)
    )
    # Insertion numbers: unique and gapless, and in commit order within each client.
    assert sorted(event["seq"] for event in stored) == list(range(1, CLIENTS * EVENTS_PER_CLIENT + 1))
    for index in range(CLIENTS):
        mine = sorted((e for e in stored if e["note"].startswith(f"client {index} ")), key=lambda e: e["seq"])
        assert [e["note"] for e in mine] == [f"client {index} event {n}" for n in range(EVENTS_PER_CLIENT)]
    (item,) = [item for item in agenda if item["interview"]["id"] == interview["id"]]
    ignored = {"as_of", "due"}
    assert {k: v for k, v in item["next_action"].items() if k not in ignored} == {
        k: v for k, v in fresh.items() if k not in ignored
    }
    # The first status check comes after the latest reply, whoever sent it.
    latest_reply = max(
        start + timedelta(hours=hours[index * EVENTS_PER_CLIENT + n])
        for index in range(CLIENTS)
        for n in range(1, EVENTS_PER_CLIENT, 2)
    )
    assert datetime.fromisoformat(fresh["earliest_allowed_at"]) > latest_reply


def races(server: LiveServer, headers: dict[str, str], url: str, bodies: tuple[Any, Any]) -> list[list[int]]:
    """`RACES` times: read `url`, then send two PATCHes with the same If-Match at once,
    from two clients with a connection each (to the same or to different workers)."""
    clients = [httpx.Client(base_url=server.base_url, timeout=60) for _ in bodies]
    outcomes: list[list[int]] = []
    try:
        for _ in range(RACES):
            etag = clients[0].get(url, headers=headers).headers["ETag"]
            statuses = [0, 0]

            def patch(index: int, etag: str = etag, statuses: list[int] = statuses) -> None:
                response = clients[index].patch(url, json=bodies[index], headers=headers | {"If-Match": etag})
                statuses[index] = response.status_code

            at_once(2, patch)
            outcomes.append(sorted(statuses))
    finally:
        for client in clients:
            client.close()
    return outcomes


@pytest.mark.parametrize("target", ["interview", "contact", "policy"])
def test_two_updates_with_the_same_etag_exactly_one_wins(
    server: LiveServer, headers: dict[str, str], target: str
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        interview = new_interview(http, headers)
    url, bodies = {
        "interview": (f"/v1/interviews/{interview['id']}", ({"company": "First"}, {"company": "Second"})),
        "contact": (
            f"/v1/interviews/{interview['id']}/contacts/{interview['contacts'][0]['id']}",
            ({"name": "First"}, {"name": "Second"}),
        ),
        "policy": ("/v1/policy", ({"send_hour": 8}, {"send_hour": 10})),
    }[target]
    assert races(server, headers, url, bodies) == [[200, 412]] * RACES


def test_a_burst_of_retries_with_one_idempotency_key_creates_one_interview(
    server: LiveServer, headers: dict[str, str]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {
        "company": "Once",
        "role_title": "Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00Z",
    }
    answers: list[httpx.Response | None] = [None] * 10

    def send(index: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            answers[index] = http.post("/v1/interviews", json=body, headers=headers | key)

    at_once(10, send)
    responses = [answer for answer in answers if answer is not None]
    created = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    replayed = [r for r in responses if r.status_code == 201 and r.headers.get("Idempotent-Replayed") == "true"]
    in_flight = [r for r in responses if r.status_code == 409]
    assert (len(created), len(replayed) + len(in_flight)) == (1, 9)
    assert all(r.json() == created[0].json() for r in replayed)
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        listed = http.get("/v1/interviews", headers=headers).json()["data"]
        assert [i["id"] for i in listed] == [created[0].json()["id"]]
        # Once the first answer is kept, every retry replays it.
        again = http.post("/v1/interviews", json=body, headers=headers | key)
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (201, created[0].json(), "true")
