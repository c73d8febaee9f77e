"""RULES.md's worked example, end to end through the HTTP API. Every expected date below
was worked out by hand from RULES.md (US holidays; DST starts on 2026-03-08 in New York)."""

from __future__ import annotations

from typing import Any

from conftest import Api

TUESDAY_REPLY = "2026-03-03T12:00:00-05:00"


def next_action(api: Api, interview_id: str, at: str) -> dict[str, Any]:
    response = api.get(f"/v1/interviews/{interview_id}/next-action", params={"at": at})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_worked_example(api: Api) -> None:
    assert api.patch("/v1/policy", {"country": "US"}).status_code == 200
    interview = api.interview()
    interview_id = interview["id"]
    ana, ben = (c["id"] for c in interview["contacts"])

    # 1. Monday 10:30, during the interview: a thank-you, from the end of the interview for 24 hours.
    step = next_action(api, interview_id, "2026-03-02T10:30:00-05:00")
    assert step["action"] == "send_thank_you"
    assert step["earliest_allowed_at"] == "2026-03-02T11:00:00-05:00"
    assert step["latest_recommended_at"] == "2026-03-03T11:00:00-05:00"
    assert step["contact"]["id"] == ana

    # 2. Thank-you Monday 15:00; Ana says Tuesday the decision comes by Friday 03-06.
    api.event(interview_id, type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00", contact_id=ana)
    api.event(
        interview_id,
        type="timeline_shared",
        occurred_at=TUESDAY_REPLY,
        contact_id=ana,
        decision_expected_by="2026-03-06",
    )
    # Saturday 03-07 is the base; the next business day is Monday 03-09, after the DST switch.
    step = next_action(api, interview_id, "2026-03-07T12:00:00-05:00")
    assert step["action"] == "send_status_check"
    assert step["earliest_allowed_date"] == "2026-03-09"
    assert step["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    assert step["contact"]["id"] == ana
    assert step["expected_decision_by"] == "2026-03-06"
    assert step["decision_basis"] == "stated"
    assert (step["nudges_sent"], step["nudges_remaining"]) == (0, 2)

    # 3. First nudge Monday 03-09: the second one a week later.
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-09T09:30:00-04:00", contact_id=ana)
    step = next_action(api, interview_id, "2026-03-10T12:00:00-04:00")
    assert step["action"] == "send_status_check"
    assert step["earliest_allowed_at"] == "2026-03-16T09:00:00-04:00"
    assert (step["nudges_sent"], step["nudges_remaining"]) == (1, 1)

    # 4. Second nudge Monday 03-16: try the hiring manager once, a week later.
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-16T09:30:00-04:00", contact_id=ana)
    step = next_action(api, interview_id, "2026-03-17T12:00:00-04:00")
    assert step["action"] == "escalate_to_hiring_manager"
    assert step["earliest_allowed_at"] == "2026-03-23T09:00:00-04:00"
    assert step["contact"]["id"] == ben
    assert step["nudges_remaining"] == 0

    # 5. Escalation Monday 03-23: move on a week later.
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-23T09:30:00-04:00", contact_id=ben)
    step = next_action(api, interview_id, "2026-03-24T12:00:00-04:00")
    assert step["action"] == "move_on"
    assert step["earliest_allowed_at"] == "2026-03-30T09:00:00-04:00"

    # As of an earlier time, later events are ignored (R9): back at step 2.
    assert next_action(api, interview_id, "2026-03-07T12:00:00-05:00")["earliest_allowed_at"] == (
        "2026-03-09T09:00:00-04:00"
    )


def test_worked_example_with_one_week_grace(api: Api) -> None:
    assert api.patch("/v1/policy", {"country": "US", "deadline_grace": "one_week"}).status_code == 200
    interview = api.interview()
    ana = interview["contacts"][0]["id"]
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00", contact_id=ana)
    api.event(
        interview["id"],
        type="timeline_shared",
        occurred_at=TUESDAY_REPLY,
        contact_id=ana,
        decision_expected_by="2026-03-06",
    )
    # Friday 03-06 + 7 days = Friday 03-13, a business day.
    step = next_action(api, interview["id"], "2026-03-07T12:00:00-05:00")
    assert step["action"] == "send_status_check"
    assert step["earliest_allowed_at"] == "2026-03-13T09:00:00-04:00"


def interview_after_step_2(api: Api) -> tuple[str, str]:
    assert api.patch("/v1/policy", {"country": "US"}).status_code == 200
    interview = api.interview()
    interview_id, ana = interview["id"], interview["contacts"][0]["id"]
    api.event(interview_id, type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00", contact_id=ana)
    api.event(
        interview_id,
        type="timeline_shared",
        occurred_at=TUESDAY_REPLY,
        contact_id=ana,
        decision_expected_by="2026-03-06",
    )
    return interview_id, ana


def test_worked_example_step_6_an_away_notice_with_a_return_date(api: Api) -> None:
    interview_id, ana = interview_after_step_2(api)
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-09T09:05:00-04:00", contact_id=ana)
    recorded = api.event(
        interview_id,
        type="auto_reply_received",
        occurred_at="2026-03-09T09:06:00-04:00",
        contact_id=ana,
        returns_on="2026-03-16",
    )
    assert recorded["returns_on"] == "2026-03-16"
    # R3 gives Monday 03-16; she is back that day, so not before Tuesday 03-17, 09:00.
    step = next_action(api, interview_id, "2026-03-10T12:00:00-04:00")
    assert (step["action"], step["contact"]["id"]) == ("send_status_check", ana)
    assert step["earliest_allowed_at"] == "2026-03-17T09:00:00-04:00"
    assert "back" in step["reason"]


def test_worked_example_step_7_a_bounced_address(api: Api) -> None:
    interview_id, ana = interview_after_step_2(api)
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-09T09:05:00-04:00", contact_id=ana)
    api.event(
        interview_id,
        type="message_bounced",
        occurred_at="2026-03-09T09:06:00-04:00",
        address="ANA@example.com",  # compared ignoring case
        status="5.1.1",
    )
    # The bounced nudge does not count and Ana is unreachable: the status check of step 2,
    # to nobody, until her address is fixed.
    step = next_action(api, interview_id, "2026-03-10T12:00:00-04:00")
    assert (step["action"], step["contact"]) == ("send_status_check", None)
    assert step["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    assert "Ana bounced" in step["reason"]
    assert api.patch(f"/v1/interviews/{interview_id}/contacts/{ana}", {"email": "ana@acme.example"}).status_code == 200
    fixed = next_action(api, interview_id, "2026-03-10T12:00:00-04:00")
    assert (fixed["action"], fixed["contact"]["id"]) == ("send_status_check", ana)
