from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient

MONDAY_NOON = "2026-03-02T12:00:00-05:00"


def events_url(interview_id: str) -> str:
    return f"/v1/interviews/{interview_id}/events"


def test_record_and_list_oldest_first(api: Api) -> None:
    interview = api.interview()
    ana = interview["contacts"][0]["id"]
    later = api.event(interview["id"], type="reply_received", occurred_at="2026-03-04T10:00:00-05:00", contact_id=ana)
    earlier = api.event(
        interview["id"], type="thank_you_sent", occurred_at=MONDAY_NOON, contact_id=ana, channel="email", note="sent"
    )
    assert (earlier["seq"], later["seq"]) == (2, 1)
    assert earlier["occurred_at"] == "2026-03-02T17:00:00Z"
    assert (earlier["channel"], earlier["note"], earlier["contact_id"]) == ("email", "sent", ana)
    listed = api.get(events_url(interview["id"])).json()
    assert [e["id"] for e in listed["data"]] == [earlier["id"], later["id"]]


def test_events_at_the_same_instant_keep_insertion_order_across_pages(api: Api) -> None:
    interview = api.interview()
    ids = [api.event(interview["id"], type="note", occurred_at=MONDAY_NOON)["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api.get(events_url(interview["id"]), params=params).json()
        seen += [e["id"] for e in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_round_scheduled_moves_the_current_round(api: Api) -> None:
    interview = api.interview()
    api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at="2026-03-04T10:00:00-05:00",
        interview_at="2026-03-10T14:00:00-04:00",
    )
    body = api.get(f"/v1/interviews/{interview['id']}").json()
    assert body["interview_at"] == "2026-03-10T18:00:00Z"
    assert body["first_interview_at"] == "2026-03-02T15:00:00Z"
    # A round recorded later but dated earlier does not replace the latest round.
    api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at="2026-03-03T10:00:00-05:00",
        interview_at="2026-03-05T14:00:00-05:00",
    )
    assert api.get(f"/v1/interviews/{interview['id']}").json()["interview_at"] == "2026-03-10T18:00:00Z"


@pytest.mark.parametrize(
    ("kind", "status"),
    [("rejected", "rejected"), ("offer_received", "offer"), ("hired", "hired"), ("withdrawn", "withdrawn")],
)
def test_concluding_events_set_the_status(api: Api, kind: str, status: str) -> None:
    interview = api.interview()
    api.event(interview["id"], type=kind, occurred_at=MONDAY_NOON)
    assert api.get(f"/v1/interviews/{interview['id']}").json()["status"] == status
    assert [i["id"] for i in api.get("/v1/interviews", params={"status": status}).json()["data"]] == [interview["id"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"type": "timeline_shared"}, ("body", "decision_expected_by")),
        ({"type": "round_scheduled"}, ("body", "interview_at")),
        ({"type": "note", "decision_expected_by": "2026-03-06"}, ("body", "decision_expected_by")),
        ({"type": "note", "interview_at": "2026-03-10T14:00:00-04:00"}, ("body", "interview_at")),
        ({"type": "round_scheduled", "interview_at": "2026-03-10T14:00:00"}, ("body", "interview_at")),
        ({"type": "coffee"}, ("body", "type")),
        ({"occurred_at": MONDAY_NOON}, ("body", "type")),
        ({"type": "note", "duration_minutes": 30}, ("body", "duration_minutes")),
        ({"type": "note", "occurred_at": "2026-03-02T12:00:00"}, ("body", "occurred_at")),
        ({"type": "note", "contact_id": "nobody"}, ("body", "contact_id")),
        ({"type": "note", "channel": "x" * 51}, ("body", "channel")),
        ({"type": "round_cancelled"}, ("body", "invite_uid")),
        ({"type": "message_bounced", "status": "5.1.1"}, ("body", "address")),
        ({"type": "note", "returns_on": "2026-03-16"}, ("body", "returns_on")),
        ({"type": "reply_received", "invite_uid": "abc@google.com"}, ("body", "invite_uid")),
        ({"type": "auto_reply_received", "address": "ana@example.com"}, ("body", "address")),
        ({"type": "message_bounced", "address": "a@example.com", "duration_minutes": 30}, ("body", "duration_minutes")),
        (
            {"type": "round_scheduled", "interview_at": "2026-03-10T14:00:00-04:00", "duration_minutes": 0},
            ("body", "duration_minutes"),
        ),
    ],
)
def test_rejects_invalid_events(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    interview = api.interview()
    assert_problem(api.post(events_url(interview["id"]), {"occurred_at": MONDAY_NOON} | body), 422, loc)
    assert api.get(events_url(interview["id"])).json()["data"] == []


def test_occurred_at_more_than_five_minutes_ahead_is_rejected(api: Api) -> None:
    interview = api.interview()
    too_late = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()
    assert_problem(
        api.post(events_url(interview["id"]), {"type": "note", "occurred_at": too_late}), 422, ("body", "occurred_at")
    )
    just_ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    assert api.post(events_url(interview["id"]), {"type": "note", "occurred_at": just_ahead}).status_code == 201


def test_contact_of_another_interview_is_rejected(api: Api) -> None:
    first, second = api.interview(), api.interview()
    foreign = second["contacts"][0]["id"]
    response = api.post(
        events_url(first["id"]), {"type": "thank_you_sent", "occurred_at": MONDAY_NOON, "contact_id": foreign}
    )
    assert_problem(response, 422, ("body", "contact_id"))


def test_deleting_a_contact_keeps_its_events(api: Api) -> None:
    interview = api.interview()
    ben = interview["contacts"][1]["id"]
    event = api.event(interview["id"], type="reply_received", occurred_at=MONDAY_NOON, contact_id=ben)
    assert api.delete(f"/v1/interviews/{interview['id']}/contacts/{ben}").status_code == 204
    listed = api.get(events_url(interview["id"])).json()["data"]
    assert [(e["id"], e["contact_id"]) for e in listed] == [(event["id"], None)]


def test_another_users_interview_looks_missing(api: Api, other: Api) -> None:
    theirs = other.interview()
    assert_problem(api.post(events_url(theirs["id"]), {"type": "note", "occurred_at": MONDAY_NOON}), 404)
    assert_problem(api.get(events_url(theirs["id"])), 404)
    assert other.get(events_url(theirs["id"])).json()["data"] == []


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_needs_a_valid_key(client: TestClient, api: Api, method: str) -> None:
    interview = api.interview()
    for headers in ({}, {"Authorization": "Bearer fu_0_0"}):
        response = client.request(method, events_url(interview["id"]), json={"type": "note"}, headers=headers)
        assert_problem(response, 401)


def test_a_cancelled_invite_stops_the_round_it_scheduled_and_a_reschedule_moves_it(api: Api) -> None:
    interview = api.interview()
    url = f"/v1/interviews/{interview['id']}/next-action"
    invite = {"invite_uid": "round2@calendar.example"}
    without_rounds = api.get(url, params={"at": "2026-03-13T12:00:00-04:00"}).json()
    api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at="2026-03-05T12:00:00-05:00",
        interview_at="2026-03-12T14:00:00-04:00",
        duration_minutes=45,
        **invite,
    )
    at = {"at": "2026-03-12T15:00:00-04:00"}
    scheduled = api.get(url, params=at).json()
    assert (scheduled["action"], scheduled["earliest_allowed_at"]) == ("send_thank_you", "2026-03-12T14:45:00-04:00")
    moved = api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at="2026-03-06T12:00:00-05:00",
        interview_at="2026-03-13T10:00:00-04:00",
        **invite,
    )
    assert moved["invite_uid"] == invite["invite_uid"]
    later = api.get(url, params={"at": "2026-03-13T12:00:00-04:00"}).json()
    assert (later["action"], later["earliest_allowed_at"]) == ("send_thank_you", "2026-03-13T11:00:00-04:00")
    api.event(interview["id"], type="round_cancelled", occurred_at="2026-03-07T12:00:00-05:00", **invite)
    # Cancelled: its round_scheduled events count as if they had never been.
    cancelled = api.get(url, params={"at": "2026-03-13T12:00:00-04:00"}).json()
    assert cancelled == without_rounds
    assert cancelled["action"] == "send_status_check"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "timeline_shared"}, "decision_expected_by", "A timeline_shared event needs decision_expected_by."),
        ({"type": "round_scheduled"}, "interview_at", "A round_scheduled event needs interview_at."),
        ({"type": "round_cancelled"}, "invite_uid", "A round_cancelled event needs invite_uid."),
        ({"type": "message_bounced", "status": "5.1.1"}, "address", "A message_bounced event needs address."),
        (
            {"type": "note", "decision_expected_by": "2026-03-06"},
            "decision_expected_by",
            "Only a timeline_shared event carries decision_expected_by.",
        ),
        (
            {"type": "stage_changed", "interview_at": "2026-03-10T14:00:00-04:00"},
            "interview_at",
            "Only a round_scheduled event carries interview_at.",
        ),
        (
            {"type": "round_cancelled", "invite_uid": "r@c", "duration_minutes": 30},
            "duration_minutes",
            "Only a round_scheduled event carries duration_minutes.",
        ),
        (
            {"type": "reply_received", "invite_uid": "r@c"},
            "invite_uid",
            "Only a round_cancelled or round_scheduled event carries invite_uid.",
        ),
        (
            {"type": "message_bounced", "address": "a@example.com", "returns_on": "2026-03-16"},
            "returns_on",
            "Only an auto_reply_received event carries returns_on.",
        ),
        (
            {"type": "auto_reply_received", "address": "ana@example.com"},
            "address",
            "Only a message_bounced event carries address.",
        ),
        (
            {"type": "timeline_shared", "decision_expected_by": "2026-03-06", "status": "5.1.1"},
            "status",
            "Only a message_bounced event carries status.",
        ),
        ({"type": "note", "colour": "red"}, "colour", "No event carries colour."),
    ],
)
def test_a_missing_or_foreign_field_is_named_with_the_types_that_carry_it(
    api: Api, body: dict[str, Any], field: str, message: str
) -> None:
    interview = api.interview()
    problem = assert_problem(api.post(events_url(interview["id"]), {"occurred_at": MONDAY_NOON} | body), 422)
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [(["body", field], message)]


