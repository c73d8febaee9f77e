"""The public contract, checked generically from the OpenAPI schema, so that an operation
or a field added later is covered without anyone remembering to: request bodies refuse
unknown and server-owned fields, every input has a size limit, and no operation lets one
user reach another's objects."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from mailboxes.support import stored_mailbox
from pydantic import ConfigDict, Field
from sqlalchemy.engine import Engine

from app.core.schemas import Public, accepted_timezones

# Fields the service owns: a request body never sets them.
SERVER_OWNED = (
    "id",
    "user_id",
    "interview_id",
    "created_at",
    "updated_at",
    "seq",
    "source",
    "version",
    "etag",
    "first_interview_at",
    "next_action",
    "action",
    "earliest_allowed_at",
    "earliest_allowed_date",
    "latest_recommended_at",
    "due",
    "rule",
    "reason",
    "policy_version",
    "overridden",
    "prefix",
    "key",
    "key_hash",
    "webhook_url",
    "secret_rotated_at",
    "previous_secret_expires_at",
    "disabled_reason",
    "disabled_at",
    "failing_since",
    "received_at",
    "result",
)
# Where a body may carry a name from that list, and why.
SERVER_OWNED_ALLOWED = {
    # A simulation stores nothing: its contacts get ids of the caller's choosing, which its
    # events refer to.
    ("SimulatedContact", "id"),
    # Assigning a message names the interview it goes to (MAIL.md), one of the caller's.
    ("AssignBody", "interview_id"),
}
# Operations whose body is not a schema of ours, and why.
RAW_BODIES = {
    # The ATS receiver verifies a provider's signature on the raw bytes; the payload is the
    # provider's, with fields we do not own (tests/integrations cover what it accepts).
    "receiveAtsDelivery",
    # One raw email message (message/rfc822), not JSON; tests/mail covers what it accepts.
    "postMailMessage",
    # The inbound-mail providers' own formats (tests/mail/test_inbound.py).
    "receiveMailgunMessage",
    "receivePostmarkMessage",
    "receiveRawMessage",
}
PATH_PARAMETER_VALUE = "00000000-0000-4000-8000-000000000000"
RFC822 = {"Content-Type": "message/rfc822"}


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _parameters(schema: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        schema["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in operation.get("parameters", [])
    ]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _body_schemas(schema: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The name and schema of each body an operation takes as JSON: the non-null branch of
    an optional one, each member of a union."""
    body = operation.get("requestBody")
    if body is None or operation["operationId"] in RAW_BODIES:
        return []
    node = body["content"]["application/json"]["schema"]
    variants = node.get("oneOf") or node.get("anyOf") or [node]
    return [(variant["$ref"].rsplit("/", 1)[1], _resolve(schema, variant)) for variant in variants if "$ref" in variant]


def _request_bodies(schema: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (path, method, *named)
        for path, method, operation in _operations(schema)
        for named in _body_schemas(schema, operation)
    ]


