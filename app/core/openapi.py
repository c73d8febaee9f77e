"""Adjustments FastAPI's generated OpenAPI document needs: problems served as
`application/problem+json`, the API key scheme on the operations that take it, the
responses every operation can give (413, 422, 429, 500, 503) and the headers every answer
carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.limits import RATE_LIMIT_HEADERS
from app.core.observability import REQUEST_ID_HEADER
from app.core.problems import PROBLEM_MEDIA_TYPE, RATE_LIMITED_RESPONSES, TOO_LARGE_RESPONSES, VALIDATION_RESPONSES

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
    `current_user` (which reads the header itself, see app.auth.dependencies). Placed
    where FastAPI places a security dependency's, after the operationId."""
    schema["components"]["securitySchemes"] = {name: scheme}
    # Routes as FastAPI documents them: those of included routers with their prefix and
    # the router's dependencies.
    for route in iter_route_contexts(app.routes):
        if not (
            isinstance(route.original_route, APIRoute)
            and route.include_in_schema
            and depends_on(route.dependant, authenticate)
        ):
            continue
        path_item = schema["paths"][route.path_format]
        for method in route.methods or ():
            operation = path_item[method.lower()]
            at = list(operation).index("operationId") + 1
            items = list(operation.items())
            path_item[method.lower()] = dict(items[:at] + [("security", [{name: []}])] + items[at:])


BAD_HOST = "The `Host` header names a host this service does not answer for (`FOLLOWUP_ALLOWED_HOSTS`)"


def install(
    app: FastAPI,
    *,
    authenticate: Callable[..., Any],
    scheme_name: str,
    scheme: dict[str, Any],
    extra: Callable[[dict[str, Any]], None],
) -> None:
    """Serve problem responses under `application/problem+json` in the schema, document
    the API key, the 500 problem on every operation, 413 where a body is sent, 429 where
    an API key is, and the headers every answer carries."""
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
                    responses.setdefault("413", {"description": documented[413]["description"]})
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
                        content[PROBLEM_MEDIA_TYPE] = {"schema": problem_ref}
                        del content["application/json"]
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
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
