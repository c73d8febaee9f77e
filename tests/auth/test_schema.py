"""Every field of these bodies is described in the published schema, and every field of an
answer is required there (the service always sends it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from app.auth.schemas import ApiKeyCreated

REQUEST_MODELS: list[str] = ["ApiKeyCreate"]
RESPONSE_MODELS: list[str] = ["ApiKeyPublic", "ApiKeyCreated"]


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


@pytest.mark.parametrize("name", REQUEST_MODELS + RESPONSE_MODELS)
def test_every_field_is_described(app: FastAPI, name: str) -> None:
    properties = component(app, name)["properties"]
    assert [field for field, schema in properties.items() if not schema.get("description")] == []


@pytest.mark.parametrize("name", RESPONSE_MODELS)
def test_every_field_of_an_answer_is_required(app: FastAPI, name: str) -> None:
    schema = component(app, name)
    # But the secret shown once: a replay of the answer (`Idempotent-Replayed`) leaves it out.
    shown_once = {"key"} if "key" in schema["properties"] and name.endswith(("Created", "WithSecret")) else set()
    assert set(schema["required"]) == set(schema["properties"]) - shown_once
    for field in shown_once:
        assert schema["properties"][field]["type"] == "string"  # absent, never null


def test_the_example_is_a_whole_answer() -> None:
    (example,) = ApiKeyCreated.model_json_schema(mode="serialization")["examples"]
    assert ApiKeyCreated.model_validate(example).model_dump(mode="json") == example
