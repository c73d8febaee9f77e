"""What the published schema says of the policy is what the service does."""

from __future__ import annotations

from typing import Any

import holidays
import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI

from app.policy.schemas import PolicyPublic
from app.rules.policy import INT_BOUNDS


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


def test_the_example_is_a_whole_answer() -> None:
    (example,) = PolicyPublic.model_json_schema(mode="serialization")["examples"]
    assert PolicyPublic.model_validate(example).model_dump(mode="json") == example


@pytest.mark.parametrize("key", sorted(INT_BOUNDS))
def test_whole_numbers_within_their_bounds(app: FastAPI, api: Api, key: str) -> None:
    low, high = INT_BOUNDS[key]
    (number, _null) = component(app, "PolicyUpdate")["properties"][key]["anyOf"]
    assert number == {"type": "integer", "minimum": low, "maximum": high}
    for sent, kept in [(high, high), (float(low), low), (float(high), high)]:
        response = api.patch("/v1/policy", {key: sent})
        assert response.status_code == 200, response.text
        assert response.json()[key] == kept
        assert type(response.json()[key]) is int
    for refused in [low - 1, high + 1, low + 0.5, str(low), True]:
        assert_problem(api.patch("/v1/policy", {key: refused}), 422, ("body", key))


def test_role_family_days_are_whole_numbers_of_known_families(app: FastAPI, api: Api) -> None:
    (days, _null) = component(app, "PolicyUpdate")["properties"]["role_family_days"]["anyOf"]
    assert days["additionalProperties"] == {"type": "integer", "minimum": 1, "maximum": 365}
    assert "engineering" in component(app, "PolicyUpdate")["properties"]["role_family_days"]["propertyNames"]["enum"]
    response = api.patch("/v1/policy", {"role_family_days": {"engineering": 30.0}})
    assert response.status_code == 200, response.text
    assert response.json()["role_family_days"]["engineering"] == 30
    assert_problem(api.patch("/v1/policy", {"role_family_days": {"engineering": 30.5}}), 422)
    assert_problem(api.patch("/v1/policy", {"role_family_days": {"astronaut": 30}}), 422)


def test_the_countries_are_those_the_holidays_package_knows(app: FastAPI, api: Api) -> None:
    (country, _null) = component(app, "PolicyUpdate")["properties"]["country"]["anyOf"]
    codes = component(app, country["$ref"].rsplit("/", 1)[1])["enum"]
    assert set(codes) == set(holidays.list_supported_countries())
    assert {"US", "DE", "IL", "USA"} <= set(codes)
    assert "ZZ" not in codes
    assert api.patch("/v1/policy", {"country": "DE"}).json()["country"] == "DE"
    # Lower case was always taken, and is stored upper-cased.
    assert api.patch("/v1/policy", {"country": "us", "subdivision": "NY"}).json()["country"] == "US"
    assert_problem(api.patch("/v1/policy", {"country": "ZZ"}), 422, ("body", "country"))
    # A subdivision of another country is a check of the service alone.
    assert_problem(api.patch("/v1/policy", {"subdivision": "BY"}), 422, ("body", "subdivision"))
