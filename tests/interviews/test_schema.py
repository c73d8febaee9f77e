"""What the published schema says of interviews is what the service does: each constraint
in the schema, and data that meets it accepted, data that does not refused with a 422."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from integrations.support import STANDARD_SECRET

from app.interviews.schemas import InterviewPublic

README_INTERVIEW: dict[str, Any] = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
    "timezone": "America/New_York",
}


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


def test_contacts_are_required_in_an_interview(app: FastAPI) -> None:
    assert "contacts" in component(app, "InterviewPublic")["required"]


def test_the_examples_are_the_readme_interview(app: FastAPI) -> None:
    (created, _) = component(app, "InterviewCreate")["examples"]
    assert {key: created[key] for key in README_INTERVIEW} == README_INTERVIEW
    assert [(c["name"], c["email"], c["role"]) for c in created["contacts"]] == [
        ("Ana", "ana@example.com", "recruiter"),
        ("Ben", "ben@example.com", "hiring_manager"),
    ]
    (answered,) = component(app, "InterviewPublic")["examples"]
    assert [contact["name"] for contact in answered["contacts"]] == ["Ana", "Ben"]
    # A whole answer, nulls included.
    assert InterviewPublic.model_validate(answered).model_dump(mode="json") == answered


@pytest.mark.parametrize(
    ("sent", "answered"), [(90, 90), (90.0, 90), (1, 1), (1440.0, 1440), (0, None), (1441, None), (90.5, None)]
)
def test_minutes_are_whole_numbers_within_a_day(app: FastAPI, api: Api, sent: Any, answered: int | None) -> None:
    for model in ("InterviewCreate", "InterviewUpdate"):
        minutes = component(app, model)["properties"]["duration_minutes"]
        assert (minutes["type"], minutes["minimum"], minutes["maximum"]) == ("integer", 1, 1440)
    response = api.post("/v1/interviews", README_INTERVIEW | {"duration_minutes": sent})
    if answered is None:
        assert_problem(response, 422, ("body", "duration_minutes"))
        return
    assert response.status_code == 201, response.text
    assert response.json()["duration_minutes"] == answered
    changed = api.patch(f"/v1/interviews/{response.json()['id']}", {"duration_minutes": sent})
    assert changed.status_code == 200, changed.text
    assert changed.json()["duration_minutes"] == answered


@pytest.mark.parametrize("sent", ["90", True, None])
def test_minutes_are_numbers(api: Api, sent: Any) -> None:
    assert_problem(api.post("/v1/interviews", README_INTERVIEW | {"duration_minutes": sent}), 422)


def test_without_an_invite_the_four_fields_are_required(app: FastAPI, api: Api) -> None:
    schema = component(app, "InterviewCreate")
    required = ["company", "role_title", "role_family", "interview_at"]
    assert schema["if"]["required"] == ["from_message_id"]
    assert schema["if"]["properties"]["from_message_id"] == {"type": "string", "minLength": 1}
    assert schema["else"]["required"] == required
    for name, constraint in schema["else"]["properties"].items():
        assert constraint == ({"not": {"type": "null"}} if name in required else {})
    # The conditions constrain nothing else.
    assert all(schema["if"]["properties"][name] == {} for name in schema["properties"] if name != "from_message_id")
    assert_problem(api.post("/v1/interviews", {}), 422, *[("body", name) for name in required])
    assert_problem(api.post("/v1/interviews", {"from_message_id": ""}), 422, *[("body", name) for name in required])
    assert api.post("/v1/interviews", README_INTERVIEW | {"from_message_id": ""}).status_code == 201
    assert_problem(api.post("/v1/interviews", README_INTERVIEW | {"company": None}), 422, ("body", "company"))
    lacking = {key: value for key, value in README_INTERVIEW.items() if key != "role_family"}
    assert_problem(api.post("/v1/interviews", lacking), 422, ("body", "role_family"))
    assert api.post("/v1/interviews", README_INTERVIEW).status_code == 201


def test_the_link_fields_require_each_other(app: FastAPI, api: Api) -> None:
    schema = component(app, "InterviewCreate")
    assert schema["dependentRequired"] == {
        "integration_id": ["ats_application_id"],
        "ats_application_id": ["integration_id"],
    }
    # Left out, never null: null would meet dependentRequired and still link nothing.
    assert schema["properties"]["integration_id"]["type"] == "string"
    assert schema["properties"]["ats_application_id"]["type"] == "string"
    integration = api.post("/v1/integrations", {"provider": "standard", "company": "Acme", "secret": STANDARD_SECRET})
    assert integration.status_code == 201, integration.text
    integration_id = integration.json()["id"]
    for body, loc in [
        ({"ats_application_id": "91552310"}, "integration_id"),
        ({"integration_id": integration_id}, "ats_application_id"),
        ({"integration_id": None, "ats_application_id": "91552310"}, "integration_id"),
        ({"integration_id": integration_id, "ats_application_id": None}, "ats_application_id"),
    ]:
        assert_problem(api.post("/v1/interviews", README_INTERVIEW | body), 422, ("body", loc))
    linked = api.post(
        "/v1/interviews", README_INTERVIEW | {"integration_id": integration_id, "ats_application_id": "91552310"}
    )
    assert linked.status_code == 201, linked.text
    assert (linked.json()["integration_id"], linked.json()["ats_application_id"]) == (integration_id, "91552310")


def test_one_contact_at_most_is_primary(app: FastAPI, api: Api) -> None:
    contacts = component(app, "InterviewCreate")["properties"]["contacts"]
    assert contacts["contains"] == {"required": ["is_primary"], "properties": {"is_primary": {"const": True}}}
    assert (contacts["minContains"], contacts["maxContains"], contacts["maxItems"]) == (0, 1, 50)
    ana = {"name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True}
    ben = {"name": "Ben", "email": "ben@example.com", "role": "hiring_manager"}
    both = [ana, ben | {"is_primary": True}]
    assert_problem(
        api.post("/v1/interviews", README_INTERVIEW | {"contacts": both}), 422, ("body", "contacts", 1, "is_primary")
    )
    for contacts_sent in ([ana, ben], [ben], []):
        assert api.post("/v1/interviews", README_INTERVIEW | {"contacts": contacts_sent}).status_code == 201


def test_names_are_not_empty(app: FastAPI, api: Api) -> None:
    company = component(app, "InterviewUpdate")["properties"]["company"]
    assert (company["minLength"], company["maxLength"]) == (1, 200)
    assert_problem(api.post("/v1/interviews", README_INTERVIEW | {"company": ""}), 422, ("body", "company"))
