"""Direct routes (app.routing): a plain GET of the next action or the agenda skips FastAPI's
request handling and must answer exactly what the operation answers through FastAPI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from conftest import Api, new_user
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.routing import Match
from test_main import metric

from app.auth.dependencies import CurrentUser, current_user
from app.config import Settings
from app.main import create_app
from app.query import reject_unknown_query_parameters
from app.routing import DirectRoute, NotDirect

NEXT_ACTION = "/v1/interviews/{interview_id}/next-action"
AGENDA = "/v1/follow-ups"


def _direct_routes(app: FastAPI) -> list[DirectRoute]:
    return [route for route in app.router.routes if isinstance(route, DirectRoute)]


def _first_full_match(app: FastAPI, method: str, path: str, query: bytes = b"") -> Any:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": query, "headers": []}
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


def test_the_next_action_and_the_agenda_have_a_direct_route(app: FastAPI) -> None:
    assert sorted(route.path for route in _direct_routes(app)) == [AGENDA, NEXT_ACTION]
    assert isinstance(_first_full_match(app, "GET", "/v1/interviews/abc/next-action"), DirectRoute)
    assert isinstance(_first_full_match(app, "GET", AGENDA), DirectRoute)


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/v1/interviews/abc/next-action", b"at=2026-03-02T10:00:00Z"),
        ("GET", AGENDA, b"limit=5"),
        ("GET", AGENDA, b"bogus=1"),
        ("HEAD", AGENDA, b""),
        ("POST", AGENDA, b""),
        ("GET", "/v1/interviews/abc/next-action/", b""),
        ("GET", "/v1/interviews/abc", b""),
    ],
)
def test_anything_but_a_plain_get_goes_to_the_operation(app: FastAPI, method: str, path: str, query: bytes) -> None:
    assert not isinstance(_first_full_match(app, method, path, query), DirectRoute)


def test_the_operations_router_adds_no_dependency_but_the_query_check(app: FastAPI) -> None:
    """Without a query string the unknown-parameter check has nothing to refuse; any other
    dependency from the router would be skipped by the direct route."""
    direct = {route.path: route.operation for route in _direct_routes(app)}
    seen = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path_format in direct:
            assert context.endpoint is direct[context.path_format]
            assert {sub.call for sub in context.dependant.dependencies} == {
                reject_unknown_query_parameters,
                current_user,
            }
            seen.add(context.path_format)
    assert seen == set(direct)


@pytest.fixture(scope="module")
def plain(database_url: str) -> Iterator[FastAPI]:
    """The same application without its direct routes: every request through FastAPI."""
    settings = Settings(
        database_url=database_url, thread_pool_size=4, embedded_worker=False, rate_limit_per_minute=1_000_000
    )
    application = create_app(settings)
    application.router.routes[:] = [r for r in application.router.routes if not isinstance(r, DirectRoute)]
    yield application
    application.state.engine.dispose()


def _without_clock(body: Any) -> Any:
    """The answer less the time it was given at (`as_of` is the moment of the request)."""
    if isinstance(body, dict):
        return {key: _without_clock(value) for key, value in body.items() if key != "as_of"}
    if isinstance(body, list):
        return [_without_clock(item) for item in body]
    return body


def _same_answer(direct: httpx.Response, through_fastapi: httpx.Response) -> None:
    assert direct.status_code == through_fastapi.status_code, (direct.text, through_fastapi.text)
    assert direct.headers["content-type"] == through_fastapi.headers["content-type"]
    ignored = {"date", "x-request-id", "ratelimit-remaining", "x-ratelimit-remaining", "content-length"}
    assert {name for name in direct.headers if name not in ignored} == {
        name for name in through_fastapi.headers if name not in ignored
    }
    assert direct.headers["x-request-id"]
    assert _without_clock(direct.json()) == _without_clock(through_fastapi.json())


def test_direct_answers_equal_fastapis(api: Api, other: Api, plain: FastAPI, engine: Engine) -> None:
    mine = api.interview()
    theirs = other.interview()
    other_key = other.headers
    cases: list[tuple[str, dict[str, str]]] = [
        (f"/v1/interviews/{mine['id']}/next-action", api.headers),
        (f"/v1/interviews/{theirs['id']}/next-action", api.headers),
        ("/v1/interviews/no-such-id/next-action", api.headers),
        (f"/v1/interviews/{theirs['id']}/next-action", other_key),
        (f"/v1/interviews/{mine['id']}/next-action", {}),
        (f"/v1/interviews/{mine['id']}/next-action", {"Authorization": "Bearer fu_nope_nope"}),
        (f"/v1/interviews/{mine['id']}/next-action", {"Authorization": "Basic " + api.headers["Authorization"][7:]}),
        (f"/v1/interviews/{mine['id']}/next-action", {"Authorization": "Bearer "}),
        (AGENDA, api.headers),
        (AGENDA, other_key),
        (AGENDA, {}),
    ]
    statuses = []
    with TestClient(plain, raise_server_exceptions=False) as through_fastapi:
        for path, headers in cases:
            direct = api.client.get(path, headers=headers)
            _same_answer(direct, through_fastapi.get(path, headers=headers))
            statuses.append(direct.status_code)
    assert statuses == [200, 404, 404, 200, 401, 401, 401, 401, 200, 200, 401]
    agenda = api.get(AGENDA).json()
    assert [item["interview"]["id"] for item in agenda["data"]] == [mine["id"]]


def test_a_direct_route_is_counted_under_its_template(api: Api) -> None:
    interview = api.interview()
    before = api.client.get("/metrics").text
    assert api.get(f"/v1/interviews/{interview['id']}/next-action").status_code == 200
    after = api.client.get("/metrics").text
    labels = {"method": "GET", "handler": NEXT_ACTION, "status": "2xx"}
    assert metric(after, "http_requests_total", **labels) - metric(before, "http_requests_total", **labels) == 1


def test_a_direct_route_keeps_the_rate_limit(database_url: str, engine: Engine) -> None:
    limited = create_app(Settings(database_url=database_url, embedded_worker=False, rate_limit_per_minute=1))
    headers = new_user(engine, "limited@example.com")
    try:
        with TestClient(limited, raise_server_exceptions=False) as client:
            first = client.get(AGENDA, headers=headers)
            second = client.get(AGENDA, headers=headers)
    finally:
        limited.state.engine.dispose()
    assert first.status_code == 200
    assert first.headers["RateLimit-Remaining"] == "0"
    assert second.status_code == 429
    assert second.headers["content-type"] == "application/problem+json"
    assert int(second.headers["Retry-After"]) >= 1


# What a direct route refuses to stand in for.


async def with_everything(request: Request, user: CurrentUser, thing_id: str, at: str | None = None) -> Response:
    return Response()


def sync_operation(request: Request) -> Response:
    return Response()


async def returns_a_dict(request: Request) -> dict[str, str]:
    return {}


async def without_the_request(user: CurrentUser) -> Response:
    return Response()


async def reads_a_header(request: Request, x_trace: Annotated[str | None, Header()] = None) -> Response:
    return Response()


async def typed_path(request: Request, thing_id: int) -> Response:
    return Response()


async def constrained_path(request: Request, thing_id: Annotated[str, Path(max_length=3)]) -> Response:
    return Response()


async def required_query(request: Request, at: Annotated[str, Query()]) -> Response:
    return Response()


def _settings() -> str:
    return "x"


async def other_dependency(request: Request, value: Annotated[str, Depends(_settings)]) -> Response:
    return Response()


def test_a_direct_route_takes_the_request_the_user_the_path_and_query_defaults() -> None:
    route = DirectRoute("/things/{thing_id}", with_everything)
    assert route.operation is with_everything


@pytest.mark.parametrize(
    ("operation", "why"),
    [
        (sync_operation, "not a coroutine"),
        (returns_a_dict, "does not return a Response"),
        (without_the_request, "does not take the request"),
        (reads_a_header, "takes more than"),
        (typed_path, "not a plain string"),
        (required_query, "is required"),
        (other_dependency, "depends on"),
    ],
)
def test_a_direct_route_refuses_an_operation_it_cannot_resolve(operation: Any, why: str) -> None:
    with pytest.raises(NotDirect, match=why):
        DirectRoute("/things/{thing_id}", operation)


def test_a_constrained_path_parameter_is_refused() -> None:
    with pytest.raises(NotDirect, match="not a plain string"):
        DirectRoute("/things/{thing_id}", constrained_path)
