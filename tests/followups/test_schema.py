"""The next action's schema explains each action, and its example is the service's own
answer to the README's session."""

from __future__ import annotations

from typing import Any

from conftest import Api
from fastapi import FastAPI

from app.followups.schemas import NEXT_ACTION_EXAMPLE, NextActionPublic, OutreachCheckResult
from app.rules import Action


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


def test_the_action_says_what_each_value_asks(app: FastAPI) -> None:
    action = component(app, "NextActionPublic")["properties"]["action"]
    assert action["$ref"] == "#/components/schemas/Action"
    description = action["description"]
    assert all(f"`{value}`: " in description for value in Action)
    assert "write once to the hiring manager" in description
    assert "the process has ended" in description


def test_the_example_is_the_answer_to_the_readme_session(api: Api) -> None:
    interview = api.interview()
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    api.event(
        interview["id"],
        type="timeline_shared",
        occurred_at="2026-03-03T12:00:00-05:00",
        decision_expected_by="2026-03-06",
    )
    answer = api.get(f"/v1/interviews/{interview['id']}/next-action", params={"at": "2026-03-07T12:00:00-05:00"})
    assert answer.status_code == 200, answer.text
    ana = interview["contacts"][0]
    expected = NEXT_ACTION_EXAMPLE | {
        "interview_id": interview["id"],
        "contact": NEXT_ACTION_EXAMPLE["contact"] | {"id": ana["id"]},
    }
    assert answer.json() == expected
    assert NextActionPublic.model_validate(NEXT_ACTION_EXAMPLE).model_dump(mode="json") == NEXT_ACTION_EXAMPLE


def test_the_outreach_example_is_a_whole_answer() -> None:
    (example,) = OutreachCheckResult.model_json_schema(mode="serialization")["examples"]
    assert OutreachCheckResult.model_validate(example).model_dump(mode="json") == example
