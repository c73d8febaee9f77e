from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient

BODY: dict[str, Any] = {
    "interview": {
        "company": "Acme",
        "role_title": "Backend Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
        "timezone": "America/New_York",
    },
    "contacts": [{"id": "ana", "name": "Ana", "role": "recruiter", "is_primary": True}],
    "events": [
        {"type": "thank_you_sent", "occurred_at": "2026-03-02T15:00:00-05:00", "contact_id": "ana"},
        {"type": "timeline_shared", "occurred_at": "2026-03-03T12:00:00-05:00", "decision_expected_by": "2026-03-06"},
    ],
    "at": "2026-03-07T12:00:00Z",
}


def test_simulates_step_two_of_the_worked_example_and_stores_nothing(api: Api) -> None:
    response = api.post("/v1/simulate", BODY | {"policy": {"country": "US"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["action"], body["earliest_allowed_at"]) == ("send_status_check", "2026-03-09T09:00:00-04:00")
    assert body["contact"]["id"] == "ana"
    assert api.get("/v1/interviews").json()["data"] == []
    assert api.get("/v1/policy").json()["country"] is None


def test_simulation_starts_from_the_users_policy(api: Api) -> None:
    api.patch("/v1/policy", {"deadline_grace": "one_week"})
    body = api.post("/v1/simulate", BODY).json()
    # Friday 03-06 + 7 days = Friday 03-13.
    assert body["earliest_allowed_at"] == "2026-03-13T09:00:00-04:00"


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"interview": {"company": "Acme"}}, ("body", "interview", "role_title")),
        (
            {"events": [{"type": "timeline_shared", "occurred_at": "2026-03-03T12:00:00Z"}]},
            ("body", "events", 0, "decision_expected_by"),
        ),
        (
            {"events": [{"type": "note", "occurred_at": "2026-03-03T12:00:00Z", "contact_id": "zoe"}]},
            ("body", "events", 0, "contact_id"),
        ),
        ({"events": [{"type": "note", "occurred_at": "2026-03-03T12:00:00"}]}, ("body", "events", 0, "occurred_at")),
        (
            {"contacts": [{"id": "a", "name": "A", "role": "other"}, {"id": "a", "name": "B", "role": "other"}]},
            ("body", "contacts"),
        ),
        ({"policy": {"send_hour": 99}}, ("body", "policy", "send_hour")),
        ({"at": "2026-03-07T12:00:00"}, ("body", "at")),
        (
            {"events": [BODY["events"][0], {"type": "round_scheduled", "occurred_at": "2026-03-03T12:00:00Z"}]},
            ("body", "events", 1, "interview_at"),
        ),
        (
            {"events": [{"type": "reply_received", "occurred_at": "2026-03-03T12:00:00Z", "returns_on": "2026-03-16"}]},
            ("body", "events", 0, "returns_on"),
        ),
        ({"events": [{"type": "coffee", "occurred_at": "2026-03-03T12:00:00Z"}]}, ("body", "events", 0, "type")),
    ],
)
def test_rejects_invalid_input(api: Api, change: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    assert_problem(api.post("/v1/simulate", BODY | change), 422, loc)


def test_needs_a_valid_key(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer fu_x_y"}):
        assert_problem(client.post("/v1/simulate", json=BODY, headers=headers), 401)


def test_a_null_policy_key_simulates_with_its_default(api: Api) -> None:
    api.patch("/v1/policy", {"deadline_grace": "one_week"})
    body = api.post("/v1/simulate", BODY | {"policy": {"deadline_grace": None, "country": "US"}}).json()
    assert body["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"  # next_day, the default


def test_an_events_fields_are_named_at_their_place_in_the_list(api: Api) -> None:
    events = [
        BODY["events"][0],
        {"type": "auto_reply_received", "occurred_at": "2026-03-03T12:00:00Z", "address": "ana@example.com"},
        {"type": "message_bounced", "occurred_at": "2026-03-03T12:00:00Z"},
    ]
    problem = assert_problem(api.post("/v1/simulate", BODY | {"events": events}), 422)
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [
        (["body", "events", 1, "address"], "Only a message_bounced event carries address."),
        (["body", "events", 2, "address"], "A message_bounced event needs address."),
    ]


def test_a_round_in_the_simulation_moves_the_thank_you(api: Api) -> None:
    events = [
        {
            "type": "round_scheduled",
            "occurred_at": "2026-03-03T12:00:00-05:00",
            "interview_at": "2026-03-10T14:00:00-04:00",
            "duration_minutes": 30.0,
            "invite_uid": "round2@calendar.example",
        }
    ]
    response = api.post("/v1/simulate", BODY | {"events": events, "at": "2026-03-10T15:00:00-04:00"})
    assert response.status_code == 200, response.text
    body = response.json()
    # The new round ends at 14:30, after 30 minutes; its thank-you is due from then.
    assert (body["action"], body["earliest_allowed_at"]) == ("send_thank_you", "2026-03-10T14:30:00-04:00")
