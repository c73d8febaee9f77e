"""Request ids, structured JSON logs, Prometheus metrics and the last line of defence
against unhandled errors.

`RequestContextMiddleware` is the outermost middleware: it gives every request an id
(`X-Request-ID`, accepted from the client when it is sane, generated otherwise), echoes it
on every response, adds the rate-limit headers the authentication dependency left in the
scope, logs one JSON line per request, counts it in the Prometheus metrics served at
`/metrics`, and turns an exception that escaped everything else into a 500 problem
carrying the request id (the trace goes to the log only).

The metrics are labelled with the route's path template, which the router leaves in the
scope once it has chosen the route: nothing matches the path a second time (a generic
instrumentation middleware, which runs before routing, has to scan the route table again
on every request, which with this application's nested routers costs more than a small
endpoint's whole answer).
"""

from __future__ import annotations

import itertools
import json
import logging
import logging.config
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import server_error_problem

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")
MAX_REQUEST_ID_LENGTH = 128
# Scope keys the inner layers fill in: the user for the request line, and response headers
# (ASGI headers: lower-case bytes) for every answer.
USER_ID_SCOPE_KEY = "followup.user_id"
RESPONSE_HEADERS_SCOPE_KEY = "followup.response_headers"

request_id_var: ContextVar[str | None] = ContextVar("followup_request_id", default=None)
access_logger = logging.getLogger("followup.access")
error_logger = logging.getLogger("followup")

# The JSON lines carry no thread or process names: spare every record looking them up
# (one record per request).
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False

# The attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def valid_request_id(value: str | None) -> bool:
    """A client's request id is kept when it is 1 to 128 printable ASCII characters, so it
    can go into logs and headers as it is."""
    return value is not None and 0 < len(value) <= MAX_REQUEST_ID_LENGTH and value.isascii() and value.isprintable()


# Request ids made here: 32 hex digits, a random half per process and a counter, unique
# without asking the kernel for random bytes on every request as uuid4 does.
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def current_request_id() -> str | None:
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id when the
    record was made while serving a request, every `extra=` field, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and not key.startswith("color_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_config(level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` that sends our loggers and uvicorn's through the JSON
    formatter to stderr. Uvicorn's own access log is off: `followup.access` has a richer line."""
    level = level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.core.observability.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "followup": {"handlers": [], "level": level, "propagate": True},
        },
    }


def configure_logging(level: str = "info") -> None:
    logging.config.dictConfig(log_config(level))


def _path_template(scope: Scope) -> str:
    """The route's path template (`/v1/interviews/{interview_id}`), so that ids and the
    calendar token stay out of the log; the raw path, shortened, when nothing matched."""
    path = _route_template(scope)
    if path is not None:
        return path
    raw: str = scope.get("path", "")
    return raw[:200]


# The names and labels of prometheus-fastapi-instrumentator's defaults, so that the usual
# dashboards work unchanged.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0)


class HttpMetrics:
    """Request counts and durations per method, route template and status class, in a
    registry of the application's own (tests build many applications in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Requests answered, by method, route template and status class.",
            ("method", "handler", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer, by method and route template.",
            ("method", "handler"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, handler: str, status: int | None, seconds: float) -> None:
        # The labelled series, looked up once per label set: `labels()` validates and locks
        # on every call. The series are kept as long as the registry keeps them.
        key = (method, handler, f"{(status or 500) // 100}xx")
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (self.requests.labels(*key), self.duration.labels(method, handler))
        series[0].inc()
        series[1].observe(seconds)

    def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _route_template(scope: Scope) -> str | None:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else None


def _server_error_body(request_id: str) -> bytes:
    return json.dumps(server_error_problem(request_id), separators=(",", ":")).encode()


class RequestContextMiddleware:
    """Pure ASGI, outermost: request id, response headers, the request line, metrics, 500s."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                offered = value.decode("latin-1")
                break
        request_id = offered if offered is not None and valid_request_id(offered) else new_request_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: int | None = None
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                # One pass over the headers: ours replaces a request id set inside, the
                # rate-limit headers do not replace any set inside (a 429's own).
                raw = [(name, value) for name, value in message.get("headers", ()) if name.lower() != _REQUEST_ID_RAW]
                raw.append((_REQUEST_ID_RAW, request_id.encode("latin-1")))
                extra: list[tuple[bytes, bytes]] | None = scope.get(RESPONSE_HEADERS_SCOPE_KEY)
                if extra:
                    present = {name.lower() for name, _ in raw}
                    raw.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            # Everything below answered problems for the errors it knows; this is a bug.
            error_logger.error("unhandled error", exc_info=error, extra={"request_id": request_id})
            if not response_started:
                body = _server_error_body(request_id)
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"]
            if self.metrics is not None:
                self.metrics.observe(method, _route_template(scope) or "none", status, seconds)
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "method": method,
                        "path": _path_template(scope),
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "user_id": scope.get(USER_ID_SCOPE_KEY),
                        "request_id": request_id,
                    },
                )
            request_id_var.reset(token)
