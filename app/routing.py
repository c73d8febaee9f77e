"""Direct routes: the reads a home screen polls, answered without FastAPI's request handling.

For every request FastAPI resolves the operation's parameters and dependencies, and this
costs more than the rest of a read served from its stored result (docs/benchmarks.md,
change 12: `GET /v1/interviews/{id}/next-action` took 221 µs per request in process on
SQLite, 130 µs through a direct route; the bare FastAPI endpoint 130 µs).
Most of these requests are the plainest kind: a GET with no query string. For those,
what FastAPI would resolve is known in advance: the request, the verified user, the path
parameters as strings and the default of every query parameter. A `DirectRoute`, put in
front of the operation in the route table, passes exactly that to the operation's own
function; any other request (a query string, `HEAD`, another method) does not match it and goes
to the operation as declared, which also keeps it in the OpenAPI document.

`DirectRoute` refuses, when it is built, an operation for which that would not hold: one
that reads a body, a header or a cookie, has a required query parameter, a path parameter
that is not a plain string, a dependency other than `current_user`, or that is not a
coroutine returning a `Response` (FastAPI would validate and serialize anything else).
The dependencies the operation gets from its router (app.query's unknown-parameter check)
have nothing to check without a query string; tests/test_routing.py checks they are the
only ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import Match, Route
from starlette.types import Scope

from app.auth.dependencies import current_user

Operation = Callable[..., Awaitable[Response]]


class NotDirect(TypeError):
    """The operation needs more than a `DirectRoute` resolves."""


def _plan(path: str, operation: Operation) -> tuple[str, str | None, dict[str, Any]]:
    """The operation's request parameter, its user parameter and its query defaults."""
    name = getattr(operation, "__name__", repr(operation))
    if not inspect.iscoroutinefunction(operation):
        raise NotDirect(f"{name} is not a coroutine function")
    returns = inspect.signature(operation, eval_str=True).return_annotation
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        raise NotDirect(f"{name} does not return a Response")
    dependant = get_dependant(path=path, call=operation)
    if dependant.request_param_name is None:
        raise NotDirect(f"{name} does not take the request")
    others = (
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.background_tasks_param_name,
        dependant.response_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.security_scopes_param_name,
    )
    if any(others):
        raise NotDirect(f"{name} takes more than the request, its path, its query and the user")
    for field in dependant.path_params:
        if field.field_info.annotation is not str or field.field_info.metadata:
            raise NotDirect(f"{name}: the path parameter {field.name} is not a plain string")
    defaults: dict[str, Any] = {}
    for field in dependant.query_params:
        if field.field_info.is_required():
            raise NotDirect(f"{name}: the query parameter {field.alias} is required")
        defaults[field.name] = field.field_info.get_default(call_default_factory=True)
    user: str | None = None
    for sub in dependant.dependencies:
        if sub.call is not current_user or sub.name is None:
            raise NotDirect(f"{name} depends on {sub.call!r}")
        user = sub.name
    return dependant.request_param_name, user, defaults


class DirectRoute(Route):
    """Answers a GET of `path` that has no query string by calling `operation` with what
    FastAPI would have resolved for it (see the module's docstring)."""

    def __init__(self, path: str, operation: Operation) -> None:
        request_name, user_name, defaults = _plan(path, operation)
        self.operation = operation

        async def endpoint(request: Request) -> Response:
            values = {request_name: request, **defaults, **request.path_params}
            if user_name is not None:
                values[user_name] = await current_user(request)
            return await operation(**values)

        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Anything but a plain GET goes on to the operation: FastAPI validates the query,
        # and answers other methods (405) as it always did.
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            # The route the request id middleware names in the metrics and the log line.
            child_scope["route"] = self
        return match, child_scope


def direct_routes(router: APIRouter, *operations: Operation) -> list[DirectRoute]:
    """A `DirectRoute` for each GET operation of `router` given."""
    routes = []
    for operation in operations:
        (path,) = {
            route.path
            for route in router.routes
            if isinstance(route, APIRoute) and route.endpoint is operation and "GET" in (route.methods or ())
        }
        routes.append(DirectRoute(path, operation))
    return routes