def _objects(schema: dict[str, Any], node: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    """Every schema reachable from `node`, with where it is, each component once."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        seen.add(name)
        yield from _objects(schema, schema["components"]["schemas"][name], name, seen)
        return
    yield where, node
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in node.get(key, []):
            yield from _objects(schema, variant, where, seen)
    if "items" in node:
        yield from _objects(schema, node["items"], f"{where}[]", seen)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _objects(schema, node["additionalProperties"], f"{where}{{}}", seen)
    for name, field in node.get("properties", {}).items():
        yield from _objects(schema, field, f"{where}.{name}", seen)


def _url(path: str, operation: dict[str, Any], values: dict[str, str] | None = None) -> str:
    names = [name for name in path.split("{")[1:] for name in [name.split("}")[0]]]
    return path.format(**{name: (values or {}).get(name, PATH_PARAMETER_VALUE) for name in names})


def _example(body_schema: dict[str, Any], name: str) -> dict[str, Any]:
    examples = body_schema.get("examples")
    assert examples, f"{name} needs an example (json_schema_extra) for the docs and these tests"
    example: dict[str, Any] = copy.deepcopy(examples[0])
    return example


# Inputs are bounded


def test_every_request_field_has_a_size_limit_and_every_body_is_closed(app: FastAPI) -> None:
    schema = app.openapi()
    problems = []
    for path, method, operation in _operations(schema):
        inputs = [(f"{method} {path} {p['name']}", p["schema"]) for p in _parameters(schema, operation)]
        for name, _ in _body_schemas(schema, operation):
            inputs.append((name, {"$ref": f"#/components/schemas/{name}"}))
        for label, root in inputs:
            for where, node in _objects(schema, root, label, set()):
                kind = node.get("type")
                in_path = " path " in f" {where} " or where.endswith(("_id", " token"))
                if kind == "string" and not in_path and not {"maxLength", "enum", "const", "format"} & set(node):
                    problems.append(f"{where}: a string without maxLength")
                if kind == "string" and node.get("format") not in (None, "date", "date-time", "password"):
                    problems.append(f"{where}: unexpected format {node['format']}")
                if kind == "string" and node.get("format") == "password" and "maxLength" not in node:
                    problems.append(f"{where}: a secret without maxLength")
                if kind == "array" and "maxItems" not in node:
                    problems.append(f"{where}: a list without maxItems")
                if isinstance(node.get("additionalProperties"), dict) and "maxProperties" not in node:
                    problems.append(f"{where}: a map without maxProperties")
                if "properties" in node and node.get("additionalProperties") is not False:
                    problems.append(f"{where}: a body object that accepts unknown fields")
                for name in node.get("properties", {}):
                    if name in SERVER_OWNED and (where, name) not in SERVER_OWNED_ALLOWED:
                        problems.append(f"{where}.{name}: a server-owned field in a request body")
    assert problems == []
    # Path ids are not bounded: an id that is too long is simply one that does not exist (404).


def test_list_answers_are_pages_or_bounded(app: FastAPI) -> None:
    schema = app.openapi()
    for path, method, operation in _operations(schema):
        answer = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if method != "get" or answer is None:
            continue
        names = {p["name"] for p in _parameters(schema, operation)}
        node = _resolve(schema, answer["schema"])
        if "data" in node.get("properties", {}):
            assert {"limit", "cursor"} <= names, path
            assert node["properties"]["next_cursor"], path


# Mass assignment


@pytest.mark.parametrize("field", ["colour", "zzz_unknown"])
def test_every_body_refuses_an_unknown_field_by_name(app: FastAPI, api: Api, field: str) -> None:
    schema = app.openapi()
    bodies = _request_bodies(schema)
    assert len(bodies) >= 12
    for path, method, name, body_schema in bodies:
        body = _example(body_schema, name) | {field: "x"}
        operation = schema["paths"][path][method]
        response = api.client.request(method, _url(path, operation), json=body, headers=api.headers)
        assert_problem(response, 422, ("body", field))


def test_no_body_sets_a_server_owned_field(app: FastAPI, api: Api) -> None:
    schema = app.openapi()
    for path, method, name, body_schema in _request_bodies(schema):
        operation = schema["paths"][path][method]
        example = _example(body_schema, name)
        for field in SERVER_OWNED:
            if field in body_schema.get("properties", {}):
                continue
            response = api.client.request(
                method, _url(path, operation), json=example | {field: "x"}, headers=api.headers
            )
            assert_problem(response, 422, ("body", field))


def test_nested_bodies_refuse_unknown_and_server_owned_fields(api: Api) -> None:
    contact = {"name": "Ana", "role": "recruiter", "id": "mine", "created_at": "2026-01-01T00:00:00Z"}
    response = api.post("/v1/interviews", {**_interview_body(), "contacts": [contact]})
    assert_problem(response, 422, ("body", "contacts", 0, "id"), ("body", "contacts", 0, "created_at"))
    simulated = {
        "interview": {**_interview_body(), "user_id": "someone"},
        "policy": {"policy_version": "x"},
    }
    response = api.post("/v1/simulate", simulated)
    assert_problem(response, 422, ("body", "interview", "user_id"), ("body", "policy", "policy_version"))
    assert api.get("/v1/interviews").json()["data"] == []


def _interview_body() -> dict[str, Any]:
    return {
        "company": "Acme",
        "role_title": "Backend Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
    }


# Authorization: every operation with a path id, as another user


# Operations a second user may call with the first user's path values, and why.
NOT_USER_SCOPED = {
    # The feed's token is the credential itself (no API key): whoever holds the URL reads it.
    "getCalendarFeed",
    # No user either: the provider's signature authenticates (401 without it, see tests/integrations).
    "receiveAtsDelivery",
    # The forwarding address names the user; each provider is verified its own way
    # (tests/mail/test_inbound.py).
    "receiveMailgunMessage",
    "receivePostmarkMessage",
    "receiveRawMessage",
}


@pytest.fixture
def owned(api: Api, engine: Engine) -> dict[str, str]:
    """One object of every kind for `api`, by the path parameter that names it."""
    interview = api.interview()
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    integration = api.post("/v1/integrations", {"provider": "standard", "company": "Acme"}).json()
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/followup"}).json()
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    key = api.post("/v1/api-keys", {"name": "second"}).json()
    assert api.get("/v1/calendar").status_code == 200
    raw = b"From: kai@elsewhere.example\r\nTo: me@example.com\r\nMessage-ID: <hi@elsewhere>\r\n\r\nHi\r\n"
    message = api.client.post("/v1/mail/messages", content=raw, headers=api.headers | RFC822).json()
    assert message["outcome"] == "unmatched"
    return {
        "mailbox_id": stored_mailbox(engine, email="me@example.com"),
        "message_id": message["id"],
        "interview_id": interview["id"],
        "contact_id": interview["contacts"][0]["id"],
        "integration_id": integration["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery["id"],
        "key_id": key["id"],
    }


def _snapshot(api: Api, ids: dict[str, str]) -> dict[str, Any]:
    """Everything of `api`'s that the sweep could have touched, as the API shows it."""
    interview = f"/v1/interviews/{ids['interview_id']}"
    endpoint = f"/v1/webhook-endpoints/{ids['endpoint_id']}"
    urls = [
        "/v1/interviews",
        interview,
        f"{interview}/contacts",
        f"{interview}/contacts/{ids['contact_id']}",
        f"{interview}/events",
        f"{interview}/next-action?at=2026-03-07T12:00:00-05:00",
        "/v1/follow-ups?due_by=2026-03-07T12:00:00-05:00",
        f"/v1/integrations/{ids['integration_id']}",
        f"/v1/integrations/{ids['integration_id']}/deliveries",
        endpoint,
        f"{endpoint}/deliveries",
        f"{endpoint}/deliveries/{ids['delivery_id']}",
        "/v1/api-keys",
        "/v1/policy",
        "/v1/calendar",
        "/v1/mail/messages",
        f"/v1/mail/messages/{ids['message_id']}",
        "/v1/mail/settings",
        "/v1/mailboxes",
        f"/v1/mailboxes/{ids['mailbox_id']}",
    ]
    snapshot = {}
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, (url, response.text)
        snapshot[url] = (response.json(), response.headers.get("etag"))
    return snapshot


def test_another_users_ids_are_not_found_everywhere_and_nothing_changes(
    app: FastAPI, api: Api, other: Api, owned: dict[str, str]
) -> None:
    schema = app.openapi()
    swept = []
    before = _snapshot(api, owned)
    for path, method, operation in _operations(schema):
        names = [p["name"] for p in _parameters(schema, operation) if p["in"] == "path"]
        if not names or operation["operationId"] in NOT_USER_SCOPED:
            continue
        missing = [name for name in names if name not in owned]
        assert not missing, f"{operation['operationId']}: give the sweep an object for {missing}"
        named = _body_schemas(schema, operation)
        body = _example(named[0][1], named[0][0]) if named else None
        # Bodies that name other objects name the first user's.
        if body is not None and "contact_id" in body:
            body["contact_id"] = owned["contact_id"]
        if body is not None and "interview_id" in body:
            body["interview_id"] = owned["interview_id"]
        response = other.client.request(method, _url(path, operation, owned), json=body, headers=other.headers)
        assert_problem(response, 404)
        swept.append(operation["operationId"])
    assert len(swept) >= 25
    assert _snapshot(api, owned) == before
    assert other.get("/v1/interviews").json()["data"] == []
    assert other.get("/v1/webhook-endpoints").json()["data"] == []
    assert other.get("/v1/integrations").json()["data"] == []


def test_the_operations_without_a_user_are_the_documented_ones(app: FastAPI) -> None:
    schema = app.openapi()
    open_operations = {
        operation["operationId"]
        for _, _, operation in _operations(schema)
        if not operation.get("security") and operation.get("tags") != ["service"]
    }
    assert open_operations == NOT_USER_SCOPED


def _could_match_the_same_path(first: str, second: str) -> bool:
    """Two path templates match a common path when they have as many segments and, at each,
    the same literal or a parameter on either side."""
    a, b = first.strip("/").split("/"), second.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") or y.startswith("{") for x, y in zip(a, b, strict=True))


def _routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """Every route a request can reach, documented or not, with its methods."""
    found = [(path, {m.upper() for m in item}) for path, item in app.openapi()["paths"].items()]
    undocumented = ["/metrics", "/docs", "/redoc", "/openapi.json"]
    return found + [(path, {"GET", "HEAD"}) for path in undocumented]


def test_no_two_operations_can_match_the_same_request(app: FastAPI) -> None:
    """So the order in which routes are added (app.main puts the busiest first) decides
    nothing: every request has one operation at most."""
    routes = _routes(app)
    clashes = [
        (first, second, methods & other_methods)
        for index, (first, methods) in enumerate(routes)
        for second, other_methods in routes[index + 1 :]
        if methods & other_methods and _could_match_the_same_path(first, second)
    ]
    assert clashes == []


def test_the_clash_check_sees_a_literal_against_a_parameter() -> None:
    assert _could_match_the_same_path("/v1/webhooks/ats/{integration_id}", "/v1/webhooks/{endpoint_id}/test")
    assert not _could_match_the_same_path("/v1/interviews/{interview_id}", "/v1/interviews/{interview_id}/events")
    assert not _could_match_the_same_path("/v1/follow-ups", "/v1/policy")


# Defects the fuzzing found (tests/test_fuzz.py), each with the test that would have caught it


def test_unknown_query_parameters_are_refused_by_name(api: Api) -> None:
    # Ignored, `?stauts=closed` listed every interview as if no filter had been asked for.
    assert_problem(api.get("/v1/interviews", params={"stauts": "closed"}), 422, ("query", "stauts"))
    assert_problem(api.get("/v1/follow-ups", params={"limit": 5, "x": 1, "y": 2}), 422, ("query", "x"), ("query", "y"))
    assert api.get("/v1/interviews", params={"status": "closed", "limit": 5}).status_code == 200
    assert api.client.get("/healthz", params={"probe": "lb"}).status_code == 200  # service routes stay lenient


@pytest.mark.parametrize("value", [0, 0.5, "0.5", "1772463600", "2026-03-02", "2026-03-02T10:00:00", True])
def test_times_are_rfc3339_with_an_offset_only(api: Api, value: object) -> None:
    # Pydantic took numbers (and numeric strings) as Unix times: `due_by=0.5` meant 1970.
    assert_problem(api.get("/v1/follow-ups", params={"due_by": str(value)}), 422, ("query", "due_by"))
    body = {**_interview_body(), "interview_at": value}
    assert_problem(api.post("/v1/interviews", body), 422, ("body", "interview_at"))
    assert api.get("/v1/follow-ups", params={"due_by": "2026-03-02T10:00:00Z"}).status_code == 200


@pytest.mark.parametrize("value", [0, "20260302", "2026-03-02T00:00:00Z"])
def test_dates_are_yyyy_mm_dd_only(api: Api, value: object) -> None:
    assert_problem(api.post("/v1/interviews", {**_interview_body(), "applied_on": value}), 422, ("body", "applied_on"))


@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        ("/v1/policy", {"escalate_to_hiring_manager": 0}, ("body", "escalate_to_hiring_manager")),
        ("/v1/policy", {"send_hour": "9"}, ("body", "send_hour")),
        ("/v1/policy", {"send_hour": 9.5}, ("body", "send_hour")),
        ("/v1/policy", {"role_family_days": {"research": "30"}}, ("body", "role_family_days", "research")),
    ],
)
def test_booleans_and_numbers_are_json_ones(api: Api, url: str, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    # 0 was taken for false and "9" for 9, where the schema says boolean and integer.
    assert_problem(api.patch(url, body), 422, loc)
    assert_problem(api.post("/v1/interviews", {**_interview_body(), "duration_minutes": "60"}), 422)
    contact = {"name": "Ana", "role": "recruiter", "is_primary": 1}
    assert_problem(api.post("/v1/interviews", {**_interview_body(), "contacts": [contact]}), 422)


def test_patch_fields_that_refuse_null_are_not_nullable_in_the_schema(app: FastAPI) -> None:
    # The schema offered null for fields that answered 422 to it.
    components = app.openapi()["components"]["schemas"]
    interview = components["InterviewUpdate"]["properties"]
    for name in ("company", "role_title", "interview_at", "duration_minutes"):
        assert "anyOf" not in interview[name] and interview[name]["type"] in ("string", "integer"), name
    assert interview["status"]["$ref"].endswith("/Status")
    assert {"type": "null"} in interview["snoozed_until"]["anyOf"]  # null clears it: allowed
    assert "anyOf" not in components["ContactUpdate"]["properties"]["name"]
    assert components["EndpointUpdate"]["properties"]["enabled"]["type"] == "boolean"


# Core types in the schema


def test_a_time_zone_is_one_of_the_names_the_service_takes(app: FastAPI, api: Api) -> None:
    schema = app.openapi()
    zone = schema["components"]["schemas"]["TimeZone"]
    assert zone["enum"] == accepted_timezones() == sorted(zone["enum"])
    assert {"America/New_York", "Europe/London", "UTC"} <= set(zone["enum"])
    assert not {"", "EST", "GMT", "Etc/GMT+5", "localtime"} & set(zone["enum"])
    # One component that the fields refer to, not the list repeated in each.
    assert json.dumps(schema).count('"Africa/Abidjan"') == 1
    assert {"$ref": "#/components/schemas/TimeZone"} in schema["components"]["schemas"]["InterviewCreate"][
        "properties"
    ]["timezone"]["anyOf"]
    for name in (zone["enum"][0], zone["enum"][-1], "Asia/Kolkata", "Etc/UTC"):
        assert api.post("/v1/interviews", {**_interview_body(), "timezone": name}).status_code == 201, name


def test_core_models_describe_each_field_and_require_what_is_always_sent(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["Problem"]["required"] == ["type", "title", "status"]
    assert schemas["ProblemError"]["required"] == ["loc", "msg"]
    # Left out of an answer when empty, never null.
    assert all("anyOf" not in schemas["Problem"]["properties"][name] for name in ("detail", "errors", "request_id"))
    pages = [name for name in schemas if name.endswith("Page")]
    assert {"InterviewPage", "AgendaItemPage", "ContactPage"} <= set(pages)
    for name in ["Problem", "ProblemError", *pages]:
        for field, node in schemas[name]["properties"].items():
            assert node.get("description"), (name, field)
    for name in pages:
        assert schemas[name]["required"] == ["data", "next_cursor"], name
    # No name of pydantic's making for a generic model (`Page_InterviewPublic_`).
    assert [name for name in schemas if re.fullmatch(r"\w+_\w+_", name)] == []


def test_examples_keep_their_nulls_and_name_every_field_sent(app: FastAPI) -> None:
    """FastAPI drops nulls from the whole document, examples included; a response's example
    then lacked the fields that are null in it, which its schema requires."""
    schemas = app.openapi()["components"]["schemas"]
    missing = [
        (name, field)
        for name, component in schemas.items()
        for example in component.get("examples", [])
        if isinstance(example, dict)
        for field in component.get("required", [])
        if field not in example
    ]
    assert missing == []
    assert schemas["InterviewPublic"]["examples"][0]["snoozed_until"] is None


class _Sent(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Ana"}]})

    name: str
    nickname: str | None = None
    tags: list[str] = Field(default_factory=list)


def test_a_response_example_shows_each_field_it_leaves_out_with_its_default() -> None:
    schema = _Sent.model_json_schema(mode="serialization")
    assert schema["examples"] == [{"name": "Ana", "nickname": None, "tags": []}]
    assert schema["required"] == ["name", "nickname", "tags"]


def test_every_parameter_and_every_field_of_the_document_is_described(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    shared = document["components"].get("parameters", {})
    parameters = [
        (path, parameter["name"])
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for listed in operation.get("parameters", [])
        for parameter in [shared[listed["$ref"].rsplit("/", 1)[1]] if "$ref" in listed else listed]
        if not (parameter.get("description") or parameter.get("schema", {}).get("description"))
    ]
    fields = [
        (name, field)
        for name, schema in schemas.items()
        for field, property_schema in schema.get("properties", {}).items()
        if not property_schema.get("description")
    ]
    enums = [name for name, schema in schemas.items() if "enum" in schema and not schema.get("description")]
    assert parameters == [] and fields == [] and enums == []


def test_a_page_shows_an_example_of_its_items(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    pages = {name: schema for name, schema in schemas.items() if name.endswith("Page")}
    assert "InterviewPage" in pages and "EventPage" in pages
    for name, page in pages.items():
        [example] = page["examples"]
        assert example["next_cursor"] is None, name
        [item] = example["data"]
        items = page["properties"]["data"]["items"]
        reference = items.get("$ref") or items["oneOf"][0]["$ref"]
        assert item == schemas[reference.rsplit("/", 1)[1]]["examples"][0], name


def _components_answered(document: dict[str, Any]) -> set[str]:
    """The components a 2xx answer's body holds, at any depth."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/components/schemas/") and reference.rsplit("/", 1)[1] not in found:
                found.add(reference.rsplit("/", 1)[1])
                walk(schemas[reference.rsplit("/", 1)[1]])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    walk(response.get("content", {}))
    return found


def test_every_field_an_answer_always_sends_is_required(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    answered = _components_answered(document)
    assert {"InterviewPublic", "TimelineSharedEvent", "GreenhouseIntegrationWithSecret"} <= answered
    for name in sorted(answered):
        properties = schemas[name].get("properties")
        if not properties:
            continue  # an enum
        # A secret shown once is left out of a replay of its answer (app.core.etags).
        shown_once = {"key", "secret"} & set(properties) if name.endswith(("Created", "WithSecret")) else set()
        assert set(schemas[name].get("required", [])) == set(properties) - shown_once, name
    assert "contacts" in schemas["InterviewPublic"]["required"]
