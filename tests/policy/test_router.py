from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient

# RULES.md's defaults, written out by hand.
DEFAULTS = {
    "timezone": "UTC",
    "country": None,
    "subdivision": None,
    "business_days_only": True,
    "send_hour": 9,
    "thank_you_window_hours": 24,
    "multi_contact_cooldown_hours": 24,
    "deadline_grace": "next_day",
    "no_timeline_wait_days": 7,
    "min_days_between_nudges": 7,
    "max_status_checks": 2,
    "escalate_to_hiring_manager": True,
    "role_family_days": {
        "engineering": 49,
        "research": 48,
        "project_management": 47,
        "customer_service": 34,
        "administrative": 33,
        "other": 42,
    },
}


def test_defaults(api: Api) -> None:
    body = api.get("/v1/policy").json()
    assert {k: v for k, v in body.items() if k in DEFAULTS} == DEFAULTS
    assert body["overridden"] == []
    assert body["policy_version"]


def test_patch_merges_and_null_restores_the_default(api: Api) -> None:
    before = api.get("/v1/policy").json()
    first = api.patch("/v1/policy", {"country": "us", "send_hour": 8, "role_family_days": {"research": 60}}).json()
    assert (first["country"], first["send_hour"]) == ("US", 8)
    assert first["role_family_days"]["research"] == 60
    assert first["role_family_days"]["engineering"] == 49
    assert first["overridden"] == ["country", "role_family_days", "send_hour"]
    assert first["policy_version"] != before["policy_version"]

    second = api.patch("/v1/policy", {"send_hour": None, "role_family_days": {"other": 40}}).json()
    assert (second["country"], second["send_hour"]) == ("US", 9)
    assert second["role_family_days"]["research"] == 60
    assert second["role_family_days"]["other"] == 40
    assert api.get("/v1/policy").json() == second


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"send_hour": 24}, ("body", "send_hour")),
        ({"send_hour": "nine"}, ("body", "send_hour")),
        ({"timezone": "Atlantis/Capital"}, ("body", "timezone")),
        ({"country": "XX"}, ("body", "country")),
        ({"subdivision": "CA"}, ("body", "subdivision")),
        ({"deadline_grace": "whenever"}, ("body", "deadline_grace")),
        ({"max_status_checks": -1}, ("body", "max_status_checks")),
        ({"role_family_days": {"astronaut": 10}}, ("body", "role_family_days", "astronaut")),
        ({"role_family_days": {"research": 0}}, ("body", "role_family_days", "research")),
        ({"colour": "blue"}, ("body", "colour")),
    ],
)
def test_patch_rejects_invalid_values_and_saves_nothing(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    before = api.get("/v1/policy").json()
    assert_problem(api.patch("/v1/policy", body | {"no_timeline_wait_days": 5}), 422, loc)
    assert api.get("/v1/policy").json() == before


def test_each_user_has_their_own_policy(api: Api, other: Api) -> None:
    api.patch("/v1/policy", {"country": "FR"})
    assert other.get("/v1/policy").json()["country"] is None


def test_rule_catalogue(api: Api) -> None:
    body = api.get("/v1/rules").json()
    assert [rule["id"] for rule in body["rules"]][:10] == [f"R{n}" for n in range(10)]
    assert body["defaults"] == DEFAULTS
    assert body["version"]
    r1 = next(rule for rule in body["rules"] if rule["id"] == "R1")
    assert "thank_you_window_hours" in r1["policy_keys"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/policy"), ("PATCH", "/v1/policy"), ("GET", "/v1/rules")])
def test_needs_a_valid_key(client: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer fu_a_b"}):
        assert_problem(client.request(method, path, json={}, headers=headers), 401)