def test_an_unknown_type_names_the_types(api: Api) -> None:
    interview = api.interview()
    problem = assert_problem(api.post(events_url(interview["id"]), {"type": "coffee", "occurred_at": MONDAY_NOON}), 422)
    (error,) = problem["errors"]
    assert error["loc"] == ["body", "type"]
    assert error["msg"].startswith("The type of an event is one of thank_you_sent, status_check_sent, ")
    assert error["msg"].endswith(", withdrawn, note.")
    undated = assert_problem(api.post(events_url(interview["id"]), {"type": "hired"}), 422)
    assert [(e["loc"], e["msg"]) for e in undated["errors"]] == [
        (["body", "occurred_at"], "A hired event needs occurred_at.")
    ]
    not_an_object = assert_problem(api.post(events_url(interview["id"]), ["note"]), 422)
    assert [(e["loc"], e["msg"]) for e in not_an_object["errors"]] == [
        (["body"], "Expected a JSON object with a type.")
    ]


@pytest.mark.parametrize(("minutes", "stored"), [(45, 45), (45.0, 45), (1440.0, 1440)])
def test_a_whole_number_may_be_written_as_a_float(api: Api, minutes: object, stored: int) -> None:
    interview = api.interview()
    event = api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at=MONDAY_NOON,
        interview_at="2026-03-10T14:00:00-04:00",
        duration_minutes=minutes,
    )
    assert event["duration_minutes"] == stored
    assert isinstance(event["duration_minutes"], int)


