"""Adjustments FastAPI's generated OpenAPI document needs: problems served as
`application/problem+json`, each with an example of its own status, the API key scheme on
the operations that take it (and an explicit no-scheme on the others), the responses every
operation can give (413, 422, 429, 500, 503) and the headers every answer carries."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi._compat import get_definitions, get_flat_models_from_fields, get_model_name_map
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_fields_from_routes
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic_core import to_jsonable_python

from app.core.etags import changed_since_read, if_match_required
from app.core.handlers import CHANGED_MEANWHILE
from app.core.limits import MAX_BODY_BYTES, RATE_LIMIT_HEADERS, limit_for, too_large
from app.core.observability import REQUEST_ID_HEADER
from app.core.problems import (
    PROBLEM_MEDIA_TYPE,
    RATE_LIMITED_RESPONSES,
    TOO_LARGE_RESPONSES,
    UNAVAILABLE_DETAIL,
    VALIDATION_RESPONSES,
    Problem,
    ProblemError,
    describe,
    server_error_problem,
)
from app.core.query import NO_OBJECT_HAS_THIS_ID, UNKNOWN_QUERY_PARAMETER
from app.core.urls import HOST_REFUSED_DETAIL

HEADER_DOCS: dict[str, dict[str, Any]] = {
    REQUEST_ID_HEADER: {
        "description": "The request's id: the client's `X-Request-ID` when it is 1-128 printable ASCII "
        "characters, else a new one. Quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string", "maxLength": 128},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Limit": {"description": "Requests allowed per minute with this API key.", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "Requests left right now.", "schema": {"type": "integer"}},
    "RateLimit-Reset": {
        "description": "Seconds until the full limit is available again.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Limit": {"description": "Same as `RateLimit-Limit`.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Same as `RateLimit-Remaining`.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {
        "description": "When the full limit is available again (Unix time, seconds).",
        "schema": {"type": "integer"},
    },
}


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def depends_on(dependant: Dependant, dependency: Callable[..., Any]) -> bool:
    """Whether `dependency` is among the dependencies of `dependant`, at any depth."""
    return any(sub.call is dependency or depends_on(sub, dependency) for sub in dependant.dependencies)


def _document_security(
    app: FastAPI, schema: dict[str, Any], *, authenticate: Callable[..., Any], name: str, scheme: dict[str, Any]
) -> None:
    """The API key scheme, and the operations that take it: those that depend on
    `current_user` (which reads the header itself, see app.auth.dependencies). The others
    say `security: []`, so that no reader takes them for an oversight: they take no
    credential (the probes) or authenticate otherwise, as their description says (a
    provider's signature, a token in the URL). Placed where FastAPI places a security
    dependency's, after the operationId; an operation that states its own is left as it is."""
    schema["components"]["securitySchemes"] = {name: scheme}
    # Routes as FastAPI documents them: those of included routers with their prefix and
    # the router's dependencies.
    for route in iter_route_contexts(app.routes):
        if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
            continue
        requirement: list[dict[str, list[str]]] = [{name: []}] if depends_on(route.dependant, authenticate) else []
        path_item = schema["paths"][route.path_format]
        for method in route.methods or ():
            operation = path_item[method.lower()]
            if "security" not in operation:
                path_item[method.lower()] = _with_security(operation, requirement)
    # Calls the service makes to its subscribers: it signs them; they carry no credential.
    for path_item in schema.get("webhooks", {}).values():
        for method, operation in path_item.items():
            if "security" not in operation:
                path_item[method] = _with_security(operation, [])


def _with_security(operation: dict[str, Any], requirement: list[dict[str, list[str]]]) -> dict[str, Any]:
    at = list(operation).index("operationId") + 1
    items = list(operation.items())
    return dict(items[:at] + [("security", requirement)] + items[at:])


def _problem(status: int, detail: str | None, errors: list[ProblemError] | None = None) -> dict[str, Any]:
    problem = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors)
    return problem.model_dump(exclude_none=True)


# What the service answers with these statuses: the words of app.auth.dependencies, which
# the tests compare with real answers.
MISSING_KEY_PROBLEM = _problem(401, "Send an API key as `Authorization: Bearer <key>`.")
RATE_LIMITED_PROBLEM = _problem(429, "More than 60 requests a minute with this API key; retry in 12 s.")
EXAMPLE_ETAG = '"9b2c4f0e7a1d3b5c8e6f2a4d1c7b9e3f"'


