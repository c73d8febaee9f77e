"""The ASGI application: `app.main:app`, built by `create_app()`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.cors import CORSMiddleware

from app.auth.cache import KeyCache
from app.auth.dependencies import SECURITY_SCHEME, SECURITY_SCHEME_NAME, current_user
from app.auth.router import router as api_keys_router
from app.calendar.router import router as calendar_router
from app.config import Settings, get_settings
from app.contacts.router import router as contacts_router
from app.db import LoopReads, create_db_engine, run_db
from app.errors import (
    PROBLEM_MEDIA_TYPE,
    RATE_LIMITED_RESPONSES,
    TOO_LARGE_RESPONSES,
    UNAVAILABLE_RESPONSES,
    VALIDATION_RESPONSES,
    ServiceUnavailable,
    install_error_handlers,
)
from app.events.router import router as events_router
from app.followups.router import get_next_action, list_follow_ups
from app.followups.router import router as followups_router
from app.idempotency import middleware as idempotency
from app.integrations.router import router as integrations_router
from app.integrations.router import webhooks_router as ats_webhooks_router
from app.interviews.router import router as interviews_router
from app.limits import RATE_LIMIT_HEADERS, BodyLimitMiddleware, RateLimiter
from app.observability import REQUEST_ID_HEADER, HttpMetrics, RequestContextMiddleware
from app.policy.router import router as policy_router
from app.query import reject_unknown_query_parameters
from app.routing import direct_routes
from app.simulate.router import router as simulate_router
from app.webhooks_out.router import events as webhook_events
from app.webhooks_out.router import router as webhooks_router
from app.worker import EmbeddedWorker

STATIC_DIR = Path(__file__).parent / "static"
DESCRIPTION = """\
Tells a job seeker what to do after an interview, and when: thank-you notes, status
checks, escalation to the hiring manager, or moving on.

Authenticate with an API key: `Authorization: Bearer fu_…` (Swagger UI: **Authorize**).
Every error is an RFC 9457 problem (`application/problem+json`).
"""
TAGS = [
    {"name": "interviews", "description": "Hiring processes you are tracking."},
    {"name": "contacts", "description": "People on the hiring team of an interview."},
    {"name": "events", "description": "What happened: messages, replies, new rounds, outcomes."},
    {"name": "follow-ups", "description": "The next action per interview, the agenda, outreach checks."},
    {"name": "simulate", "description": "What-if computations that store nothing."},
    {"name": "policy", "description": "Your follow-up policy."},
    {"name": "rules", "description": "The rules the engine applies."},
    {"name": "api-keys", "description": "Your API keys."},
    {"name": "integrations", "description": "Applicant-tracking systems that send what happens to an application."},
    {
        "name": "ats-webhooks",
        "description": "Where ATS deliveries arrive; the provider's signature authenticates them.",
    },
    {"name": "webhooks", "description": "Signed events pushed to your URLs: follow-ups that came due, changes."},
    {"name": "calendar", "description": "Your follow-ups as a private calendar feed."},
    {"name": "service", "description": "Health and readiness, without authentication."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = create_db_engine(settings)
    loop_reads = LoopReads(settings, engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in AnyIO's thread pool (40 threads unless set here). The
        # connection pool has as many connections, and app.db.session_slots lets no more
        # requests than that hold one, so a thread never waits for a connection.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.thread_pool_size
        # With SQLite, reminders go out from this process (see app.worker).
        worker = EmbeddedWorker(engine, settings).start() if settings.runs_embedded_worker else None
        await loop_reads.start()
        if settings.gc_freeze:
            _freeze_startup_objects()
        yield
        if worker is not None:
            worker.stop()
        await loop_reads.stop()
        engine.dispose()

    app = FastAPI(
        title="followup",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.loop_reads = loop_reads
    app.state.settings = settings
    app.state.metrics = HttpMetrics()
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
    install_error_handlers(app)
    app.add_middleware(idempotency.IdempotencyMiddleware)
    _add_middleware(app, settings)
    # The router tries routes in the order they are added, and each try costs: the
    # probes and the reads a home screen polls go first. No two operations can match the
    # same request (tests/test_api_contract.py), so the order changes no answer.
    _add_service_routes(app)
    # A plain GET of these (no query string) skips FastAPI's request handling: app.routing.
    app.router.routes.extend(direct_routes(followups_router, get_next_action, list_follow_ups))
    for router in (
        followups_router,
        interviews_router,
        contacts_router,
        events_router,
        simulate_router,
        policy_router,
        api_keys_router,
        integrations_router,
        ats_webhooks_router,
        webhooks_router,
        calendar_router,
    ):
        app.include_router(router, dependencies=[Depends(reject_unknown_query_parameters)])
    app.webhooks.include_router(webhook_events)
    _add_docs(app)
    app.add_route("/metrics", app.state.metrics.endpoint, include_in_schema=False)
    _document_problems(app)
    return app


def _freeze_startup_objects() -> None:
    """What exists once the application has started (modules, routes, schemas, models,
    pools) lives as long as the process, yet each of Python's full garbage collections
    walks all of it: 64 ms for this application, a pause that every request in flight
    waits out (it was the p99 of docs/benchmarks.md). Frozen (`gc.freeze`), it is left out
    of all later collections, which then walk only what requests create. What is garbage
    already is collected first, so nothing that could be freed is kept."""
    gc.collect()
    gc.freeze()


# Response headers a browser script may read (CORS hides all others).
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    REQUEST_ID_HEADER,
    "Idempotent-Replayed",
    *RATE_LIMIT_HEADERS,
]
ALLOWED_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    REQUEST_ID_HEADER,
]


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Pure ASGI middleware; the last added runs first. From the outside in: the request
    id (so that every answer, errors included, carries it and is logged with it), CORS (so
    that a browser can read even a 413), then the body limit. The rate limit is not a
    middleware: it needs the verified API key (app.auth.dependencies)."""
    app.add_middleware(BodyLimitMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=ALLOWED_REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)


