"""What protects the service and what it tells its operators: request ids and JSON logs,
500s without a trace, the 1 MiB body limit, the per-key rate limit, CORS, `limit`, 405s."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Api, assert_problem, new_user
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.core.limits import MAX_BODY_BYTES, RateLimiter
from app.core.observability import JsonFormatter, log_config, valid_request_id
from app.main import create_app
from app.webhooks_out.models import WebhookAttempt


def _app(database_url: str, **settings: Any) -> FastAPI:
    return create_app(
        Settings(database_url=database_url, thread_pool_size=2, embedded_worker=False, **settings)  # type: ignore[arg-type]
    )


@pytest.fixture
def make_client(database_url: str, engine: Engine) -> Iterator[Any]:
    """A client of an app built with extra settings, on the test database."""
    apps: list[FastAPI] = []

    def make(**settings: Any) -> TestClient:
        application = _app(database_url, **settings)
        apps.append(application)
        return TestClient(application, raise_server_exceptions=False).__enter__()

    yield make
    for application in apps:
        application.state.database.engine.dispose()


# Request ids and logs


def test_a_request_id_is_made_or_kept_and_always_echoed(api: Api) -> None:
    made = api.get("/v1/interviews").headers["X-Request-ID"]
    assert len(made) == 32 and made != api.get("/v1/interviews").headers["X-Request-ID"]
    kept = api.client.get("/v1/interviews", headers=api.headers | {"X-Request-ID": "trace-42 from the proxy"})
    assert kept.headers["X-Request-ID"] == "trace-42 from the proxy"
    # On errors too: a 401, a 404, a 422, a 405.
    for response in (
        api.client.get("/v1/interviews", headers={"X-Request-ID": "r-401"}),
        api.client.get("/v1/nowhere", headers={"X-Request-ID": "r-404"}),
        api.client.get("/v1/interviews?limit=0", headers=api.headers | {"X-Request-ID": "r-422"}),
        api.client.put("/v1/interviews", headers={"X-Request-ID": "r-405"}),
    ):
        assert response.headers["X-Request-ID"] == f"r-{response.status_code}"


@pytest.mark.parametrize("offered", ["x" * 129, "tab\there", "é-accent", ""])
def test_an_unfit_request_id_is_replaced(api: Api, offered: str) -> None:
    response = api.client.get("/healthz", headers={"X-Request-ID": offered.encode()})
    replaced = response.headers["X-Request-ID"]
    assert replaced != offered and valid_request_id(replaced)
    assert valid_request_id("x" * 128) and not valid_request_id("x" * 129)


def test_a_500_logs_the_trace_with_the_request_id_and_answers_the_id_only(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()

    def explode() -> None:
        raise RuntimeError("secret detail: SELECT * FROM api_keys")

    client.app.add_api_route("/boom", explode)
    with caplog.at_level(logging.INFO):
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    problem = assert_problem(response, 500)
    assert problem["request_id"] == "req-500" == response.headers["X-Request-ID"]
    assert "secret" not in response.text and "Traceback" not in response.text
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records]
    error = next(line for line in lines if line["message"] == "unhandled error")
    assert error["request_id"] == "req-500" and error["level"] == "error"
    assert "RuntimeError: secret detail" in error["exception"] and "Traceback" in error["exception"]
    access = next(line for line in lines if line["logger"] == "followup.access")
    assert (access["method"], access["path"], access["status"], access["request_id"]) == (
        "GET",
        "/boom",
        500,
        "req-500",
    )


def test_one_json_line_per_request_with_the_route_template_and_the_user(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    interview = api.interview()
    with caplog.at_level(logging.INFO, logger="followup.access"):
        api.client.get(f"/v1/interviews/{interview['id']}", headers=api.headers | {"X-Request-ID": "req-1"})
    (record,) = [r for r in caplog.records if r.name == "followup.access" and r.request_id == "req-1"]
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/v1/interviews/{interview_id}"  # no id in the log
    assert (line["method"], line["status"], line["request_id"]) == ("GET", 200, "req-1")
    assert line["user_id"] and isinstance(line["duration_ms"], float)
    assert interview["id"] not in json.dumps(line)


def test_the_log_config_sends_uvicorn_and_ours_through_the_json_formatter() -> None:
    config = log_config("warning")
    assert config["formatters"]["json"]["()"] == "app.core.observability.JsonFormatter"
    assert config["root"] == {"handlers": ["default"], "level": "WARNING"}
    for name in ("uvicorn", "uvicorn.error", "followup"):
        assert config["loggers"][name]["propagate"] is True
    assert config["loggers"]["uvicorn.access"]["propagate"] is False  # ours has the request id
    record = logging.makeLogRecord({"msg": "plain %s", "args": ("text",), "levelname": "WARNING", "name": "x"})
    assert json.loads(JsonFormatter().format(record))["message"] == "plain text"


# The body limit


def test_a_body_over_1_mib_is_413_by_its_length_or_as_it_streams(app: FastAPI, api: Api) -> None:
    padding = "x" * MAX_BODY_BYTES
    big = json.dumps({"company": padding}).encode()
    declared = api.client.post(
        "/v1/interviews", content=big, headers=api.headers | {"content-type": "application/json"}
    )
    assert_problem(declared, 413)
    # What the schema shows as the 413 of the operation is this answer.
    documented = app.openapi()["paths"]["/v1/interviews"]["post"]["responses"]["413"]
    assert declared.json() == documented["content"]["application/problem+json"]["example"]
    # Raw messages may be larger, and their operation's example says how much.
    mail = api.client.post(
        "/v1/mail/messages",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers=api.headers | {"content-type": "message/rfc822"},
    )
    documented = app.openapi()["paths"]["/v1/mail/messages"]["post"]["responses"]["413"]
    assert mail.json() == documented["content"]["application/problem+json"]["example"]
    assert "10 MiB" in mail.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"company": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    streamed = api.client.post(
        "/v1/interviews", content=chunks(), headers=api.headers | {"content-type": "application/json"}
    )
    assert_problem(streamed, 413)
    assert api.get("/v1/interviews").json()["data"] == []
    # Just under the limit is read (and judged on its merits).
    fits = json.dumps({"company": "x" * (MAX_BODY_BYTES - 20)}).encode()
    assert len(fits) <= MAX_BODY_BYTES
    response = api.client.post(
        "/v1/interviews", content=fits, headers=api.headers | {"content-type": "application/json"}
    )
    assert_problem(response, 422, ("body", "company"))


# The rate limit


def test_the_rate_limit_answers_429_with_retry_after_per_key(make_client: Any, engine: Engine) -> None:
    client = make_client(rate_limit_per_minute=3)
    first = new_user(engine, "first@example.com")
    second = new_user(engine, "second@example.com")
    answers = [client.get("/v1/interviews", headers=first) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == answers[0].headers["X-RateLimit-Limit"] == "3"
    assert 0 < int(answers[-1].headers["RateLimit-Reset"]) <= 60
    refused = client.get("/v1/interviews", headers=first)
    problem = assert_problem(refused, 429)
    assert "3 requests a minute" in problem["detail"]
    # The schema's example of a 429 is this answer, with other numbers.
    documented = client.app.openapi()["paths"]["/v1/interviews"]["get"]["responses"]["429"]
    example = documented["content"]["application/problem+json"]["example"]
    assert re.sub(r"\d+", "N", example["detail"]) == re.sub(r"\d+", "N", problem["detail"])
    assert {**example, "detail": None} == {**problem, "detail": None}
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["X-Request-ID"]
    # Another key has its own budget; requests without a valid key are not counted.
    assert client.get("/v1/interviews", headers=second).status_code == 200
    assert client.get("/v1/interviews", headers={"Authorization": "Bearer fu_x_y"}).status_code == 401


def test_without_a_rate_limit_nothing_is_counted(make_client: Any, engine: Engine) -> None:
    client = make_client(rate_limit_per_minute=0)
    headers = new_user(engine, "free@example.com")
    responses = [client.get("/v1/interviews", headers=headers) for _ in range(5)]
    assert {r.status_code for r in responses} == {200}
    assert "RateLimit-Limit" not in responses[-1].headers


def test_the_bucket_refills_at_the_rate_and_forgets_idle_keys() -> None:
    now = [1000.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        assert limiter.hit("k").allowed
    refused = limiter.hit("k")
    assert (refused.allowed, refused.retry_after_seconds, refused.reset_seconds) == (False, 1, 60)
    assert refused.headers()["Retry-After"] == "1"
    now[0] += 1.0  # one token back
    assert limiter.hit("k").allowed and not limiter.hit("k").allowed
    now[0] += RateLimiter.IDLE_SECONDS + 1
    limiter.hit("other")
    assert set(limiter.buckets) == {"other"}


# CORS


def test_cors_preflight_and_exposed_headers(make_client: Any, engine: Engine) -> None:
    client = make_client(cors_origins="https://app.example, https://admin.example")
    headers = new_user(engine, "browser@example.com")
    preflight = client.options(
        "/v1/interviews",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, x-request-id",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key", "x-request-id"} <= {
        h.strip() for h in allowed.split(",")
    }
    refused = client.options(
        "/v1/interviews", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers

    simple = client.get("/v1/interviews", headers=headers | {"Origin": "https://admin.example"})
    assert simple.headers["access-control-allow-origin"] == "https://admin.example"
    exposed = {h.strip().lower() for h in simple.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "retry-after", "x-request-id", "idempotent-replayed", "ratelimit-remaining"} <= exposed
    # A browser can read the errors too.
    too_large = client.post(
        "/v1/interviews",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers=headers | {"Origin": "https://app.example"},
    )
    assert too_large.status_code == 413 and too_large.headers["access-control-allow-origin"] == "https://app.example"


def test_cors_origins_are_read_as_a_list_or_json() -> None:
    assert Settings(cors_origins="https://a.example,https://b.example ").cors_origins == [  # type: ignore[arg-type]
        "https://a.example",
        "https://b.example",
    ]
    assert Settings(cors_origins='["https://a.example"]').cors_origins == ["https://a.example"]  # type: ignore[arg-type]
    assert Settings().cors_origins == []


def test_without_cors_origins_there_are_no_cors_headers(api: Api) -> None:
    response = api.client.get("/v1/interviews", headers=api.headers | {"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


# limit, 405, bodies that are not JSON


def test_every_list_operation_refuses_a_limit_over_200(app: FastAPI, api: Api) -> None:
    lists = [
        (path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if method == "get" and any(p["name"] == "limit" for p in operation.get("parameters", []))
    ]
    assert len(lists) >= 9
    for path, operation in lists:
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        assert limit["schema"]["maximum"] == 200, path
        url = path.format(**{p["name"]: "any" for p in operation["parameters"] if p["in"] == "path"})
        assert_problem(api.get(url, params={"limit": 201}), 422, ("query", "limit"))
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].split("/")[-1].endswith("Page"), path


def test_a_wrong_method_lists_every_allowed_one(api: Api) -> None:
    response = api.client.put("/v1/interviews/some-id", headers=api.headers)
    assert_problem(response, 405)
    assert response.headers["Allow"] == "DELETE, GET, PATCH"
    assert api.client.delete("/v1/interviews", headers=api.headers).headers["Allow"] == "GET, POST"


def test_a_body_that_is_not_utf8_is_a_422(api: Api) -> None:
    response = api.client.post(
        "/v1/interviews", content=b'{"company": "\xff"}', headers=api.headers | {"content-type": "application/json"}
    )
    assert_problem(response, 422, ("body",))


# Bounded lists inside answers


def test_an_interview_has_at_most_50_contacts(api: Api) -> None:
    contacts = [{"name": f"Person {n}", "role": "interviewer"} for n in range(50)]
    interview = api.interview(contacts=contacts)
    problem = assert_problem(
        api.post(f"/v1/interviews/{interview['id']}/contacts", {"name": "One more", "role": "other"}), 409
    )
    assert "at most 50 contacts" in problem["detail"]
    assert_problem(api.post("/v1/interviews", {**_interview_fields(), "contacts": [*contacts, contacts[0]]}), 422)
    assert len(api.get(f"/v1/interviews/{interview['id']}").json()["contacts"]) == 50


def test_a_delivery_is_retried_by_hand_until_it_has_50_attempts(api: Api, engine: Engine) -> None:
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/followup"}).json()
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    retry = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry"
    assert api.post(retry).status_code == 202
    with Session(engine) as session:
        for _ in range(50):
            session.add(WebhookAttempt(delivery_id=delivery["id"], attempted_at=datetime.now(UTC), manual=True))
        session.commit()
    assert "50 times" in assert_problem(api.post(retry), 409)["detail"]


def _interview_fields() -> dict[str, Any]:
    return {
        "company": "Acme",
        "role_title": "Backend Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
    }


def test_an_error_after_the_answer_started_is_logged_with_the_request_id(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first part"
        raise RuntimeError("the stream broke")

    client.app.add_api_route("/stream", lambda: StreamingResponse(chunks()))
    with caplog.at_level(logging.INFO):
        response = client.get("/stream", headers={"X-Request-ID": "req-stream"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "req-stream"
    error = next(r for r in caplog.records if r.getMessage() == "unhandled error")
    assert error.request_id == "req-stream"  # type: ignore[attr-defined]
    access = next(r for r in caplog.records if r.name == "followup.access" and r.request_id == "req-stream")  # type: ignore[attr-defined]
    assert access.status == 200  # type: ignore[attr-defined]
