"""Problem details (RFC 9457) for every error the service returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, field_validator
from pydantic.json_schema import JsonSchemaValue

from app.core.schemas import Public

PROBLEM_MEDIA_TYPE = "application/problem+json"
# What pydantic puts before the message of a ValueError or an AssertionError raised in a
# validator: words about Python, not about the request.
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def plain_message(msg: str) -> str:
    """A validation message as a client should read it, without pydantic's prefix."""
    for prefix in _PYDANTIC_PREFIXES:
        if msg.startswith(prefix):
            return msg.removeprefix(prefix)
    return msg


def _sent_only_when_set(*names: str) -> Callable[[JsonSchemaValue], None]:
    """Fields left out of the answer when they have no value (problems are sent with
    `exclude_none`): optional in the schema, and never null."""

    def adjust(schema: JsonSchemaValue) -> None:
        schema["required"] = [name for name in schema.get("required", []) if name not in names]
        for name in names:
            field = schema["properties"][name]
            field.pop("default", None)
            variants = [variant for variant in field.pop("anyOf", []) if variant != {"type": "null"}]
            if variants:
                (variant,) = variants
                field.update(variant)

    return adjust


class ProblemError(Public):
    """One invalid part of the request."""

    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header`, then the field's path (names and list indexes).",
        examples=[["body", "company"]],
    )
    msg: str = Field(description="What is wrong there, in a sentence.", examples=["Field required"])

    @field_validator("msg")
    @classmethod
    def _plain(cls, msg: str) -> str:
        return plain_message(msg)


class Problem(Public):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(json_schema_extra=_sent_only_when_set("detail", "errors", "request_id"))

    type: str = Field(
        default="about:blank",
        description="`about:blank`: the problem is what `status` says, explained by `title` and `detail`.",
        examples=["about:blank"],
    )
    title: str = Field(description="The HTTP status's phrase.", examples=["Not Found"])
    status: int = Field(description="The HTTP status code, the same as the response's.", examples=[404])
    detail: str | None = Field(
        default=None,
        description="What went wrong in this request and how to put it right, in a sentence or two.",
        examples=["No interview with this id."],
    )
    errors: list[ProblemError] | None = Field(
        default=None, description="On 422: each invalid part of the request (`detail` names them all in one line)."
    )
    request_id: str | None = Field(
        default=None,
        description="On unexpected errors (500): the request's `X-Request-ID`, to quote when reporting it.",
        examples=["5f0c6b1e9d2a4c3b8e7f6a5d4c3b2a19"],
    )


class AppError(Exception):
    """A domain error that carries its HTTP status; one handler renders them all."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, errors: Sequence[ProblemError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class NotFound(AppError):
    status = 404
    title = "Not Found"


class Conflict(AppError):
    status = 409
    title = "Conflict"


class InvalidInput(AppError):
    """Input that passes the schema but not the domain's checks (422, like schema errors)."""

    status = 422
    title = "Unprocessable Entity"

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str) -> InvalidInput:
        return cls(msg, [ProblemError(loc=list(loc), msg=msg)])


class UnsupportedMediaType(AppError):
    status = 415
    title = "Unsupported Media Type"


class TooManyRequests(AppError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PreconditionFailed(AppError):
    """An `If-Match` that no longer matches: someone changed the object since it was read."""

    status = 412
    title = "Precondition Failed"


class PreconditionRequired(AppError):
    status = 428
    title = "Precondition Required"


class NotModified(Exception):
    """A conditional GET whose `If-None-Match` still matches: 304, no body."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


# How long a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(AppError):
    status = 503
    title = "Service Unavailable"
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def problem_response(
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    errors: Sequence[ProblemError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def render(error: AppError) -> JSONResponse:
    """The problem response for a domain error, for a route that answers it itself
    (so that its transaction still commits) rather than raising it."""
    headers = error.headers
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after)}
    return problem_response(error.status, error.detail, title=error.title, errors=error.errors, headers=headers)


def describe(errors: Sequence[ProblemError]) -> str:
    """One line naming each invalid field: the `detail` of a validation problem."""
    return "; ".join(f"{'.'.join(str(part) for part in e.loc)}: {e.msg}" for e in errors)


SERVER_ERROR_DETAIL = "Something went wrong on our side; the request was not completed."


def server_error_problem(request_id: str | None) -> dict[str, Any]:
    """The body of a 500: what happened and the request id to quote, never the trace."""
    problem = Problem(title="Internal Server Error", status=500, detail=SERVER_ERROR_DETAIL, request_id=request_id)
    return problem.model_dump(exclude_none=True)


UNAVAILABLE_DETAIL = "The database is unavailable; retry shortly."


def unavailable_response() -> JSONResponse:
    return render(ServiceUnavailable(UNAVAILABLE_DETAIL))


def _problem(description: str, example: AppError | None = None) -> dict[str, Any]:
    # app.core.openapi moves the schema under application/problem+json when it builds the
    # OpenAPI, and gives the responses without an example one of their status.
    response: dict[str, Any] = {"description": description, "model": Problem}
    if example is not None:
        problem = Problem(title=example.title, status=example.status, detail=example.detail)
        response["content"] = {"application/json": {"example": problem.model_dump(exclude_none=True)}}
    return response


# Shared `responses=` for the routers, so every documented error is a Problem.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {401: _problem("Missing or invalid API key")}
NOT_FOUND_RESPONSES: dict[int | str, dict[str, Any]] = {404: _problem("No such object for this user")}
VALIDATION_RESPONSES: dict[int | str, dict[str, Any]] = {422: _problem("Invalid input; `errors` lists each field")}
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {409: _problem("Conflicts with the current state")}
UNAVAILABLE_RESPONSES: dict[int | str, dict[str, Any]] = {503: _problem("The database is unavailable")}
NOT_MODIFIED_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: `If-None-Match` matches the current ETag (no body)"}
}
PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: _problem("`If-Match` does not match the current ETag: the object changed; nothing was changed"),
    428: _problem("`If-Match` is required (FOLLOWUP_REQUIRE_IF_MATCH)"),
}
TOO_LARGE_RESPONSES: dict[int | str, dict[str, Any]] = {413: _problem("The request body is over 1 MiB")}
RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: _problem("Too many requests with this API key; retry after `Retry-After` seconds")
}
SIGNATURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem(
        "Missing, wrong or stale signature; nothing was stored",
        Unauthorized("The signature does not match the body."),
    )
}
