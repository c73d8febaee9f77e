from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from starlette.types import Message

from app.core.columns import utcnow
from app.core.database import WRITE_OPTION
from app.idempotency import repository, service
from app.idempotency.middleware import IdempotencyMiddleware, fingerprint, read_body, replay_body
from app.idempotency.models import IdempotencyKey
from app.users.models import User
from app.worker import Worker

INTERVIEW = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
}


def post(api: Api, url: str, body: Any, key: str | None) -> httpx.Response:
    headers = api.headers | ({"Idempotency-Key": key} if key is not None else {})
    return api.client.post(url, json=body, headers=headers)


def interviews(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get("/v1/interviews").json()["data"]
    return found


def rows(engine: Engine) -> list[IdempotencyKey]:
    with Session(engine) as session:
        return list(session.exec(select(IdempotencyKey)).all())


def test_a_retry_replays_the_first_answer_and_creates_nothing(api: Api) -> None:
    first = post(api, "/v1/interviews", INTERVIEW, "key-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = post(api, "/v1/interviews", INTERVIEW, "key-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["content-type"] == "application/json"
    assert [i["id"] for i in interviews(api)] == [first.json()["id"]]


def test_the_same_key_with_another_body_is_a_422(api: Api) -> None:
    assert post(api, "/v1/interviews", INTERVIEW, "key-1").status_code == 201
    problem = assert_problem(
        post(api, "/v1/interviews", INTERVIEW | {"company": "Other"}, "key-1"), 422, ("header", "Idempotency-Key")
    )
    assert "another request body" in problem["detail"]
    assert len(interviews(api)) == 1


def test_keys_are_per_user_and_per_path(api: Api, other: Api) -> None:
    mine = post(api, "/v1/interviews", INTERVIEW, "shared")
    theirs = post(other, "/v1/interviews", INTERVIEW, "shared")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    event = post(
        api,
        f"/v1/interviews/{mine.json()['id']}/events",
        {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"},
        "shared",
    )
    assert (event.status_code, "Idempotent-Replayed" in event.headers) == (201, False)


def test_a_request_that_changed_nothing_frees_its_key(api: Api, engine: Engine) -> None:
    # A 422 and a 404 commit nothing: the key may be used again, with a corrected body.
    assert_problem(post(api, "/v1/interviews", INTERVIEW | {"role_family": "pilot"}, "fix-me"), 422)
    assert_problem(
        post(api, "/v1/interviews/nope/events", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"}, "k"), 404
    )
    assert rows(engine) == []
    assert post(api, "/v1/interviews", INTERVIEW, "fix-me").status_code == 201


def test_an_unexpected_error_frees_the_key(api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    with monkeypatch.context() as patched:
        patched.setattr("app.interviews.service.create", broken)
        assert_problem(post(api, "/v1/interviews", INTERVIEW, "k"), 500)
    assert rows(engine) == []
    assert post(api, "/v1/interviews", INTERVIEW, "k").status_code == 201


def _hold_the_key(engine: Engine, key: str, body: bytes) -> tuple[Session, service.Claim]:
    """A first request with `key` that has started (its key inserted) and not committed."""
    scope = service.Scope(user_id=_user_id(engine), key=key, method="POST", path="/v1/interviews")
    session = Session(engine, expire_on_commit=False, execution_options={WRITE_OPTION: True})
    claim = service.claim(session, scope=scope, fingerprint=fingerprint(b"", body), ttl=timedelta(hours=24))
    assert claim.outcome is service.Outcome.CLAIMED and claim.row is not None
    return session, claim


def _retry_in_a_thread(api: Api, body: bytes, key: str) -> tuple[threading.Thread, list[httpx.Response]]:
    headers = api.headers | {"Idempotency-Key": key, "content-type": "application/json"}
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(api.client.post("/v1/interviews", content=body, headers=headers))
    )
    thread.start()
    return thread, answers


def test_a_retry_while_the_first_request_runs_waits_and_replays_its_answer(api: Api, engine: Engine) -> None:
    body = json.dumps(INTERVIEW).encode()
    first, claim = _hold_the_key(engine, "busy", body)
    thread, answers = _retry_in_a_thread(api, body, "busy")
    thread.join(timeout=1.0)
    assert thread.is_alive()  # waiting for the first request
    assert claim.row is not None
    stored = b'{"id":"the first answer"}'
    service.keep_answer(
        first, row=claim.row, status_code=201, headers=[("content-type", "application/json")], body=stored
    )
    first.commit()
    first.close()
    thread.join(timeout=30)
    (answer,) = answers
    assert (answer.status_code, answer.content, answer.headers["Idempotent-Replayed"]) == (201, stored, "true")
    assert interviews(api) == []


def test_a_retry_while_the_first_request_fails_runs_once_it_has(api: Api, engine: Engine) -> None:
    body = json.dumps(INTERVIEW).encode()
    first, _claim = _hold_the_key(engine, "doomed", body)
    thread, answers = _retry_in_a_thread(api, body, "doomed")
    thread.join(timeout=1.0)
    assert thread.is_alive()
    first.rollback()
    first.close()
    thread.join(timeout=30)
    (answer,) = answers
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert len(interviews(api)) == 1


@pytest.mark.postgres
def test_a_retry_that_waited_long_for_the_first_request_is_a_409(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite bounds the wait with its busy timeout (a 503)")
    monkeypatch.setattr(service, "WAIT_FOR_FIRST", "300ms")
    body = json.dumps(INTERVIEW).encode()
    first, _claim = _hold_the_key(engine, "slow", body)
    try:
        headers = api.headers | {"Idempotency-Key": "slow", "content-type": "application/json"}
        response = api.client.post("/v1/interviews", content=body, headers=headers)
        problem = assert_problem(response, 409)
        assert "still being processed" in problem["detail"]
        assert response.headers["Retry-After"] == "1"
    finally:
        first.rollback()
        first.close()
    assert interviews(api) == []


def test_an_answer_that_could_not_be_kept_leaves_nothing_and_the_retry_runs(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patched:
        patched.setattr(service, "keep_answer", database_gone)
        assert_problem(post(api, "/v1/interviews", INTERVIEW, "k"), 503)
    assert interviews(api) == [] and rows(engine) == []
    retried = post(api, "/v1/interviews", INTERVIEW, "k")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert len(interviews(api)) == 1


def test_a_new_api_key_is_replayed_without_the_key(api: Api, engine: Engine) -> None:
    first = post(api, "/v1/api-keys", {"name": "laptop"}, "new-key")
    assert first.status_code == 201
    assert first.headers["Cache-Control"] == "no-store"
    replayed = post(api, "/v1/api-keys", {"name": "laptop"}, "new-key")
    assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")
    assert replayed.json() == {name: value for name, value in first.json().items() if name != "key"}
    assert [k["name"] for k in api.get("/v1/api-keys").json()["data"]] == ["first key", "laptop"]
    (row,) = rows(engine)
    assert row.status_code == 201 and row.response_body is not None
    assert first.json()["key"].encode() not in row.response_body + repr(row.response_headers).encode()


def test_an_integration_secret_is_replayed_without_the_secret(api: Api, engine: Engine) -> None:
    body = {"provider": "standard", "company": "Acme"}
    first = post(api, "/v1/integrations", body, "connect")
    assert (first.status_code, first.headers["Cache-Control"]) == (201, "no-store")
    replayed = post(api, "/v1/integrations", body, "connect")
    assert replayed.status_code == 201
    assert replayed.json() == {name: value for name, value in first.json().items() if name != "secret"}
    assert len(api.get("/v1/integrations").json()["data"]) == 1
    (row,) = rows(engine)
    assert row.response_body is not None and first.json()["secret"].encode() not in row.response_body


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "clé"])
def test_invalid_keys_are_a_422(api: Api, key: str) -> None:
    # Sent as raw bytes: a UTF-8 key arrives as non-ASCII bytes.
    headers = api.headers | {"Idempotency-Key": key.encode()}
    response = api.client.post("/v1/interviews", json=INTERVIEW, headers=headers)
    assert_problem(response, 422, ("header", "Idempotency-Key"))
    assert interviews(api) == []


def test_the_longest_key_is_fine(api: Api) -> None:
    assert post(api, "/v1/interviews", INTERVIEW, "k" * 255).status_code == 201


@pytest.mark.parametrize(
    "key",
    ["k", "k" * 255, "k" * 256, "", "550e8400-e29b-41d4-a716-446655440000", "a b", "~!{}", "a\tb", "clé", "\x7f"],
)
def test_the_schema_of_the_key_is_what_the_service_takes(app: FastAPI, api: Api, key: str) -> None:
    """A key the parameter's schema admits is taken; one it refuses is a 422."""
    documented = app.openapi()["components"]["parameters"]["IdempotencyKey"]["schema"]
    admitted = (
        documented["minLength"] <= len(key) <= documented["maxLength"]
        and re.fullmatch(documented["pattern"], key) is not None
    )
    headers = api.headers | {"Idempotency-Key": key.encode("latin-1")}
    response = api.client.post("/v1/interviews", json=INTERVIEW, headers=headers)
    assert response.status_code == (201 if admitted else 422), (key, response.text)


def test_without_a_valid_api_key_the_route_answers(api: Api, engine: Engine) -> None:
    for headers in ({}, {"Authorization": "Bearer fu_nope_nope"}, {"Authorization": "Basic abc"}):
        response = api.client.post("/v1/interviews", json=INTERVIEW, headers=headers | {"Idempotency-Key": "k"})
        assert_problem(response, 401)
    assert rows(engine) == []


def test_keys_expire(api: Api, engine: Engine) -> None:
    assert post(api, "/v1/interviews", INTERVIEW, "old").status_code == 201
    (row,) = rows(engine)
    assert row.expires_at - row.created_at == timedelta(hours=24)
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        assert service.purge_expired(session) == 0
        assert service.purge_expired(session, now=row.expires_at) == 1
        session.rollback()
    _expire_all(engine)
    # An expired key is a new key: another body is fine.
    assert post(api, "/v1/interviews", INTERVIEW | {"company": "Later"}, "old").status_code == 201
    assert len(interviews(api)) == 2


def test_get_and_patch_ignore_the_header(api: Api, engine: Engine) -> None:
    interview = api.interview()
    headers = api.headers | {"Idempotency-Key": "k"}
    assert api.client.get("/v1/interviews", headers=headers).status_code == 200
    assert (
        api.client.patch(f"/v1/interviews/{interview['id']}", json={"company": "B"}, headers=headers).status_code == 200
    )
    assert rows(engine) == []


def test_every_authenticated_post_documents_the_header(app: FastAPI) -> None:
    schema = app.openapi()
    assert schema["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    posts = 0
    for path_item in schema["paths"].values():
        for method, operation in path_item.items():
            documented = ref in operation.get("parameters", [])
            assert documented == (method == "post" and bool(operation.get("security"))), operation["operationId"]
            if documented:
                posts += 1
                assert "application/problem+json" in operation["responses"]["409"]["content"]
                success = next(r for status, r in operation["responses"].items() if status.startswith("2"))
                assert "Idempotent-Replayed" in success["headers"]
    assert posts >= 5


def _user_id(engine: Engine) -> str:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "me@example.com")).one()
        return user.id


def _expire_all(engine: Engine) -> None:
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        for row in session.exec(select(IdempotencyKey)).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()


def test_the_body_is_read_in_chunks_and_given_back_once() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"a": ', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def scenario() -> tuple[bytes | None, Message, Message]:
        body = await read_body(receive)
        assert body is not None
        replay = replay_body(body, receive)
        return body, await replay(), await replay()

    body, first, then = anyio.run(scenario)
    assert body == b'{"a": 1}'
    assert first == {"type": "http.request", "body": b'{"a": 1}', "more_body": False}
    assert then == {"type": "http.disconnect"}


def test_a_client_gone_before_its_body_arrived_gets_nothing_run(app: FastAPI) -> None:
    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        raise AssertionError(f"nothing to send, yet {message}")

    async def route(*_args: object) -> None:
        raise AssertionError("the route must not run")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/interviews",
        "app": app,
        "headers": [(b"idempotency-key", b"k"), (b"authorization", b"Bearer fu_a_b")],
    }
    anyio.run(IdempotencyMiddleware(route), scope, receive, send)
    assert anyio.run(read_body, receive) is None


def test_a_key_that_was_taken_a_moment_ago_is_read_back(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first requests with one key at once: Postgres makes the second insert wait for
    the first and fail on the unique key; the second then reads the first's row."""
    assert post(api, "/v1/interviews", INTERVIEW, "race").status_code == 201
    real_get = repository.get
    calls: list[int] = []

    def first_miss(session: Session, **scope: str) -> IdempotencyKey | None:
        calls.append(1)
        return None if len(calls) == 1 else real_get(session, **scope)

    monkeypatch.setattr(repository, "get", first_miss)
    scope = service.Scope(user_id=_user_id(engine), key="race", method="POST", path="/v1/interviews")
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        found = service.claim(session, scope=scope, fingerprint="other", ttl=timedelta(hours=24))
        session.rollback()
    assert (found.outcome, len(calls)) == (service.Outcome.MISMATCH, 2)


def test_the_worker_deletes_expired_keys(api: Api, app: FastAPI, engine: Engine) -> None:
    assert post(api, "/v1/interviews", INTERVIEW, "kept").status_code == 201
    assert post(api, "/v1/interviews", INTERVIEW, "old").status_code == 201
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        old = session.exec(select(IdempotencyKey).where(IdempotencyKey.key == "old")).one()
        old.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    runner = Worker(engine, app.state.settings)
    try:
        runner.run_once()
    finally:
        runner.close()
    assert [row.key for row in rows(engine)] == ["kept"]
