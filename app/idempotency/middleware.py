"""`Idempotency-Key` for every authenticated POST, as a pure ASGI middleware: routes added
later get it without doing anything.

A POST that carries the header and a valid API key is scoped to (user, method, path,
key). The middleware opens the request's unit of work itself (app.core.session
.RequestUnitOfWork): the key is inserted at its start, and the answer is written with it
just before the commit, so the work and its answer are committed together or not at all.
The same key with the same body replays that answer (`Idempotent-Replayed: true`; an
answer that held a secret shown once is replayed without the secret); with another body it
is a 422. A duplicate sent while the first request runs waits for it, then replays its
answer, or runs if the first changed nothing (an error); after waiting 10 seconds it is a
409.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.dependencies import bearer_key, verified
from app.core.database import database_unavailable
from app.core.etags import SECRET_FIELDS
from app.core.problems import Problem, ProblemError, ServiceUnavailable, problem_response, render, unavailable_response
from app.core.session import Database, RequestUnitOfWork
from app.idempotency import service
from app.idempotency.models import IdempotencyKey
from app.idempotency.service import Claim, Outcome

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII; spaces only inside, as the header's value is read without those around it.
KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
STILL_RUNNING = f"A request with this {HEADER} is still being processed; retry once it has finished."
# The response headers a replay repeats; the others describe the original exchange.
KEPT_HEADERS = frozenset({"content-type", "etag", "location", "link"})
PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "A unique value (a UUID) that makes a retry safe: the same key with the same body within "
        "24 hours replays the first answer (with `Idempotent-Replayed: true`) and creates nothing, "
        "even when the first answer was lost to a crash or a dropped connection; a secret shown once "
        "(an API key, a signing secret) is left out of the replay. With another body it is a 422. "
        "A retry sent while the first request runs waits for it (a 409 after 10 seconds). A request "
        "that failed keeps nothing, so its retry runs. Keys are per user, method and path; at most "
        "255 characters."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
}


def fingerprint(query_string: bytes, body: bytes) -> str:
    """What must be the same for a retry: the query string and the body, byte for byte."""
    return hashlib.sha256(query_string + b"\n" + body).hexdigest()


def _valid_key(key: str) -> bool:
    """What the parameter's schema says, checked on the value without surrounding spaces."""
    return len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key) is not None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        key = headers.get(HEADER.lower())
        if key is None:
            await self.app(scope, receive, send)
            return
        key = key.strip()
        if not _valid_key(key):
            message = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
            await problem_response(422, message, errors=[ProblemError(loc=["header", HEADER], msg=message)])(
                scope, receive, send
            )
            return
        app: FastAPI = scope["app"]
        body = await read_body(receive)
        if body is None:
            return  # nobody to answer
        api_key = bearer_key(headers.get("authorization"))
        try:
            found_key = await verified(app, api_key) if api_key is not None else None
        except ServiceUnavailable as busy:
            await render(busy)(scope, receive, send)
            return
        except SQLAlchemyError as error:
            if not database_unavailable(error):
                raise
            await unavailable_response()(scope, receive, send)
            return
        if found_key is None:
            # No valid API key: the route answers 401 (or authenticates otherwise).
            await self.app(scope, replay_body(body, receive), send)
            return
        request_scope = service.Scope(user_id=found_key.user.id, key=key, method="POST", path=scope["path"])
        digest = fingerprint(scope.get("query_string", b""), body)
        ttl = timedelta(hours=app.state.settings.idempotency_key_hours)
        database: Database = app.state.database
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(database.slot())
            except ServiceUnavailable as busy:
                await render(busy)(scope, receive, send)
                return
            await _claim_and_run(self.app, database, request_scope, digest, ttl, scope, body, receive, send)


