"""Every request sent is an attempt on record: written before sending, settled after, and
`unknown` when its worker died in between."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from conftest import Api
from sqlalchemy.engine import Engine
from webhook_support import Clock, MakeWorker, Receiver, Reply, deliveries, subscribe

from app.core.session import unit_of_work
from app.webhooks_out import delivery
from app.worker import Worker

pytestmark = pytest.mark.usefixtures("allow_private")


def lease(worker: Worker) -> timedelta:
    return timedelta(seconds=worker.settings.webhooks_lease_seconds)


def claim_and_send(
    engine: Engine, worker: Worker, clock: Clock, limit: int = 10
) -> list[tuple[delivery.Claim, delivery.Outcome]]:
    """What a worker killed mid-send leaves behind: its claims committed, its requests sent,
    no outcome recorded."""
    with unit_of_work(engine, writes=True) as session:
        claims = delivery.claim(session, now=clock(), limit=limit, lease=lease(worker))
    return [(claim, worker.send(claim)) for claim in claims]


def shown(api: Api, endpoint: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_attempt_whose_worker_died_stays_on_record_as_unknown(
    engine: Engine, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    sent = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    worker = make_worker()
    claim_and_send(engine, worker, clock)
    (attempt,) = shown(api, endpoint, sent["id"])["attempts"]
    assert (attempt["status"], attempt["status_code"], attempt["next_attempt_at"]) == ("sending", None, None)

    assert worker.run_once().attempted == 0  # still leased to the dead worker
    assert [a["status"] for a in shown(api, endpoint, sent["id"])["attempts"]] == ["sending"]
    clock.advance(seconds=lease(worker).total_seconds() + 1)
    assert worker.run_once().attempted == 1

    read = shown(api, endpoint, sent["id"])
    assert [(a["status"], a["status_code"]) for a in read["attempts"]] == [("unknown", None), ("succeeded", 200)]
    assert (read["status"], read["attempt_count"]) == ("succeeded", 1)  # an unknown attempt does not count
    assert len(receiver.received) == len(read["attempts"])
    assert {r.webhook_id for r in receiver.received} == {sent["webhook_id"]}
    assert read["last_attempt_at"] == read["attempts"][1]["attempted_at"]


def settle(engine: Engine, claim: delivery.Claim, outcome: delivery.Outcome) -> None:
    """What a worker that was slow, not dead, does last."""
    with unit_of_work(engine, writes=True) as session:
        delivery.record(
            session, claim, outcome, attempted_at=claim.leased_until, jitter=0.0, disable_after=timedelta(days=5)
        )


def test_a_worker_that_overran_its_lease_records_its_answer_and_leaves_the_rest_to_the_next(
    engine: Engine, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    receiver.script = [Reply(503)]
    sent = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    worker = make_worker()
    ((slow, slow_outcome),) = claim_and_send(engine, worker, clock)
    clock.advance(seconds=lease(worker).total_seconds() + 1)
    ((taking_over, outcome),) = claim_and_send(engine, worker, clock)
    settle(engine, slow, slow_outcome)

    # The slow worker's failure is on record, but the delivery stays with the worker that
    # took it over: still leased, not sent a third time.
    assert worker.run_once().attempted == 0
    read = shown(api, endpoint, sent["id"])
    assert [(a["status"], a["status_code"]) for a in read["attempts"]] == [("failed", 503), ("sending", None)]
    assert (read["status"], read["attempt_count"]) == ("pending", 0)

    settle(engine, taking_over, outcome)
    read = shown(api, endpoint, sent["id"])
    assert [(a["status"], a["status_code"]) for a in read["attempts"]] == [("failed", 503), ("succeeded", 200)]
    assert (read["status"], read["attempt_count"], read["next_attempt_at"]) == ("succeeded", 1, None)
    assert len(receiver.received) == len(read["attempts"])


def test_a_late_success_ends_the_delivery(
    engine: Engine, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    sent = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    worker = make_worker()
    ((slow, slow_outcome),) = claim_and_send(engine, worker, clock)
    clock.advance(seconds=lease(worker).total_seconds() + 1)
    claim_and_send(engine, worker, clock)  # and this worker dies
    settle(engine, slow, slow_outcome)
    clock.advance(seconds=lease(worker).total_seconds() + 1)
    assert worker.run_once().attempted == 0  # received: nothing more to send

    read = shown(api, endpoint, sent["id"])
    assert [a["status"] for a in read["attempts"]] == ["succeeded", "unknown"]
    assert (read["status"], read["next_attempt_at"]) == ("succeeded", None)
    assert len(receiver.received) == len(read["attempts"])


def test_a_dead_workers_attempt_to_a_disabled_endpoint_is_marked_unknown(
    engine: Engine, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    sent = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    worker = make_worker()
    claim_and_send(engine, worker, clock)
    api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", {"enabled": False})
    clock.advance(seconds=lease(worker).total_seconds() + 1)
    assert worker.run_once().attempted == 0  # nothing is sent to a disabled endpoint

    read = shown(api, endpoint, sent["id"])
    assert read["status"] == "failed"
    assert [a["status"] for a in read["attempts"]] == ["unknown"]
    assert len(receiver.received) == 1


def test_two_workers_take_over_a_dead_workers_deliveries_once_each(
    database_url: str, engine: Engine, api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time; side-by-side workers are a Postgres setup")
    endpoint = subscribe(api, receiver)
    for _ in range(40):
        api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    dead = make_worker()
    assert len(claim_and_send(engine, dead, clock, limit=40)) == 40
    clock.advance(seconds=lease(dead).total_seconds() + 1)
    workers = [make_worker(webhooks_concurrency=3), make_worker(webhooks_concurrency=3)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker: Worker) -> None:
        try:
            start.wait()
            while worker.run_once():
                pass
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # Each message twice: once by the dead worker, once by one of the two that took over.
    assert set(receiver.id_counts().values()) == {2}
    shown = deliveries(api, endpoint["id"], limit=200)
    assert len(shown) == 40
    assert {tuple(a["status"] for a in d["attempts"]) for d in shown} == {("unknown", "succeeded")}
