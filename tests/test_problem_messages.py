"""Problems a client can act on: each documented problem response shows an example of its
own status, the one the service really sends; the messages name the header to send and
where JSON breaks, and never carry pydantic's "Value error," prefix."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.core.handlers import install_error_handlers
from app.core.openapi import EXAMPLE_ETAG
from app.core.problems import PROBLEM_MEDIA_TYPE, Problem, describe, plain_message
from app.core.schemas import Timestamp

PYDANTIC_PREFIXES = ("Value error,", "Assertion failed,")
NOT_JSON = "Send the body as JSON, with the header `Content-Type: application/json`."


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            yield path, method, operation


def _example(app: FastAPI, path: str, method: str, status: int) -> dict[str, Any]:
    response = app.openapi()["paths"][path][method]["responses"][str(status)]
    example: dict[str, Any] = response["content"][PROBLEM_MEDIA_TYPE]["example"]
    return example


# Examples


def test_each_problem_response_shows_an_example_of_its_own_status(app: FastAPI) -> None:
    schema = app.openapi()
    seen: dict[int, set[str | None]] = {}
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
            if media is None:
                continue
            where = (path, method, status)
            example = media["example"]
            assert Problem.model_validate(example).model_dump(exclude_none=True) == example, where
            assert example["status"] == int(status), where
            assert example["title"] == HTTPStatus(int(status)).phrase, where
            if status == "422":
                assert example["errors"], where
                assert example["detail"] == describe(Problem.model_validate(example).errors or []), where
            seen.setdefault(int(status), set()).add(example.get("detail"))
    assert {400, 401, 404, 409, 412, 413, 422, 428, 429, 500, 503} <= set(seen)
    # No status borrows another's words.
    assert all(seen[status].isdisjoint(seen[other]) for status in seen for other in seen if other != status)


def test_the_examples_are_what_the_service_answers(app: FastAPI, client: TestClient, api: Api) -> None:
    assert client.get("/v1/interviews").json() == _example(app, "/v1/interviews", "get", 401)
    assert api.get("/v1/interviews", params={"stauts": "active"}).json() == _example(app, "/v1/interviews", "get", 422)
    one = "/v1/interviews/{interview_id}"
    assert api.get("/v1/interviews/%00").json() == _example(app, one, "get", 404)
    interview = api.interview()
    # The contact's required field the example names is left out, and nothing else is wrong.
    contacts = "/v1/interviews/{interview_id}/contacts"
    example = _example(app, contacts, "post", 422)
    body = {"name": "Cy", "email": "cy@example.com", "role": "interviewer"}
    del body[example["errors"][0]["loc"][1]]
    assert api.post(f"/v1/interviews/{interview['id']}/contacts", body).json() == example
    current = api.get(f"/v1/interviews/{interview['id']}").headers["ETag"]
    refused = api.client.patch(
        f"/v1/interviews/{interview['id']}",
        json={"company": "Initech"},
        headers=api.headers | {"If-Match": '"0000"'},
    )
    documented = _example(app, one, "patch", 412)
    assert refused.json() == documented | {"detail": documented["detail"].replace(EXAMPLE_ETAG, current)}


# Messages


def test_a_json_body_without_a_json_content_type_is_told_to_send_the_header(api: Api) -> None:
    body = json.dumps({"company": "Acme"}).encode()
    expected = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": f"header.Content-Type: {NOT_JSON}",
        "errors": [{"loc": ["header", "Content-Type"], "msg": NOT_JSON}],
    }
    without = api.client.post("/v1/interviews", content=body, headers=api.headers)
    assert "content-type" not in without.request.headers
    assert_problem(without, 422)
    assert without.json() == expected
    as_text = api.client.post("/v1/interviews", content=body, headers=api.headers | {"content-type": "text/plain"})
    assert as_text.json() == expected
    # JSON under a +json media type is JSON; a body-less POST needs no Content-Type.
    merge = api.client.patch(
        "/v1/policy",
        content=b'{"send_hour": 10}',
        headers=api.headers | {"content-type": "application/merge-patch+json"},
    )
    assert merge.status_code == 200, merge.text
    assert api.client.post("/v1/api-keys", headers=api.headers).status_code == 201


def test_malformed_json_is_located_by_line_and_column(api: Api) -> None:
    body = b'{\n  "company": "Acme",\n  "role_title": "Engineer"\n  "role_family": "engineering"\n}'
    response = api.client.post(
        "/v1/interviews", content=body, headers=api.headers | {"content-type": "application/json"}
    )
    message = "Invalid JSON: Expecting ',' delimiter (line 4, column 3)."
    assert response.json()["errors"] == [{"loc": ["body"], "msg": message}]
    assert response.json()["detail"] == f"body: {message}"


class NamedBody(BaseModel):
    name: str


def test_a_route_reading_json_on_its_own_also_locates_the_error() -> None:
    """FastAPI's own JSON decoding (a route without app.core.json_input) gives a byte offset
    as a field (`body.19`); the handler gives the line and column instead."""
    app = FastAPI()
    install_error_handlers(app)

    async def endpoint(body: NamedBody) -> dict[str, str]:
        return {"name": body.name}

    app.router.routes.append(APIRoute("/plain", endpoint, methods=["POST"]))
    response = TestClient(app).post("/plain", content=b'{"name":\n "x",}', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body"], "msg": "Invalid JSON: Expecting property name enclosed in double quotes (line 2, column 6)."}
    ]


def test_pydantic_prefixes_are_dropped() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Timestamp).validate_python("2026-03-02")
    message = raised.value.errors()[0]["msg"]
    assert message.startswith("Value error, ")  # what pydantic says, and what a client never sees
    assert plain_message(message) == "must be an RFC 3339 time with an offset, such as 2026-03-02T10:00:00-05:00"
    assert plain_message("Assertion failed, no") == "no"
    assert plain_message("Field required") == "Field required"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _variants(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    node = _resolve(schema, node)
    for key in ("oneOf", "anyOf"):
        if key in node:
            return [v for variant in node[key] if variant != {"type": "null"} for v in _variants(schema, variant)]
    return [node]


def _bad_value(schema: dict[str, Any], node: dict[str, Any]) -> Any:
    """A value that the field's own validator refuses (a ValueError in pydantic), or
    that its type refuses; enums and constants keep a valid value so that a variant is chosen."""
    if "/TimeZone" in json.dumps(node):
        return "EST"
    (node, *_) = _variants(schema, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "string":
        return {"date-time": "2026-03-02T10:00:00", "date": "2026-3-2"}.get(node.get("format", ""), "a\u0000b")
    if kind == "integer":
        return 1.5
    if kind == "boolean":
        return "maybe"
    return None


def test_no_problem_says_value_error(app: FastAPI, api: Api) -> None:
    """Bodies of every JSON operation with each field set to what its validator refuses."""
    schema = app.openapi()
    messages: list[str] = []
    for path, method, operation in _operations(schema):
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body_schema is None or not path.startswith("/v1/"):
            continue
        url = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        for variant in _variants(schema, body_schema):
            body = {
                name: value
                for name, field in variant.get("properties", {}).items()
                if (value := _bad_value(schema, field)) is not None
            }
            response = api.client.request(method, url, json=body, headers=api.headers)
            assert response.status_code < 500, (path, response.text)
            problem = response.json()
            messages += [problem.get("detail") or "", *(error["msg"] for error in problem.get("errors", []))]
    assert not [message for message in messages if any(prefix in message for prefix in PYDANTIC_PREFIXES)]
    # The bodies did reach the validators whose messages pydantic prefixes.
    assert any("must not contain NUL" in message for message in messages)
    assert any("RFC 3339" in message for message in messages)
    assert any("has no daylight saving time" in message for message in messages)
    assert any("must be an integer" in message for message in messages)


@pytest.mark.parametrize("name", ["EST", "", "Mars/Olympus_Mons", "Etc/GMT+5"])
def test_the_policy_and_the_interview_word_a_time_zone_error_alike(api: Api, name: str) -> None:
    policy = assert_problem(api.patch("/v1/policy", {"timezone": name}), 422, ("body", "timezone"))
    interview = assert_problem(
        api.post(
            "/v1/interviews",
            {
                "company": "Acme",
                "role_title": "Engineer",
                "role_family": "engineering",
                "interview_at": "2026-03-02T10:00:00-05:00",
                "timezone": name,
            },
        ),
        422,
        ("body", "timezone"),
    )
    assert policy == interview
    assert not interview["errors"][0]["msg"].startswith(PYDANTIC_PREFIXES)
