"""The mail schemas: every answer field required and described, and the example is the
service's answer to the README's out-of-office."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api
from fastapi import FastAPI

from app.mail.schemas import MAIL_OUTCOME_EXAMPLE, InboundResult, MailOutcome, MailSettingsPublic

OUT_OF_OFFICE = b"""\
Message-ID: <ooo-1@mail.acme.example>
From: Ana <ana@example.com>
To: local@localhost
Date: Mon, 9 Mar 2026 09:06:00 -0400
Subject: Automatic reply: Checking in
Auto-Submitted: auto-replied

I am out of the office
and back on Monday 16 March.
"""


@pytest.mark.parametrize("model", [MailOutcome, MailSettingsPublic, InboundResult])
def test_the_examples_are_whole_answers(model: Any) -> None:
    (example,) = model.model_json_schema(mode="serialization", by_alias=True)["examples"]
    assert model.model_validate(example).model_dump(mode="json", by_alias=True) == example


def test_the_example_is_the_readme_out_of_office(api: Api) -> None:
    interview = api.interview()
    api.event(interview["id"], type="status_check_sent", occurred_at="2026-03-09T09:05:00-04:00")
    response = api.client.post(
        "/v1/mail/messages", content=OUT_OF_OFFICE, headers=api.headers | {"content-type": "message/rfc822"}
    )
    assert response.status_code == 201, response.text
    outcome = response.json()
    made = {"id", "received_at", "interview_id", "contact_id", "event_ids"}
    assert {key: value for key, value in outcome.items() if key not in made} == {
        key: value for key, value in MAIL_OUTCOME_EXAMPLE.items() if key not in made
    }
    assert (outcome["interview_id"], outcome["contact_id"]) == (interview["id"], interview["contacts"][0]["id"])


def test_postmark_bodies_need_the_raw_message(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/v1/inbound-mail/postmark"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["RawEmail"]
    assert schema["properties"]["RawEmail"]["type"] == "string"
