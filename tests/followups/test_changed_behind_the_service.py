"""A policy or a rules version changed behind the service (a row written by another tool,
a deploy with new rules) reaches every read at once: the next action, the agenda and the
calendar feed agree, before any interview is written again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import Api
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.nextaction import stored
from app.rules import policy as rules_policy


def interview_waiting_for_a_status_check(api: Api) -> str:
    interview = api.interview()
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    api.event(
        interview["id"],
        type="timeline_shared",
        occurred_at="2026-03-03T12:00:00-05:00",
        decision_expected_by="2026-03-06",
    )
    return str(interview["id"])


def three_reads(api: Api, interview_id: str) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """The next action, its agenda item and its calendar event's start."""
    next_action = api.get(f"/v1/interviews/{interview_id}/next-action").json()
    agenda = api.get("/v1/follow-ups").json()["data"]
    (item,) = [i["next_action"] for i in agenda if i["interview"]["id"] == interview_id]
    url = api.get("/v1/calendar").json()["url"].removeprefix("http://testserver")
    feed = Calendar.from_ical(api.client.get(url).content)
    (event,) = [e for e in feed.walk("VEVENT") if str(e["uid"]) == f"{interview_id}@followup"]
    return next_action, item, event.decoded("dtstart")


def assert_agree(api: Api, interview_id: str, earliest: str, policy_version: str) -> None:
    next_action, item, start = three_reads(api, interview_id)
    for answer in (next_action, item):
        assert (answer["action"], answer["earliest_allowed_at"]) == ("send_status_check", earliest)
        assert answer["policy_version"] == policy_version
    assert start == datetime.fromisoformat(earliest)


def test_a_policy_row_written_behind_the_service(api: Api, engine: Engine) -> None:
    interview_id = interview_waiting_for_a_status_check(api)
    before = api.get(f"/v1/interviews/{interview_id}/next-action").json()
    assert before["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    with engine.begin() as connection:
        owner = connection.execute(text("SELECT user_id FROM interviews WHERE id = :i"), {"i": interview_id}).scalar()
        connection.execute(
            text("INSERT INTO policies (user_id, overrides, updated_at, version) VALUES (:u, :o, :t, 1)"),
            {"u": owner, "o": '{"send_hour": 14}', "t": datetime(2026, 3, 1)},
        )
    changed = stored.version_of({"send_hour": 14})
    assert changed != before["policy_version"]
    assert_agree(api, interview_id, "2026-03-09T14:00:00-04:00", changed)


def test_a_new_rules_version_deployed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    interview_id = interview_waiting_for_a_status_check(api)
    before = api.get(f"/v1/interviews/{interview_id}/next-action").json()
    monkeypatch.setattr(rules_policy, "RULES_VERSION", "9.9.9")
    stored._version_of.cache_clear()
    try:
        deployed = stored.version_of(None)
        assert deployed.startswith("9.9.9+") and deployed != before["policy_version"]
        assert_agree(api, interview_id, before["earliest_allowed_at"], deployed)
    finally:
        stored._version_of.cache_clear()
