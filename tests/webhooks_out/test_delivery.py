"""Deliveries to a real receiver on 127.0.0.1 that verifies every signature, driven by
workers whose clock the tests move forward."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Api
from webhook_support import Clock, MakeWorker, Receiver, Reply, deliveries, subscribe

from app.webhooks_out.delivery import parse_retry_after, retry_delay

pytestmark = pytest.mark.usefixtures("allow_private")


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_due_follow_up_is_sent_exactly_once(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    subscribe(api, receiver, ["follow_up.due"])
    interview = api.interview()  # long past: its status check is due now
    worker = make_worker()
    assert worker.run_once().due == 1
    worker.run_once()
    make_worker().run_once()
    due = receiver.of_type("follow_up.due")
    assert len(due) == 1
    data = due[0].payload["data"]
    assert data["interview"]["id"] == interview["id"]
    assert data["interview"]["company"] == "Acme"
    assert data["next_action"]["action"] == "send_status_check"
    assert data["next_action"]["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    assert data["next_action"]["due"] is True
    assert data["next_action"]["contact"]["name"] == "Ana"
    assert data["next_action"]["draft"]["subject"]
    assert receiver.unverified() == []

    # The nudge went out: the next one is a new action and time, so a new notice.
    ana = interview["contacts"][0]["id"]
    api.event(interview["id"], type="status_check_sent", occurred_at="2026-03-09T10:00:00-04:00", contact_id=ana)
    worker.run_once()
    worker.run_once()
    due = receiver.of_type("follow_up.due")
    assert len(due) == 2
    assert due[1].payload["data"]["next_action"]["earliest_allowed_at"] == "2026-03-16T09:00:00-04:00"
    assert due[1].webhook_id != due[0].webhook_id
    assert receiver.received == due  # subscribed to follow_up.due only


def test_a_follow_up_not_yet_due_waits_for_its_time(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    subscribe(api, receiver, ["follow_up.due"])
    start = datetime.now(UTC) + timedelta(hours=2)
    api.interview(interview_at=start.isoformat(), timezone="UTC")
    worker = make_worker()
    worker.run_once()
    assert receiver.received == []
    clock.advance(hours=2, minutes=59)  # the thank-you may go out when the interview ends
    worker.run_once()
    assert receiver.received == []
    clock.advance(minutes=1)
    worker.run_once()
    (due,) = receiver.received
    assert due.payload["data"]["next_action"]["action"] == "send_thank_you"


def test_changes_and_conclusions_are_sent(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    subscribe(api, receiver)
    interview = api.interview()
    api.event(interview["id"], type="note", occurred_at="2026-03-03T12:00:00-05:00")  # changes nothing
    api.event(interview["id"], type="rejected", occurred_at="2026-03-04T12:00:00-05:00")
    make_worker().run_once()
    types = [r.payload["type"] for r in receiver.received]
    # Concluded before the worker ran: its status check never came due.
    assert sorted(types) == ["interview.concluded", "next_action.changed", "next_action.changed"]
    created, concluded = receiver.of_type("next_action.changed")
    if created.payload["data"]["previous"] is not None:
        created, concluded = concluded, created
    assert created.payload["data"]["next_action"]["action"] == "send_status_check"
    assert concluded.payload["data"]["previous"] == {
        "action": "send_status_check",
        "earliest_allowed_at": "2026-03-09T13:00:00Z",
    }
    assert concluded.payload["data"]["next_action"]["action"] == "none"
    ended = receiver.of_type("interview.concluded")[0].payload["data"]
    assert (ended["interview"]["status"], ended["next_action"]["rule"]) == ("rejected", "R0")
    assert receiver.unverified() == []


def test_the_body_is_minified_json_signed_as_sent(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker().run_once()
    (request,) = receiver.received
    body = request.payload
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "webhook.test"
    assert json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() == request.body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.verified_with == [endpoint["secret"]]


def test_fails_twice_then_succeeds_with_one_webhook_id(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    receiver.script = [Reply(500), Reply(503)]
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    worker = make_worker()
    assert worker.run_once().attempted == 1
    assert worker.run_once().attempted == 0  # the second attempt is 5 s later
    clock.advance(seconds=5)
    assert worker.run_once().attempted == 1
    clock.advance(seconds=299)
    assert worker.run_once().attempted == 0  # then 5 minutes
    clock.advance(seconds=1)
    assert worker.run_once().attempted == 1
    clock.advance(hours=48)
    assert worker.run_once().attempted == 0

    assert [r.answered for r in receiver.received] == [500, 503, 200]
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert receiver.received[0].webhook_id == delivery["webhook_id"]
    assert receiver.unverified() == []
    (shown,) = deliveries(api, endpoint["id"])
    assert (shown["status"], shown["attempt_count"], shown["next_attempt_at"]) == ("succeeded", 3, None)
    attempts = shown["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert [a["error"] for a in attempts] == ["HTTP 500", "HTTP 503", None]
    waits = [at(a["next_attempt_at"]) - at(a["attempted_at"]) for a in attempts[:2]]
    assert waits == [timedelta(seconds=5), timedelta(minutes=5)]
    assert attempts[2]["next_attempt_at"] is None
    assert api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()["failing_since"] is None


def test_retry_schedule() -> None:
    hours = [retry_delay(n, jitter=0.0) for n in range(1, 9)]
    assert hours == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
        None,
    ]
    assert retry_delay(4, jitter=1.0) == timedelta(hours=2.4)
    assert retry_delay(4, jitter=-1.0) == timedelta(hours=1.6)
    # Retry-After within [scheduled, 2 × scheduled].
    assert retry_delay(1, jitter=0.0, retry_after=timedelta(hours=1)) == timedelta(seconds=10)
    assert retry_delay(1, jitter=0.0, retry_after=timedelta(seconds=7)) == timedelta(seconds=7)
    assert retry_delay(2, jitter=0.0, retry_after=timedelta(seconds=1)) == timedelta(minutes=5)
    # A timeout or a 429 waits at least a minute.
    assert retry_delay(1, jitter=0.0, overloaded=True) == timedelta(seconds=60)


def test_retry_after_header() -> None:
    now = datetime.fromisoformat("2026-03-09T12:00:00+00:00")
    assert parse_retry_after("120", now=now) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 09 Mar 2026 12:01:00 GMT", now=now) == timedelta(seconds=60)
    assert parse_retry_after("Mon, 09 Mar 2026 11:00:00 GMT", now=now) == timedelta(0)
    for unreadable in (None, "", "soon", "-5", "Mon, 09 Mar 2026 12:01:00 -0000"):
        assert parse_retry_after(unreadable, now=now) is None


def test_retry_after_is_honoured(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    receiver.script = [Reply(429, {"Retry-After": "90"})]
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker().run_once()
    (attempt,) = deliveries(api, endpoint["id"])[0]["attempts"]
    # 429: at least 60 s; Retry-After 90 s is within [60 s, 120 s].
    assert at(attempt["next_attempt_at"]) - at(attempt["attempted_at"]) == timedelta(seconds=90)


def test_the_schedule_ends_after_eight_attempts(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    receiver.default = Reply(500)
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    worker = make_worker()
    for _ in range(10):
        worker.run_once()
        clock.advance(hours=11)
    (shown,) = deliveries(api, endpoint["id"])
    assert (shown["status"], shown["attempt_count"], shown["next_attempt_at"]) == ("failed", 8, None)
    assert len(receiver.received) == 8
    read = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
    assert read["enabled"] is True  # failing for about 27 hours, not 5 days
    assert read["failing_since"] is not None


def test_gone_disables_the_endpoint(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    receiver.script = [Reply(410)]
    api.post(f"{url}/test")
    make_worker(webhooks_concurrency=1).run_once()
    read = api.get(url).json()
    assert (read["enabled"], read["disabled_reason"]) == (False, "gone")
    assert [d["status"] for d in deliveries(api, endpoint["id"])] == ["failed"]
    # Nothing more is written for it, nor sent.
    api.interview()
    make_worker().run_once()
    assert len(receiver.received) == 1
    assert len(deliveries(api, endpoint["id"])) == 1


def test_failing_for_five_days_disables_the_endpoint(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    receiver.default = Reply(500)
    worker = make_worker()
    api.post(f"{url}/test")
    worker.run_once()
    clock.advance(days=4, hours=23)
    api.post(f"{url}/test")
    worker.run_once()
    assert api.get(url).json()["enabled"] is True
    clock.advance(hours=2)
    worker.run_once()  # retries of both fail, five days after the first failure
    read = api.get(url).json()
    assert (read["enabled"], read["disabled_reason"]) == (False, "failing")
    assert {d["status"] for d in deliveries(api, endpoint["id"])} == {"failed"}
    # Enabled again, it starts with a clean slate.
    assert api.patch(url, {"enabled": True}).json()["failing_since"] is None


def test_a_success_resets_the_failure_clock(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    receiver.script = [Reply(500)]
    worker = make_worker()
    api.post(f"{url}/test")
    worker.run_once()
    assert api.get(url).json()["failing_since"] is not None
    clock.advance(seconds=5)
    worker.run_once()
    assert api.get(url).json()["failing_since"] is None


def test_a_manual_retry_is_one_attempt(api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    delivery = api.post(f"{url}/test").json()
    worker = make_worker()
    worker.run_once()
    receiver.default = Reply(500)
    retried = api.post(f"{url}/deliveries/{delivery['id']}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["next_attempt_at"] is not None
    worker.run_once()
    clock.advance(days=2)
    worker.run_once()
    assert [r.answered for r in receiver.received] == [200, 500]
    assert {r.webhook_id for r in receiver.received} == {delivery["webhook_id"]}
    shown = api.get(f"{url}/deliveries/{delivery['id']}").json()
    assert shown["status"] == "succeeded"  # the first attempt got through
    assert [(a["manual"], a["status_code"], a["next_attempt_at"]) for a in shown["attempts"]] == [
        (False, 200, None),
        (True, 500, None),
    ]


def test_redirects_are_not_followed(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    receiver.script = [Reply(307, {"Location": receiver.url("/private")})]
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker().run_once()
    assert [r.path for r in receiver.received] == ["/hook"]
    (attempt,) = deliveries(api, endpoint["id"])[0]["attempts"]
    assert attempt["status_code"] == 307
    assert attempt["error"] == f"redirect (307) to {receiver.url('/private')} not followed"


def test_a_slow_endpoint_times_out(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    receiver.script = [Reply(200, delay=1.5)]
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker(webhooks_timeout_seconds=0.5).run_once()
    (attempt,) = deliveries(api, endpoint["id"])[0]["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("timed out")
    assert at(attempt["next_attempt_at"]) - at(attempt["attempted_at"]) == timedelta(seconds=60)


def test_an_unreachable_endpoint_fails_with_the_reason(api: Api, make_worker: MakeWorker) -> None:
    closed = Receiver()
    url = closed.url()
    closed.close()
    endpoint = api.post("/v1/webhook-endpoints", {"url": url}).json()
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker().run_once()
    (attempt,) = deliveries(api, endpoint["id"])[0]["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"]


def test_a_rotated_secret_signs_beside_the_new_one_until_it_expires(
    api: Api, receiver: Receiver, make_worker: MakeWorker, clock: Clock
) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    old = endpoint["secret"]
    new = api.post(f"{url}/rotate-secret").json()["secret"]
    receiver.secrets.append(new)
    api.post(f"{url}/test")
    worker = make_worker()
    worker.run_once()
    assert receiver.received[0].verified_with == [old, new]
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2
    clock.advance(hours=24, seconds=1)
    api.post(f"{url}/test")
    worker.run_once()
    assert receiver.received[1].verified_with == [new]


def test_deliveries_list_newest_first_with_a_filter(api: Api, receiver: Receiver, make_worker: MakeWorker) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    ids = [api.post(f"{url}/test").json()["id"] for _ in range(3)]
    first = api.get(f"{url}/deliveries", params={"limit": 2}).json()
    second = api.get(f"{url}/deliveries", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["id"] for d in first["data"] + second["data"]] == ids[::-1]
    assert len(deliveries(api, endpoint["id"], status="pending")) == 3
    make_worker().run_once()
    assert deliveries(api, endpoint["id"], status="pending") == []
    assert len(deliveries(api, endpoint["id"], status="succeeded")) == 3
    assert api.get(f"{url}/deliveries", params={"status": "lost"}).status_code == 422
