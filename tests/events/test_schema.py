"""The schema says which fields each type of event carries and requires, in requests and
answers, so that a client generated from it cannot build an event the service refuses."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from app.events import schemas
from app.events.schemas import EVENT_CREATE, EVENT_PUBLIC

COMMON_CREATE = {"type", "occurred_at", "contact_id", "channel", "note"}
COMMON_PUBLIC = COMMON_CREATE | {"id", "interview_id", "seq", "source", "message_id", "created_at"}
# Written out by hand from RULES.md: each type's own fields, and those it requires.
OWN_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "thank_you_sent": (set(), set()),
    "status_check_sent": (set(), set()),
    "value_add_sent": (set(), set()),
    "reply_received": (set(), set()),
    "timeline_shared": ({"decision_expected_by"}, {"decision_expected_by"}),
    "stage_changed": (set(), set()),
    "auto_reply_received": ({"returns_on"}, set()),
    "round_scheduled": ({"interview_at", "duration_minutes", "invite_uid"}, {"interview_at"}),
    "round_cancelled": ({"invite_uid"}, {"invite_uid"}),
    "message_bounced": ({"address", "status"}, {"address"}),
    "rejected": (set(), set()),
    "offer_received": (set(), set()),
    "hired": (set(), set()),
    "withdrawn": (set(), set()),
    "note": (set(), set()),
}
CREATE_NAMES = {
    "thank_you_sent": "ThankYouSentEventCreate",
    "timeline_shared": "TimelineSharedEventCreate",
    "round_scheduled": "RoundScheduledEventCreate",
    "message_bounced": "MessageBouncedEventCreate",
}


def _operation(schema: dict[str, Any], method: str) -> dict[str, Any]:
    operation: dict[str, Any] = schema["paths"]["/v1/interviews/{interview_id}/events"][method]
    return operation


def _members(schema: dict[str, Any], union: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The union's members by their `type`, checked against its discriminator's mapping."""
    assert union["discriminator"]["propertyName"] == "type"
    mapping = union["discriminator"]["mapping"]
    assert sorted(mapping.values()) == sorted(member["$ref"] for member in union["oneOf"])
    members = {}
    for kind, ref in mapping.items():
        member = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert member["properties"]["type"]["const"] == kind
        members[kind] = member
    assert set(members) == set(OWN_FIELDS)
    return members


def _unions(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    page = _operation(schema, "get")["responses"]["200"]["content"]["application/json"]["schema"]
    page_schema = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    return {
        "request": _operation(schema, "post")["requestBody"]["content"]["application/json"]["schema"],
        "answer": _operation(schema, "post")["responses"]["201"]["content"]["application/json"]["schema"],
        "page": page_schema["properties"]["data"]["items"],
    }


def test_request_and_answers_are_unions_discriminated_by_type(app: FastAPI) -> None:
    schema = app.openapi()
    unions = _unions(schema)
    request = _members(schema, unions["request"])
    for kind, name in CREATE_NAMES.items():
        assert unions["request"]["discriminator"]["mapping"][kind] == f"#/components/schemas/{name}"
    for kind, member in request.items():
        own, required = OWN_FIELDS[kind]
        assert set(member["properties"]) == COMMON_CREATE | own, kind
        assert set(member["required"]) == {"type", "occurred_at"} | required, kind
        assert member["additionalProperties"] is False
    assert unions["answer"]["oneOf"] == unions["page"]["oneOf"]
    assert unions["answer"]["discriminator"] == unions["page"]["discriminator"]
    answer = _members(schema, unions["answer"])
    for kind, member in answer.items():
        own, _ = OWN_FIELDS[kind]
        assert set(member["properties"]) == COMMON_PUBLIC | own, kind
        # Every field is always sent, null when it has no value.
        assert set(member["required"]) == COMMON_PUBLIC | own, kind
    assert answer["timeline_shared"]["properties"]["decision_expected_by"] == {
        "type": "string",
        "format": "date",
        "title": "Decision Expected By",
        "description": answer["timeline_shared"]["properties"]["decision_expected_by"]["description"],
    }
    assert {"type": "null"} in answer["round_scheduled"]["properties"]["duration_minutes"]["anyOf"]
    minutes = request["round_scheduled"]["properties"]["duration_minutes"]["anyOf"]
    assert minutes == [{"type": "integer", "minimum": 1, "maximum": 1440}, {"type": "null"}]


@pytest.mark.parametrize("side", ["request", "answer"])
def test_every_type_and_field_is_described_with_an_example_the_service_takes(app: FastAPI, side: str) -> None:
    schema = app.openapi()
    members = _members(schema, _unions(schema)[side])
    descriptions = set()
    for kind, member in members.items():
        assert len(member["description"]) > 40, kind
        descriptions.add(member["description"])
        for name, field in member["properties"].items():
            assert field.get("description"), (kind, name)
        # The model's own example: the document loses an example's null values (FastAPI
        # leaves out every None when it writes the document).
        model = getattr(schemas, member["title"])
        (example,) = model.model_json_schema(mode="validation" if side == "request" else "serialization")["examples"]
        assert example["type"] == kind
        adapter = EVENT_CREATE if side == "request" else EVENT_PUBLIC
        validated = adapter.validate_python(example)
        assert validated.type == kind
        assert set(example) <= set(member["properties"])
        assert set(member["required"]) <= set(example)
    assert len(descriptions) == len(members), "each type says what it means"
