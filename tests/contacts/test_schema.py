"""Every field of these bodies is described in the published schema, and every field of an
answer is required there (the service always sends it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from app.contacts.schemas import ContactPublic

REQUEST_MODELS: list[str] = ["ContactCreate", "ContactUpdate"]
RESPONSE_MODELS: list[str] = ["ContactPublic"]


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
    assert set(schema["required"]) == set(schema["properties"])


def test_the_example_is_a_whole_answer() -> None:
    (example,) = ContactPublic.model_json_schema(mode="serialization")["examples"]
    assert ContactPublic.model_validate(example).model_dump(mode="json") == example
