from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Api, assert_problem
from icalendar import Calendar


def feed_path(api: Api) -> str:
    response = api.get("/v1/calendar")
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert url.startswith("http://testserver/v1/calendar/")
    assert url.endswith(".ics")
    return url.removeprefix("http://testserver")


def events(api: Api, path: str) -> list[Any]:
    response = api.client.get(path)  # no API key: the token is the key
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["prodid"]) == "-//followup//follow-ups//EN"
    return list(calendar.walk("VEVENT"))


def test_the_feed_matches_the_agenda(api: Api) -> None:
    first = api.interview()
    second = api.interview(company="Globex", interview_at="2026-03-03T10:00:00-05:00")
    api.event(
        second["id"], type="timeline_shared", occurred_at="2026-03-03T15:00:00-05:00", decision_expected_by="2026-03-06"
    )
    concluded = api.interview(company="Initech")
    api.event(concluded["id"], type="rejected", occurred_at="2026-03-04T12:00:00-05:00")
    other_path = feed_path(api)

    agenda = api.get("/v1/follow-ups").json()["data"]
    found = events(api, other_path)
    assert len(found) == len(agenda) == 2
    for item, event in zip(agenda, found, strict=True):
        action = item["next_action"]
        assert str(event["uid"]) == f"{item['interview']['id']}@followup"
        start = event.decoded("dtstart")
        assert start == datetime.fromisoformat(action["earliest_allowed_at"])
        assert event.decoded("dtend") - start == timedelta(minutes=15)
        summary = str(event["summary"])
        assert action["contact"]["name"] in summary
        assert item["interview"]["company"] in summary
        assert summary.startswith("Status check")
        description = str(event["description"])
        assert action["reason"] in description
        assert action["draft"]["subject"] in description
        assert action["draft"]["body"] in description
        assert event.decoded("dtstamp") > datetime.now(UTC) - timedelta(minutes=1)
    assert {str(e["uid"]) for e in found} == {f"{first['id']}@followup", f"{second['id']}@followup"}


def test_the_url_is_stable_until_rotated(api: Api) -> None:
    path = feed_path(api)
    assert feed_path(api) == path
    rotated = api.post("/v1/calendar/rotate")
    assert rotated.status_code == 200, rotated.text
    new_path = rotated.json()["url"].removeprefix("http://testserver")
    assert new_path != path
    assert feed_path(api) == new_path
    assert_problem(api.client.get(path), 404)
    assert events(api, new_path) == []


def test_rotating_before_the_first_url_makes_one(api: Api) -> None:
    path = api.post("/v1/calendar/rotate").json()["url"].removeprefix("http://testserver")
    assert feed_path(api) == path


def test_unknown_tokens_are_not_found(api: Api) -> None:
    assert_problem(api.client.get("/v1/calendar/nothing.ics"), 404)
    assert_problem(api.client.get("/v1/calendar/.ics"), 404)


def test_each_user_has_their_own_feed(api: Api, other: Api) -> None:
    api.interview()
    mine, theirs = feed_path(api), feed_path(other)
    assert mine != theirs
    assert len(events(api, mine)) == 1
    assert events(other, theirs) == []


def test_the_feed_url_needs_an_api_key(api: Api) -> None:
    assert_problem(api.client.get("/v1/calendar"), 401)
    assert_problem(api.client.post("/v1/calendar/rotate"), 401)


def test_the_public_url_setting_names_the_host(api: Api) -> None:
    app: Any = api.client.app
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"public_url": "https://followup.example.com/"})
    try:
        url = api.get("/v1/calendar").json()["url"]
    finally:
        app.state.settings = settings
    assert url.startswith("https://followup.example.com/v1/calendar/")