def _object_name(path: str) -> str:
    """What the operation at `path` acts on, as app.core.etags names it: the object of its
    last id (`/v1/interviews/{interview_id}`: interview), else its last word (policy)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.startswith("{"):
        return last.strip("{}").removesuffix("_id").replace("_", " ")
    return last.replace("-", " ")


def _validation_errors(schema: dict[str, Any], operation: dict[str, Any]) -> list[ProblemError]:
    """What the operation answers a request that leaves out the first field its JSON body
    requires, else one with a field its body does not have, else one with a query
    parameter it does not have (every /v1 operation refuses those, app.core.query)."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    if body.get("required"):
        return [ProblemError(loc=["body", body["required"][0]], msg="Field required")]
    if body.get("additionalProperties") is False:
        return [ProblemError(loc=["body", "nickname"], msg="Extra inputs are not permitted")]
    return [ProblemError(loc=["query", "stauts"], msg=UNKNOWN_QUERY_PARAMETER)]


def problem_example(
    schema: dict[str, Any], path: str, operation: dict[str, Any], status: int, *, larger_bodies: Mapping[str, int]
) -> dict[str, Any]:
    """A problem the operation really answers with `status`."""
    if status == 400:
        return _problem(400, HOST_REFUSED_DETAIL)
    if status == 401:
        # The others (a provider's signature or credentials) give their own example, else
        # the status alone: their words differ by provider.
        return MISSING_KEY_PROBLEM if operation.get("security") else _problem(401, None)
    if status == 404:
        return _problem(404, NO_OBJECT_HAS_THIS_ID)
    if status == 409:
        return _problem(409, CHANGED_MEANWHILE)
    if status == 412:
        return _problem(412, changed_since_read(_object_name(path), EXAMPLE_ETAG))
    if status == 413:
        return _problem(413, too_large(limit_for(path, larger_bodies)))
    if status == 422:
        errors = _validation_errors(schema, operation)
        return _problem(422, describe(errors), errors)
    if status == 428:
        return _problem(428, if_match_required(_object_name(path)))
    if status == 429:
        return RATE_LIMITED_PROBLEM
    if status == 500:
        return server_error_problem("5f0c6b1e9d2a4c3b8e7f6a5d4c3b2a19")
    if status == 503:
        return _problem(503, UNAVAILABLE_DETAIL)
    return _problem(status, None)


def _restore_examples(app: FastAPI, schema: dict[str, Any]) -> None:
    """The components' examples as the models give them. FastAPI encodes the document
    with `exclude_none`, which reaches into examples and drops every null: a response's
    example would lack the fields that are null in it, which the schema requires."""
    fields = get_fields_from_routes(list(app.routes) + list(app.webhooks.routes))
    names = get_model_name_map(get_flat_models_from_fields(fields, known_models=set()))
    _, definitions = get_definitions(
        fields=fields, model_name_map=names, separate_input_output_schemas=app.separate_input_output_schemas
    )
    for name, component in schema["components"].get("schemas", {}).items():
        if name in definitions:
            _copy_examples(component, definitions[name], names_level=False)


def _copy_examples(document: Any, model: Any, *, names_level: bool) -> None:
    """Copy `example` and `examples` from `model` into `document`, a schema of the same
    shape, at any depth; `names_level` when the keys are names (of properties), not keywords."""
    if isinstance(document, dict) and isinstance(model, dict):
        for key, value in document.items():
            if key not in model:
                continue
            if not names_level and key in ("example", "examples"):
                document[key] = to_jsonable_python(model[key])
            else:
                _copy_examples(value, model[key], names_level=not names_level and key in ("properties", "$defs"))
    elif isinstance(document, list) and isinstance(model, list) and len(document) == len(model):
        for document_item, model_item in zip(document, model, strict=True):
            _copy_examples(document_item, model_item, names_level=False)


# How pydantic writes a parametrized generic model's name in the schema: `Page[AgendaItem]`
# becomes `Page_AgendaItem_`.
_GENERIC_NAME = re.compile(r"\w+_\w+_")


