from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.database import WRITE_OPTION
from app.followups import router as followups_router
from app.nextaction import refresh


def agenda(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/follow-ups", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


def stored(api: Api, interview_id: str) -> dict[str, Any] | None:
    found = [item["next_action"] for item in agenda(api) if item["interview"]["id"] == interview_id]
    return found[0] if found else None


def test_next_action_defaults_to_now(api: Api) -> None:
    # Long after the interview (the clock is past March 2026), no timeline given:
    # end of interview Monday 03-02 + 7 days = Monday 03-09, 09:00 in New York (EDT).
    interview = api.interview()
    body = api.get(f"/v1/interviews/{interview['id']}/next-action").json()
    assert body["action"] == "send_status_check"
    assert body["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    assert body["due"] is True
    assert body["draft"]["subject"]
    assert body["decision_basis"] == "typical_for_role_family"
    # The interview date + 49 days for engineering.
    assert body["expected_decision_by"] == "2026-04-20"
    assert datetime.fromisoformat(body["as_of"]) > datetime(2026, 3, 9, tzinfo=UTC)


def test_next_action_as_of_a_time_before_it_is_due(api: Api) -> None:
    interview = api.interview()
    body = api.get(f"/v1/interviews/{interview['id']}/next-action", params={"at": "2026-03-02T10:30:00-05:00"}).json()
    assert (body["action"], body["due"]) == ("send_thank_you", False)
    assert body["as_of"] == "2026-03-02T10:30:00-05:00"


@pytest.mark.parametrize("at", ["2026-03-02T10:30:00", "soon"])
def test_next_action_rejects_a_bad_at(api: Api, at: str) -> None:
    interview = api.interview()
    assert_problem(api.get(f"/v1/interviews/{interview['id']}/next-action", params={"at": at}), 422, ("query", "at"))


def test_outreach_check(api: Api) -> None:
    interview = api.interview()
    ana, ben = (c["id"] for c in interview["contacts"])
    url = f"/v1/interviews/{interview['id']}/outreach-check"
    # Monday 03-09 09:30 is after the first nudge date: allowed.
    ok = api.post(url, {"contact_id": ana, "type": "status_check_sent", "at": "2026-03-09T09:30:00-04:00"}).json()
    assert ok == {"allowed": True, "violations": []}
    # Saturday 03-07 is a weekend day under business_days_only.
    weekend = api.post(url, {"contact_id": ana, "type": "status_check_sent", "at": "2026-03-07T10:00:00-05:00"}).json()
    assert weekend["allowed"] is False
    assert weekend["violations"]
    # Thank Ana, then write to Ben within 24 hours of the end of the interview.
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T12:00:00-05:00", contact_id=ana)
    busy = api.post(url, {"contact_id": ben, "type": "thank_you_sent", "at": "2026-03-02T13:00:00-05:00"}).json()
    cooldown = [v for v in busy["violations"] if v["rule"] == "multi_contact_cooldown"]
    assert len(cooldown) == 1
    assert cooldown[0]["until"] == "2026-03-03T11:00:00-05:00"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"contact_id": None, "type": "status_check_sent"}, ("body", "contact_id")),
        ({"contact_id": "nobody", "type": "status_check_sent"}, ("body", "contact_id")),
        ({"type": "reply_received"}, ("body", "type")),
        ({"type": "status_check_sent", "at": "2026-03-09T09:30:00"}, ("body", "at")),
    ],
)
def test_outreach_check_rejects_invalid_input(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    interview = api.interview()
    body = {"contact_id": interview["contacts"][0]["id"]} | body
    assert_problem(api.post(f"/v1/interviews/{interview['id']}/outreach-check", body), 422, loc)


def test_stored_next_action_follows_every_kind_of_write(api: Api) -> None:
    interview = api.interview()
    interview_id = interview["id"]
    ana = interview["contacts"][0]["id"]
    # create: end Monday 03-02 11:00 + 7 days (no timeline) = Monday 03-09.
    assert stored(api, interview_id)["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"  # type: ignore[index]

    # interview patch: decision by Tuesday 03-10, so the day after, Wednesday 03-11.
    api.patch(f"/v1/interviews/{interview_id}", {"decision_expected_by": "2026-03-10"})
    assert stored(api, interview_id)["earliest_allowed_at"] == "2026-03-11T09:00:00-04:00"  # type: ignore[index]

    # event: a nudge on Wednesday 03-11, so the next one a week later, Wednesday 03-18.
    api.event(interview_id, type="status_check_sent", occurred_at="2026-03-11T10:00:00-04:00", contact_id=ana)
    after_nudge = stored(api, interview_id)
    assert after_nudge is not None
    assert (after_nudge["earliest_allowed_at"], after_nudge["nudges_sent"]) == ("2026-03-18T09:00:00-04:00", 1)
    assert after_nudge["contact"]["name"] == "Ana"

    # contact add: a new primary recruiter is the one to nudge.
    carol = api.post(
        f"/v1/interviews/{interview_id}/contacts", {"name": "Carol", "role": "recruiter", "is_primary": True}
    ).json()
    assert stored(api, interview_id)["contact"]["name"] == "Carol"  # type: ignore[index]

    # contact change and delete.
    api.patch(f"/v1/interviews/{interview_id}/contacts/{carol['id']}", {"name": "Carol B."})
    assert stored(api, interview_id)["contact"]["name"] == "Carol B."  # type: ignore[index]
    api.delete(f"/v1/interviews/{interview_id}/contacts/{carol['id']}")
    assert stored(api, interview_id)["contact"]["name"] == "Ana"  # type: ignore[index]

    # policy: 3 days between nudges gives Saturday 03-14, moved to Monday 03-16.
    version = stored(api, interview_id)["policy_version"]  # type: ignore[index]
    api.patch("/v1/policy", {"min_days_between_nudges": 3})
    after_policy = stored(api, interview_id)
    assert after_policy is not None
    assert after_policy["earliest_allowed_at"] == "2026-03-16T09:00:00-04:00"
    assert after_policy["policy_version"] != version

    # status by hand, then back: out of the agenda, then in again.
    api.patch(f"/v1/interviews/{interview_id}", {"status": "closed"})
    assert stored(api, interview_id) is None
    api.patch(f"/v1/interviews/{interview_id}", {"status": "active"})
    assert stored(api, interview_id) is not None

    # a concluding event: out of the agenda for good.
    api.event(interview_id, type="rejected", occurred_at="2026-03-17T10:00:00-04:00")
    assert stored(api, interview_id) is None


def test_stored_next_action_equals_a_fresh_computation(api: Api) -> None:
    interview = api.interview()
    api.event(
        interview["id"],
        type="timeline_shared",
        occurred_at="2026-03-03T12:00:00-05:00",
        decision_expected_by="2026-03-06",
    )
    fresh = api.get(f"/v1/interviews/{interview['id']}/next-action").json()
    kept = stored(api, interview["id"])
    assert kept is not None
    ignored = {"as_of"}
    assert {k: v for k, v in kept.items() if k not in ignored} == {k: v for k, v in fresh.items() if k not in ignored}


def test_an_event_from_a_past_round_is_kept_as_of_its_time(api: Api) -> None:
    interview = api.interview()
    api.event(interview["id"], type="withdrawn", occurred_at="2026-03-05T10:00:00-05:00")
    before = api.get(f"/v1/interviews/{interview['id']}/next-action", params={"at": "2026-03-04T10:00:00-05:00"})
    assert before.json()["action"] == "send_status_check"
    assert api.get(f"/v1/interviews/{interview['id']}/next-action").json()["action"] == "none"


def test_agenda_is_earliest_first_paginated_and_filtered(api: Api, other: Api) -> None:
    # Each next action is the interview's end + 7 days at 09:00 New York time.
    march = api.interview(company="March", interview_at="2026-03-02T10:00:00-05:00")["id"]
    february = api.interview(company="February", interview_at="2026-02-02T10:00:00-05:00")["id"]
    april = api.interview(company="April", interview_at="2026-04-06T10:00:00-04:00")["id"]
    other.interview(company="Not mine")

    first = api.get("/v1/follow-ups", params={"limit": 2}).json()
    second = api.get("/v1/follow-ups", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    items = first["data"] + second["data"]
    assert [i["interview"]["id"] for i in items] == [february, march, april]
    assert [i["next_action"]["earliest_allowed_at"] for i in items] == [
        "2026-02-09T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
        "2026-04-13T09:00:00-04:00",
    ]
    assert items[0]["interview"]["company"] == "February"

    due_by = agenda(api, due_by="2026-03-09T13:00:00Z")
    assert [i["interview"]["id"] for i in due_by] == [february, march]
    assert all(i["next_action"]["due"] for i in due_by)
    # Before the March action: the February one only, and it is due by then.
    early = agenda(api, due_by="2026-03-09T12:59:59Z")
    assert [i["interview"]["id"] for i in early] == [february]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"due_by": "2026-03-09"}, ("query", "due_by")),
        ({"due_by": "2026-03-09T13:00:00"}, ("query", "due_by")),
        ({"limit": 500}, ("query", "limit")),
        ({"cursor": "!!"}, ("query", "cursor")),
    ],
)
def test_agenda_rejects_invalid_parameters(api: Api, params: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert_problem(api.get("/v1/follow-ups", params=params), 422, loc)


def test_expired_thank_you_is_shown_fresh_and_refreshed_by_the_worker(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) + timedelta(hours=1)
    interview = api.interview(interview_at=start.isoformat(), timezone="UTC", contacts=[])
    assert stored(api, interview["id"])["action"] == "send_thank_you"  # type: ignore[index]

    later = start + timedelta(days=3)
    monkeypatch.setattr(refresh, "utcnow", lambda: later)
    monkeypatch.setattr(followups_router, "utcnow", lambda: later)
    # Before the worker runs, the agenda already shows the action that replaced it.
    assert stored(api, interview["id"])["action"] == "send_status_check"  # type: ignore[index]
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        assert refresh.refresh_expired(session) == 1
        session.commit()
    assert stored(api, interview["id"])["action"] == "send_status_check"  # type: ignore[index]
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        assert refresh.refresh_expired(session) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/interviews/x/next-action"),
        ("POST", "/v1/interviews/x/outreach-check"),
        ("GET", "/v1/follow-ups"),
    ],
)
def test_needs_a_valid_key(client: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer fu_1_2"}):
        assert_problem(client.request(method, path, json={}, headers=headers), 401)


def test_another_users_interview_looks_missing(api: Api, other: Api) -> None:
    theirs = other.interview()
    contact = theirs["contacts"][0]["id"]
    assert_problem(api.get(f"/v1/interviews/{theirs['id']}/next-action"), 404)
    body = {"contact_id": contact, "type": "status_check_sent"}
    assert_problem(api.post(f"/v1/interviews/{theirs['id']}/outreach-check", body), 404)
    assert agenda(api) == []