@pytest.mark.parametrize("minutes", [45.5, "45", True, 0, 1441, 1e300])
def test_duration_minutes_is_a_whole_number_of_minutes_in_a_day(api: Api, minutes: object) -> None:
    interview = api.interview()
    body = {
        "type": "round_scheduled",
        "occurred_at": MONDAY_NOON,
        "interview_at": "2026-03-10T14:00:00-04:00",
        "duration_minutes": minutes,
    }
    assert_problem(api.post(events_url(interview["id"]), body), 422, ("body", "duration_minutes"))


def test_each_type_answers_exactly_its_fields(api: Api) -> None:
    interview = api.interview()
    common = {
        "id",
        "interview_id",
        "seq",
        "type",
        "occurred_at",
        "contact_id",
        "channel",
        "note",
        "source",
        "message_id",
        "created_at",
    }
    note = api.event(interview["id"], type="note", occurred_at=MONDAY_NOON, note="hello")
    assert set(note) == common
    bounced = api.event(interview["id"], type="message_bounced", occurred_at=MONDAY_NOON, address="ana@example.com")
    assert set(bounced) == common | {"address", "status"}
    assert (bounced["address"], bounced["status"]) == ("ana@example.com", None)
    round_ = api.event(
        interview["id"], type="round_scheduled", occurred_at=MONDAY_NOON, interview_at="2026-03-10T14:00:00-04:00"
    )
    assert set(round_) == common | {"interview_at", "duration_minutes", "invite_uid"}
    assert round_["interview_at"] == "2026-03-10T18:00:00Z"
    listed = api.get(events_url(interview["id"])).json()["data"]
    assert [set(event) - common for event in listed] == [
        set(),
        {"address", "status"},
        {"interview_at", "duration_minutes", "invite_uid"},
    ]
