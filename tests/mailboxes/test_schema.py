"""What the published schema says of mailboxes is what the service does."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from mail.dovecot import HOST, Dovecot, MailUser

from app.core.config import Settings
from app.mailboxes.schemas import MailboxPublic

REQUEST_MODELS = ["MailboxCreate", "MailboxUpdate"]


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


def test_the_example_is_a_whole_answer() -> None:
    (example,) = MailboxPublic.model_json_schema(mode="serialization")["examples"]
    assert MailboxPublic.model_validate(example).model_dump(mode="json") == example


def test_a_change_names_at_least_one_field(app: FastAPI, api: Api) -> None:
    assert component(app, "MailboxUpdate")["minProperties"] == 1
    # The body is refused before the mailbox is looked for.
    assert_problem(api.patch("/v1/mailboxes/no-such-mailbox", {}), 422)
    assert api.patch("/v1/mailboxes/no-such-mailbox", {"enabled": False}).status_code == 404


def test_the_port_is_a_whole_number_of_the_tcp_range(app: FastAPI) -> None:
    # Null leaves the default port on creation; a change may leave the port out, not null it.
    (port, null) = component(app, "MailboxCreate")["properties"]["port"]["anyOf"]
    assert null == {"type": "null"}
    changed = component(app, "MailboxUpdate")["properties"]["port"]
    for each in (port, changed):
        assert (each["type"], each["minimum"], each["maximum"]) == ("integer", 1, 65535)


def test_a_port_as_993_0_is_taken(api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings) -> None:
    body = {"host": HOST, "username": mail_user.username, "password": mail_user.password}
    response = api.post("/v1/mailboxes", body | {"port": float(dovecot.imaps_port)})
    assert response.status_code == 201, response.text
    assert response.json()["port"] == dovecot.imaps_port
    for refused in (dovecot.imaps_port + 0.5, str(dovecot.imaps_port), True, 0, 65536):
        assert_problem(api.post("/v1/mailboxes", body | {"port": refused}), 422, ("body", "port"))


@pytest.mark.parametrize("model", REQUEST_MODELS)
def test_the_host_pattern_is_in_the_schema(app: FastAPI, api: Api, model: str) -> None:
    host = component(app, model)["properties"]["host"]
    assert (host["pattern"], host["minLength"], host["maxLength"]) == (r"^[A-Za-z0-9._:\[\]-]+$", 1, 253)
    body = {"host": "imap.example.com/x", "username": "me", "password": "secret"}
    assert_problem(api.post("/v1/mailboxes", body), 422, ("body", "host"))
