"""What the published schema says of these bodies beyond the checks every component gets
(tests/test_api_contract.py: every field described, every field an answer sends required)."""

from __future__ import annotations

from app.contacts.schemas import ContactPublic


def test_the_example_is_a_whole_answer() -> None:
    (example,) = ContactPublic.model_json_schema(mode="serialization")["examples"]
    assert ContactPublic.model_validate(example).model_dump(mode="json") == example
