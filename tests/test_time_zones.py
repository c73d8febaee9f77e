"""Time zones a person means: the IANA name of a place, or UTC, for interviews and the
policy alike, refused with the same words elsewhere; names stored before still read."""

from __future__ import annotations

import pytest
from conftest import Api, assert_problem
from sqlalchemy import update
from sqlalchemy.engine import Engine

from app.interviews.models import Interview
from app.policy.models import PolicyOverrides
from app.rules import timezone_problem

REFUSED = ["EST", "MST", "HST", "EST5EDT", "CST6CDT", "GMT", "Etc/GMT+5", "localtime"]


@pytest.mark.parametrize("name", REFUSED)
def test_an_interview_refuses_a_name_that_is_no_place(api: Api, name: str) -> None:
    interview = api.interview()
    problem = assert_problem(
        api.patch(f"/v1/interviews/{interview['id']}", {"timezone": name}), 422, ("body", "timezone")
    )
    [error] = problem["errors"]
    assert error["msg"] == timezone_problem(name)
    assert api.get(f"/v1/interviews/{interview['id']}").json()["timezone"] == "America/New_York"


@pytest.mark.parametrize("name", REFUSED)
def test_the_policy_refuses_it_with_the_same_words(api: Api, name: str) -> None:
    problem = assert_problem(api.patch("/v1/policy", {"timezone": name}), 422, ("body", "timezone"))
    [error] = problem["errors"]
    assert error["msg"] == timezone_problem(name)
    assert api.get("/v1/policy").json()["timezone"] == "UTC"


def test_the_message_names_the_place(api: Api) -> None:
    interview = {"company": "A", "role_title": "B", "role_family": "other", "interview_at": "2026-03-02T10:00:00Z"}
    problem = assert_problem(
        api.post("/v1/simulate", {"interview": interview, "policy": {"timezone": "EST"}}),
        422,
        ("body", "policy", "timezone"),
    )
    assert "EST has no daylight saving time; for New York use America/New_York" in problem["detail"]


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "America/New_York", "US/Eastern"])
def test_places_and_utc_are_accepted(api: Api, name: str) -> None:
    assert api.interview(timezone=name)["timezone"] == name
    assert api.patch("/v1/policy", {"timezone": name}).json()["timezone"] == name


def test_names_stored_before_still_read(api: Api, engine: Engine) -> None:
    interview = api.interview()
    assert api.patch("/v1/policy", {"country": "US"}).status_code == 200
    with engine.begin() as connection:
        connection.execute(update(Interview).values(timezone="EST"))
        connection.execute(update(PolicyOverrides).values(overrides={"country": "US", "timezone": "EST"}))
    url = f"/v1/interviews/{interview['id']}"
    assert api.get(url).json()["timezone"] == "EST"
    assert api.get(f"{url}/next-action").status_code == 200
    assert api.get("/v1/follow-ups").status_code == 200
    assert api.get("/v1/policy").json()["timezone"] == "EST"
    # Other changes still go through; the stored name stays until it is replaced.
    assert api.patch(url, {"company": "Beta"}).json()["timezone"] == "EST"
    assert api.patch("/v1/policy", {"send_hour": 8}).json()["timezone"] == "EST"
    assert_problem(api.patch("/v1/policy", {"timezone": "EST"}), 422, ("body", "timezone"))
    assert api.patch("/v1/policy", {"timezone": "America/New_York"}).json()["timezone"] == "America/New_York"
