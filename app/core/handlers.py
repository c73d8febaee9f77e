"""The exception handlers: every error a request can meet is answered as an RFC 9457
problem (app.core.problems)."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.database import database_unavailable
from app.core.json_input import JsonInputError, invalid_json
from app.core.observability import current_request_id
from app.core.problems import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    Conflict,
    NotModified,
    ProblemError,
    describe,
    problem_response,
    render,
    server_error_problem,
    unavailable_response,
)

logger = logging.getLogger("followup")
CHANGED_MEANWHILE = "What this request relies on was changed or removed meanwhile; read it again and retry."


def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return render(exc)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if isinstance(exc.__cause__, JsonInputError):
        # FastAPI knows the body is not JSON it accepts; the parser knows where and why.
        errors = [ProblemError(loc=["body", *exc.__cause__.loc], msg=exc.__cause__.reason)]
    elif isinstance(exc.__cause__, json.JSONDecodeError):
        # A route that reads JSON without app.core.json_input: FastAPI's own message gives
        # a position in bytes as if it were a field.
        errors = [ProblemError(loc=["body"], msg=invalid_json(exc.__cause__))]
    else:
        # ProblemError drops pydantic's "Value error, " before a validator's message.
        errors = [ProblemError(loc=list(error["loc"]), msg=error["msg"]) for error in exc.errors()]
    return problem_response(422, describe(errors), errors=errors)


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to: a path is served by one route per method, and
    the route that refused the request knows only its own."""
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's answer to a JSON body that is not UTF-8; invalid JSON is a 422 here.
        error = ProblemError(loc=["body"], msg="The body is not valid JSON: it must be UTF-8.")
        return problem_response(422, describe([error]), errors=[error])
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        headers = (headers or {}) | {"Allow": _allowed_methods(request)}
    return problem_response(exc.status_code, detail, headers=headers)


def _not_modified(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers={"ETag": exc.etag})


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # Anywhere in a request (authentication, the route, the commit): an unreachable or
    # overloaded database is a 503 the client may retry. A constraint that fails at the
    # commit means another request (or process) changed what this one relied on meanwhile,
    # as when a user is erased while another process still remembers their key: a 409 the
    # client can act on. Any other SQL error is a bug.
    if database_unavailable(exc):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return unavailable_response()
    if isinstance(exc, IntegrityError):
        logger.warning("constraint failed: %s", type(exc.orig).__name__, extra={"request_id": current_request_id()})
        return render(Conflict(CHANGED_MEANWHILE))
    return _unexpected_error(request, exc)


def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log (with the request id), never to the client: it could carry
    # SQL or data.
    request_id = current_request_id()
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return JSONResponse(server_error_problem(request_id), status_code=500, media_type=PROBLEM_MEDIA_TYPE)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(NotModified, _not_modified)
    app.add_exception_handler(Exception, _unexpected_error)