def _rename_generic_components(schema: dict[str, Any]) -> None:
    """Give a generic model's component the name the model gives itself
    (`model_parametrized_name`, its title: `AgendaItemPage`), when it gives one a client
    can use as a type name, and point every reference at it."""
    components: dict[str, Any] = schema["components"]["schemas"]
    renamed = {
        name: component["title"]
        for name, component in components.items()
        if _GENERIC_NAME.fullmatch(name)
        and component.get("title", "").isidentifier()
        and component["title"] not in components
    }
    if not renamed:
        return
    references = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renamed.items()}
    schema["components"]["schemas"] = dict(
        sorted((renamed.get(name, name), component) for name, component in components.items())
    )

    def repoint(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and value in references:
                    node[key] = references[value]
                else:
                    repoint(value)
        elif isinstance(node, list):
            for item in node:
                repoint(item)

    repoint(schema)


def _add_page_examples(schema: dict[str, Any]) -> None:
    """A page's example: the last page of a list holding its item's example (the first
    kind's, for a list of a union). Without it Swagger UI makes one up from the types
    (`"next_cursor": "string"`)."""
    components: dict[str, Any] = schema["components"]["schemas"]
    for name, component in components.items():
        items = component.get("properties", {}).get("data", {}).get("items", {})
        if not name.endswith("Page") or "examples" in component or "next_cursor" not in component.get("properties", {}):
            continue
        first_kind: dict[str, Any] = next(iter(items.get("oneOf", [])), {})
        reference = items.get("$ref") or first_kind.get("$ref")
        item_examples = components[reference.rsplit("/", 1)[1]].get("examples") if reference else None
        if item_examples:
            component["examples"] = [{"data": [item_examples[0]], "next_cursor": None}]


def _add_problem_examples(schema: dict[str, Any], *, larger_bodies: Mapping[str, int]) -> None:
    """Each problem response without an example of its own gets one of its status: Swagger
    UI would otherwise show every one of them with the Problem schema's field examples (a 404)."""
    for path, path_item in schema["paths"].items():
        for operation in path_item.values():
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
                if media is not None and "example" not in media and "examples" not in media:
                    media["example"] = problem_example(
                        schema, path, operation, int(status), larger_bodies=larger_bodies
                    )


BAD_HOST = "The `Host` header names a host this service does not answer for (`FOLLOWUP_ALLOWED_HOSTS`)"


def install(
    app: FastAPI,
    *,
    authenticate: Callable[..., Any],
    scheme_name: str,
    scheme: dict[str, Any],
    extra: Callable[[dict[str, Any]], None],
    larger_bodies: Mapping[str, int] | None = None,
) -> None:
    """Serve problem responses under `application/problem+json` in the schema, document
    the API key, the 500 problem on every operation, 413 where a body is sent (with the
    limit of its path: `larger_bodies` as app.core.limits.BodyLimitMiddleware takes it),
    429 where an API key is, and the headers every answer carries."""
    larger = larger_bodies or {}
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        _document_security(app, schema, authenticate=authenticate, name=scheme_name, scheme=scheme)
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        schema["components"]["headers"] = HEADER_DOCS
        documented: dict[int | str, dict[str, Any]] = TOO_LARGE_RESPONSES | RATE_LIMITED_RESPONSES
        for path, path_item in schema["paths"].items():
            for operation in path_item.values():
                responses = operation["responses"]
                authenticated = bool(operation.get("security"))
                if "requestBody" in operation:
                    limit = limit_for(path, larger)
                    description = (
                        documented[413]["description"]
                        if limit == MAX_BODY_BYTES
                        else f"The request body is over {limit / 1024 / 1024:g} MiB"
                    )
                    responses.setdefault("413", {"description": description})
                if path.startswith("/v1/") and "422" not in responses:
                    # Every /v1 operation refuses unknown query parameters (app.core.query).
                    responses["422"] = {
                        "description": VALIDATION_RESPONSES[422]["description"],
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                    }
                if authenticated:
                    responses.setdefault("429", {"description": documented[429]["description"]})
                    responses["429"]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                    responses["429"]["headers"] = {"Retry-After": _header_ref("Retry-After")}
                if "413" in responses:
                    responses["413"]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                for response in responses.values():
                    content = response.get("content", {})
                    if content.get("application/json", {}).get("schema") == problem_ref:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                # app.core.urls: without FOLLOWUP_PUBLIC_URL, a request whose Host is not one
                # of FOLLOWUP_ALLOWED_HOSTS is refused before any route, whatever the operation.
                responses.setdefault("400", {"description": BAD_HOST})
                responses["400"]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                responses["500"] = {
                    "description": "Unexpected error (no details are disclosed but the request id)",
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                }
                if operation.get("operationId") != "getHealth":
                    responses["503"] = {
                        "description": "The database is unavailable; retry after `Retry-After` seconds",
                        "headers": {"Retry-After": _header_ref("Retry-After")},
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                    }
                for status, response in responses.items():
                    headers = response.setdefault("headers", {})
                    headers[REQUEST_ID_HEADER] = _header_ref(REQUEST_ID_HEADER)
                    if authenticated and (status.startswith("2") or status == "429"):
                        for name in RATE_LIMIT_HEADERS:
                            headers[name] = _header_ref(name)
        extra(schema)
        _restore_examples(app, schema)
        _rename_generic_components(schema)
        _add_page_examples(schema)
        _add_problem_examples(schema, larger_bodies=larger)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
