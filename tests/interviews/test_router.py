from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient

BASE = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
}


def test_create_returns_the_interview_with_its_contacts(api: Api) -> None:
    interview = api.interview(duration_minutes=45, applied_on="2026-02-01", decision_expected_by="2026-03-06")
    assert interview["company"] == "Acme"
    assert interview["status"] == "active"
    assert interview["duration_minutes"] == 45
    # Stored and returned in UTC: 10:00 at -05:00 is 15:00Z.
    assert interview["interview_at"] == "2026-03-02T15:00:00Z"
    assert interview["first_interview_at"] == "2026-03-02T15:00:00Z"
    assert [c["name"] for c in interview["contacts"]] == ["Ana", "Ben"]
    assert interview["contacts"][0]["is_primary"] is True
    assert api.get(f"/v1/interviews/{interview['id']}").json() == interview


def test_create_with_defaults_only(api: Api) -> None:
    response = api.post("/v1/interviews", BASE)
    assert response.status_code == 201
    body = response.json()
    assert (body["duration_minutes"], body["timezone"], body["contacts"]) == (60, None, [])


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"company": ""}, ("body", "company")),
        ({"role_title": None}, ("body", "role_title")),
        ({"role_family": "astronaut"}, ("body", "role_family")),
        ({"interview_at": "2026-03-02T10:00:00"}, ("body", "interview_at")),
        ({"interview_at": "next monday"}, ("body", "interview_at")),
        ({"duration_minutes": 0}, ("body", "duration_minutes")),
        ({"timezone": "Mars/Olympus"}, ("body", "timezone")),
        ({"decision_expected_by": "06/03/2026"}, ("body", "decision_expected_by")),
        ({"applied_on": "yesterday"}, ("body", "applied_on")),
        ({"colour": "blue"}, ("body", "colour")),
        ({"contacts": [{"name": "Ana", "role": "boss"}]}, ("body", "contacts", 0, "role")),
        ({"contacts": [{"name": "Ana", "role": "recruiter", "email": "nope"}]}, ("body", "contacts", 0, "email")),
        (
            {
                "contacts": [
                    {"name": "Ana", "role": "recruiter", "is_primary": True},
                    {"name": "Ben", "role": "hiring_manager", "is_primary": True},
                ]
            },
            ("body", "contacts", 1, "is_primary"),
        ),
    ],
)
def test_create_rejects_invalid_input(api: Api, change: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    assert_problem(api.post("/v1/interviews", BASE | change), 422, loc)
    assert api.get("/v1/interviews").json()["data"] == []


def test_missing_fields_are_each_listed(api: Api) -> None:
    problem = assert_problem(
        api.post("/v1/interviews", {}),
        422,
        ("body", "company"),
        ("body", "role_title"),
        ("body", "role_family"),
        ("body", "interview_at"),
    )
    assert "company" in problem["detail"]


def test_invalid_json_is_a_problem(api: Api) -> None:
    response = api.client.post(
        "/v1/interviews", content=b"{not json", headers=api.headers | {"content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_list_filters_by_status_and_paginates(api: Api) -> None:
    ids = [api.interview(company=f"Company {n}")["id"] for n in range(5)]
    assert api.patch(f"/v1/interviews/{ids[1]}", {"status": "closed"}).status_code == 200

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api.get("/v1/interviews", params=params).json()
        pages += 1
        seen += [item["id"] for item in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (ids, 3)

    closed = api.get("/v1/interviews", params={"status": "closed"}).json()
    assert [i["id"] for i in closed["data"]] == [ids[1]]
    active = api.get("/v1/interviews", params={"status": "active"}).json()
    assert [i["id"] for i in active["data"]] == [ids[0], *ids[2:]]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ("query", "limit")),
        ({"limit": 201}, ("query", "limit")),
        ({"status": "happy"}, ("query", "status")),
        ({"cursor": "not-a-cursor"}, ("query", "cursor")),
        ({"cursor": "WzFd"}, ("query", "cursor")),  # base64 of [1]: a list of the wrong shape
    ],
)
def test_list_rejects_invalid_parameters(api: Api, params: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert_problem(api.get("/v1/interviews", params=params), 422, loc)


def test_patch_changes_fields_and_keeps_the_rest(api: Api) -> None:
    interview = api.interview()
    response = api.patch(
        f"/v1/interviews/{interview['id']}",
        {"role_title": "Staff Engineer", "snoozed_until": "2026-04-01T09:00:00+02:00", "timezone": None},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["role_title"] == "Staff Engineer"
    assert body["snoozed_until"] == "2026-04-01T07:00:00Z"
    assert body["timezone"] is None
    assert body["company"] == "Acme"
    assert body["updated_at"] >= interview["updated_at"]


def test_patch_moves_the_first_round(api: Api) -> None:
    interview = api.interview()
    body = api.patch(f"/v1/interviews/{interview['id']}", {"interview_at": "2026-03-03T10:00:00-05:00"}).json()
    assert body["interview_at"] == body["first_interview_at"] == "2026-03-03T15:00:00Z"


def test_patch_interview_at_after_a_new_round_is_a_conflict(api: Api) -> None:
    interview = api.interview()
    api.event(
        interview["id"],
        type="round_scheduled",
        occurred_at="2026-03-04T10:00:00-05:00",
        interview_at="2026-03-10T14:00:00-04:00",
    )
    response = api.patch(f"/v1/interviews/{interview['id']}", {"interview_at": "2026-03-03T10:00:00-05:00"})
    assert_problem(response, 409)
    assert api.get(f"/v1/interviews/{interview['id']}").json()["first_interview_at"] == "2026-03-02T15:00:00Z"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"company": None}, ("body", "company")),
        ({"status": None}, ("body", "status")),
        ({"status": "maybe"}, ("body", "status")),
        ({"snoozed_until": "2026-04-01T09:00:00"}, ("body", "snoozed_until")),
        ({"timezone": "Nowhere/Town"}, ("body", "timezone")),
        ({"id": "mine"}, ("body", "id")),
    ],
)
def test_patch_rejects_invalid_input(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    interview = api.interview()
    assert_problem(api.patch(f"/v1/interviews/{interview['id']}", body), 422, loc)
    assert api.get(f"/v1/interviews/{interview['id']}").json() == interview


def test_delete_removes_contacts_and_events(api: Api) -> None:
    interview = api.interview()
    api.event(interview["id"], type="note", occurred_at="2026-03-02T12:00:00-05:00", note="went well")
    assert api.delete(f"/v1/interviews/{interview['id']}").status_code == 204
    assert_problem(api.get(f"/v1/interviews/{interview['id']}"), 404)
    assert_problem(api.get(f"/v1/interviews/{interview['id']}/events"), 404)
    assert_problem(api.delete(f"/v1/interviews/{interview['id']}"), 404)
    assert api.get("/v1/interviews").json() == {"data": [], "next_cursor": None}


def test_another_users_interview_looks_missing(api: Api, other: Api) -> None:
    theirs = other.interview()["id"]
    missing = "00000000-0000-0000-0000-000000000000"
    for interview_id in (theirs, missing):
        assert_problem(api.get(f"/v1/interviews/{interview_id}"), 404)
        assert_problem(api.patch(f"/v1/interviews/{interview_id}", {"company": "Mine"}), 404)
        assert_problem(api.delete(f"/v1/interviews/{interview_id}"), 404)
    assert api.get("/v1/interviews").json()["data"] == []
    assert other.get(f"/v1/interviews/{theirs}").json()["company"] == "Acme"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/interviews"),
        ("GET", "/v1/interviews"),
        ("GET", "/v1/interviews/x"),
        ("PATCH", "/v1/interviews/x"),
        ("DELETE", "/v1/interviews/x"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer fu_nope_nope", "Bearer nonsense", "Basic abc"])
def test_every_route_needs_a_valid_key(
    client: TestClient, api: Api, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.request(method, path, json=BASE, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