async def _claim_and_run(
    app: ASGIApp,
    database: Database,
    request_scope: service.Scope,
    digest: str,
    ttl: timedelta,
    scope: Scope,
    body: bytes,
    receive: Receive,
    send: Send,
) -> None:
    work = RequestUnitOfWork(database)
    try:
        found = await work.run(partial(service.claim, scope=request_scope, fingerprint=digest, ttl=ttl))
    except BaseException as error:
        await work.rollback()
        if isinstance(error, SQLAlchemyError) and database_unavailable(error):
            await unavailable_response()(scope, receive, send)
            return
        raise
    if found.outcome is not Outcome.CLAIMED:
        answer = _answer_without_running(found)  # read before the rollback expires the row
        await work.rollback()
        await answer(scope, receive, send)
        return
    assert found.row is not None
    await _run(app, work, found.row, scope, replay_body(body, receive), send)


async def _run(
    app: ASGIApp, work: RequestUnitOfWork, row: IdempotencyKey, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run the request in `work`, then keep its answer with the key and commit both, before
    the answer leaves: a client that gets the answer can rely on a retry replaying it."""
    work.adopt(scope)
    start: Message | None = None
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        else:  # pragma: no cover - trailers and the like, which this app never sends
            await send(message)

    try:
        await app(scope, receive, capture)
    except BaseException:
        await work.rollback()
        raise
    assert start is not None
    body = b"".join(chunks)
    if work.failed:
        # The route raised and its answer is a problem: nothing was done, nothing is kept,
        # and a retry runs again.
        await work.rollback()
    else:
        response_headers = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in start.get("headers", [])]
        kept = [(name, value) for name, value in response_headers if name in KEPT_HEADERS]
        secret = any(name == "cache-control" and "no-store" in value for name, value in response_headers)
        stored = service.without_secrets(body, SECRET_FIELDS) if secret else body
        try:
            await work.run(
                partial(service.keep_answer, row=row, status_code=start["status"], headers=kept, body=stored)
            )
            await work.commit()
        except SQLAlchemyError as error:
            await work.rollback()
            if not database_unavailable(error):
                raise
            # Neither the work nor the key was committed: the client may retry.
            await unavailable_response()(scope, receive, send)
            return
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _answer_without_running(found: Claim) -> Response:
    loc: list[str | int] = ["header", HEADER]
    if found.outcome is Outcome.REPLAY:
        assert found.row is not None and found.row.status_code is not None
        headers = dict(found.row.response_headers or [])
        headers[REPLAYED_HEADER] = "true"
        response = Response(found.row.response_body, status_code=found.row.status_code, headers=headers)
    elif found.outcome is Outcome.MISMATCH:
        message = f"This {HEADER} was used with another request body; use a new key for a new request."
        response = problem_response(422, message, errors=[ProblemError(loc=loc, msg=message)])
    else:
        response = problem_response(409, STILL_RUNNING, headers={"Retry-After": "1"})
    return response


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body read already, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _still_running_example() -> dict[str, Any]:
    problem = Problem(title="Conflict", status=409, detail=STILL_RUNNING)
    return problem.model_dump(exclude_none=True)


def document(schema: dict[str, Any]) -> None:
    """Add the `Idempotency-Key` header, the replay header and the 409 to every
    authenticated POST of the OpenAPI schema."""
    schema.setdefault("components", {}).setdefault("parameters", {})["IdempotencyKey"] = PARAMETER
    for path_item in schema["paths"].values():
        operation = path_item.get("post")
        if operation is None or not operation.get("security"):
            continue
        operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
        responses = operation["responses"]
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})[REPLAYED_HEADER] = {
                    "description": "`true` when this is the stored answer to an earlier request with the same key.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
        conflict = responses.setdefault("409", {"description": "", "content": {}})
        note = "A request with the same `Idempotency-Key` is still running (retry after `Retry-After`)"
        conflict["description"] = f"{conflict['description']}; or: {note}" if conflict["description"] else note
        # An operation whose own 409 is documented keeps the example of that one.
        conflict["content"].setdefault(
            "application/problem+json",
            {"schema": {"$ref": "#/components/schemas/Problem"}, "example": _still_running_example()},
        )