def _add_service_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["service"], operation_id="getHealth")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], operation_id="getReadiness", responses=UNAVAILABLE_RESPONSES)
    async def readyz(request: Request) -> dict[str, str]:
        """The database answers."""

        def ping() -> None:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await run_db(request.app, ping)
        except SQLAlchemyError:
            raise ServiceUnavailable("The database does not answer.") from None
        return {"status": "ok"}


def _add_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from files shipped with the service: no CDN, no internet."""
    # Swagger UI 5 (swagger-ui-dist from the npm registry, vendored): it renders OpenAPI 3.1.
    app.mount("/static/swagger", StaticFiles(directory=STATIC_DIR / "swagger"), name="swagger")
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="followup - Swagger UI",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="followup - ReDoc",
            redoc_js_url="/static/app/redoc.standalone.js",
            redoc_favicon_url="/static/swagger/favicon-32x32.png",
            with_google_fonts=False,
        )


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


def _authenticates(dependant: Dependant) -> bool:
    return any(sub.call is current_user or _authenticates(sub) for sub in dependant.dependencies)


def _document_security(app: FastAPI, schema: dict[str, Any]) -> None:
    """The API key scheme, and the operations that take it: those that depend on
    `current_user` (which reads the header itself, see app.auth.dependencies). Placed
    where FastAPI places a security dependency's, after the operationId."""
    schema["components"]["securitySchemes"] = {SECURITY_SCHEME_NAME: SECURITY_SCHEME}
    # Routes as FastAPI documents them: those of included routers with their prefix and
    # the router's dependencies.
    for route in iter_route_contexts(app.routes):
        if not (
            isinstance(route.original_route, APIRoute) and route.include_in_schema and _authenticates(route.dependant)
        ):
            continue
        path_item = schema["paths"][route.path_format]
        for method in route.methods or ():
            operation = path_item[method.lower()]
            at = list(operation).index("operationId") + 1
            items = list(operation.items())
            path_item[method.lower()] = dict(items[:at] + [("security", [{SECURITY_SCHEME_NAME: []}])] + items[at:])


def _document_problems(app: FastAPI) -> None:
    """Serve problem responses under `application/problem+json` in the schema, document
    the API key, the 500 problem on every operation, 413 where a body is sent, 429 where
    an API key is, and the headers every answer carries."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        _document_security(app, schema)
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        schema["components"]["headers"] = HEADER_DOCS
        extra: dict[int | str, dict[str, Any]] = TOO_LARGE_RESPONSES | RATE_LIMITED_RESPONSES
        for path, path_item in schema["paths"].items():
            for operation in path_item.values():
                responses = operation["responses"]
                authenticated = bool(operation.get("security"))
                if "requestBody" in operation:
                    responses.setdefault("413", {"description": extra[413]["description"]})
                if path.startswith("/v1/") and "422" not in responses:
                    # Every /v1 operation refuses unknown query parameters (app.query).
                    responses["422"] = {
                        "description": VALIDATION_RESPONSES[422]["description"],
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                    }
                if authenticated:
                    responses.setdefault("429", {"description": extra[429]["description"]})
                    responses["429"]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                    responses["429"]["headers"] = {"Retry-After": _header_ref("Retry-After")}
                if "413" in responses:
                    responses["413"]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                for response in responses.values():
                    content = response.get("content", {})
                    if content.get("application/json", {}).get("schema") == problem_ref:
                        content[PROBLEM_MEDIA_TYPE] = {"schema": problem_ref}
                        del content["application/json"]
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
        idempotency.document(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app()

__all__ = ["app", "create_app"]
