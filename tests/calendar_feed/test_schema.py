"""What the published schema says of these bodies beyond the checks every component gets
(tests/test_api_contract.py: every field described, every field an answer sends required)."""

from __future__ import annotations

from app.calendar.schemas import CalendarPublic


def test_the_example_is_a_whole_answer() -> None:
    (example,) = CalendarPublic.model_json_schema(mode="serialization")["examples"]
    assert CalendarPublic.model_validate(example).model_dump(mode="json") == example
