"""The ASGI application: `app.main:app`, built by `create_app()`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.cors import CORSMiddleware

from app.auth import oidc
from app.auth.cache import KeyCache
from app.auth.dependencies import SECURITY_SCHEME, SECURITY_SCHEME_NAME, current_user
from app.auth.oidc import TokenVerifier
from app.auth.router import router as api_keys_router
from app.calendar.router import router as calendar_router
from app.contacts.router import router as contacts_router
from app.core import openapi
from app.core.config import Settings, get_settings
from app.core.handlers import install_error_handlers
from app.core.limits import RATE_LIMIT_HEADERS, BodyLimitMiddleware, RateLimiter
from app.core.observability import REQUEST_ID_HEADER, HttpMetrics, RequestContextMiddleware
from app.core.problems import UNAVAILABLE_RESPONSES, ServiceUnavailable
from app.core.query import reject_impossible_path_ids, reject_unknown_query_parameters
from app.core.session import LOOKUP_THREADS, Database, SessionDep, get_session
from app.core.urls import AllowedHostsMiddleware, HostPolicy
from app.events.router import router as events_router
from app.followups.router import router as followups_router
from app.idempotency import middleware as idempotency
from app.integrations.router import router as integrations_router
from app.integrations.router import webhooks_router as ats_webhooks_router
from app.interviews.router import router as interviews_router
from app.mail.inbound import INBOUND_MAX_BYTES
from app.mail.router import INBOUND_PATH, MAIL_MESSAGES_PATH, inbound_router
from app.mail.router import router as mail_router
from app.mailboxes.router import router as mailboxes_router
from app.me.router import router as me_router
from app.policy.router import router as policy_router
from app.simulate.router import router as simulate_router
from app.webhooks_out.router import events as webhook_events
from app.webhooks_out.router import router as webhooks_router
from app.worker import EmbeddedWorker

STATIC_DIR = Path(__file__).parent / "static"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
DESCRIPTION = """\
Tells a job seeker what to do after an interview, and when: thank-you notes, status
checks, escalation to the hiring manager, or moving on.

Authenticate with an API key, `Authorization: Bearer fu_…`, or an access token of the
identity provider the service trusts (Swagger UI: **Authorize**).
Every error is an RFC 9457 problem (`application/problem+json`).
"""
# Relative: Swagger UI and clients send requests to the host that served the document,
# whatever name or port the service is reached by.
SERVERS = [{"url": "/", "description": "The host that serves this document."}]
CONTACT = {"name": "followup maintainers"}
# The project is not published under an open-source license.
LICENSE = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
TAGS = [
    {"name": "interviews", "description": "Hiring processes you are tracking."},
    {"name": "contacts", "description": "People on the hiring team of an interview."},
    {"name": "events", "description": "What happened: messages, replies, new rounds, outcomes."},
    {"name": "follow-ups", "description": "The next action per interview, the agenda, outreach checks."},
    {"name": "simulate", "description": "What-if computations that store nothing."},
    {"name": "policy", "description": "Your follow-up policy."},
    {"name": "rules", "description": "The rules the engine applies."},
    {"name": "api-keys", "description": "Your API keys."},
    {"name": "me", "description": "You: your account, all your data as one document, erasing it."},
    {"name": "integrations", "description": "Applicant-tracking systems that send what happens to an application."},
    {
        "name": "ats-webhooks",
        "description": "Where ATS deliveries arrive; the provider's signature authenticates them.",
    },
    {"name": "webhooks", "description": "Signed events pushed to your URLs: follow-ups that came due, changes."},
    {
        "name": "mail",
        "description": "Email made into events: messages you send in or forward, the inbound-mail "
        "providers that post them, and IMAP mailboxes the service reads.",
    },
    {"name": "calendar", "description": "Your follow-ups as a private calendar feed."},
    {"name": "service", "description": "Health and readiness, without authentication."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in AnyIO's thread pool (40 threads unless set here); the
        # connection pool has as many connections (app.core.session).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.thread_pool_size + LOOKUP_THREADS
        # With SQLite, reminders go out from this process (see app.worker).
        worker = EmbeddedWorker(database.engine, settings).start() if settings.runs_embedded_worker else None
        if settings.gc_freeze:
            _freeze_startup_objects()
        yield
        if worker is not None:
            worker.stop()
        database.dispose()

    app = FastAPI(
        title="followup",
        version="1.0.0",
        description=DESCRIPTION,
        servers=SERVERS,
        contact=CONTACT,
        license_info=LICENSE,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.metrics = HttpMetrics()
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.oidc = (
        TokenVerifier(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience or "",
            leeway_seconds=settings.oidc_leeway_seconds,
        )
        if settings.oidc_issuer
        else None
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
    install_error_handlers(app)
    app.add_middleware(idempotency.IdempotencyMiddleware)
    _add_middleware(app, settings)
    # The router tries routes in the order they are added, and each try costs: the
    # probes and the reads a home screen polls go first. No two operations can match the
    # same request (tests/test_api_contract.py), so the order changes no answer.
    _add_service_routes(app)
    for router in (
        followups_router,
        interviews_router,
        contacts_router,
        events_router,
        mail_router,
        inbound_router,
        mailboxes_router,
        simulate_router,
        policy_router,
        api_keys_router,
        me_router,
        integrations_router,
        ats_webhooks_router,
        webhooks_router,
        calendar_router,
    ):
        app.include_router(
            router,
            dependencies=[Depends(reject_impossible_path_ids), Depends(reject_unknown_query_parameters)],
        )
    app.webhooks.include_router(webhook_events)
    _add_docs(app, settings)
    app.add_route("/metrics", app.state.metrics.endpoint, include_in_schema=False)
    openapi.install(
        app,
        authenticate=current_user,
        scheme_name=SECURITY_SCHEME_NAME,
        scheme=SECURITY_SCHEME,
        extra=partial(_document_extras, settings=settings),
        larger_bodies=_larger_bodies(settings),
    )
    check_idempotency_contract(app)
    return app


def _document_extras(schema: dict[str, Any], *, settings: Settings) -> None:
    idempotency.document(schema)
    if settings.oidc_issuer and settings.oidc_client_id:
        oidc.document(schema, issuer=settings.oidc_issuer)


def check_idempotency_contract(app: FastAPI) -> None:
    """Refuse to build an app with an authenticated POST that does not take the request's
    unit of work: the idempotency middleware opens that unit of work and keeps the answer
    with its key in the same transaction (app.core.session.RequestUnitOfWork), so a POST
    that committed any other way would lose its idempotency without a word."""
    for route in app.routes:
        if not (isinstance(route, APIRoute) and "POST" in (route.methods or ())):
            continue
        if openapi.depends_on(route.dependant, current_user) and not openapi.depends_on(route.dependant, get_session):
            raise RuntimeError(f"POST {route.path} is authenticated but does not take the request's session")


def _freeze_startup_objects() -> None:
    """What exists once the application has started (modules, routes, schemas, models,
    pools) lives as long as the process, yet each of Python's full garbage collections
    walks all of it, a pause that every request in flight waits out. Frozen
    (`gc.freeze`), it is left out of all later collections, which then walk only what
    requests create. What is garbage already is collected first, so nothing that could be
    freed is kept."""
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


def _larger_bodies(settings: Settings) -> dict[str, int]:
    """The paths whose bodies may be larger than 1 MiB (raw email messages), and their limits."""
    return {MAIL_MESSAGES_PATH: settings.mail_max_bytes, INBOUND_PATH: INBOUND_MAX_BYTES}


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Pure ASGI middleware; the last added runs first. From the outside in: the request
    id (so that every answer, errors included, carries it and is logged with it), the Host
    check (app.core.urls; none with FOLLOWUP_PUBLIC_URL, which then makes every URL the
    service writes), CORS (so that a browser can read even a 413), then the body limit. The
    rate limit is not a middleware: it needs the verified API key (app.auth.dependencies)."""
    app.add_middleware(BodyLimitMiddleware, larger=_larger_bodies(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=ALLOWED_REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    if not settings.public_url:
        app.add_middleware(AllowedHostsMiddleware, policy=HostPolicy(settings.answered_hosts))
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)


def _add_service_routes(app: FastAPI) -> None:
    ok: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {"example": {"status": "ok"}}}}}

    @app.get("/healthz", tags=["service"], operation_id="getHealth", responses=ok)
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], operation_id="getReadiness", responses=ok | UNAVAILABLE_RESPONSES)
    def readyz(session: SessionDep) -> dict[str, str]:
        """The database answers."""
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            raise ServiceUnavailable("The database does not answer.") from None
        return {"status": "ok"}


def _add_docs(app: FastAPI, settings: Settings) -> None:
    """Swagger UI and ReDoc from files shipped with the service: no CDN, no internet. With
    FOLLOWUP_OIDC_CLIENT_ID, Swagger UI signs in with the provider (authorization code
    with PKCE: a public client, no secret in the page) and comes back to
    /docs/oauth2-redirect."""
    # Swagger UI 5 (swagger-ui-dist from the npm registry, vendored): it renders OpenAPI 3.1.
    app.mount("/static/swagger", StaticFiles(directory=STATIC_DIR / "swagger"), name="swagger")
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="static")

    sign_in = (
        {"clientId": settings.oidc_client_id, "usePkceWithAuthorizationCodeGrant": True, "scopes": "openid email"}
        if settings.oidc_issuer and settings.oidc_client_id
        else None
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="followup - Swagger UI",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH if sign_in else None,
            init_oauth=sign_in,
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="followup - ReDoc",
            redoc_js_url="/static/app/redoc.standalone.js",
            redoc_favicon_url="/static/swagger/favicon-32x32.png",
            with_google_fonts=False,
        )


app = create_app()

__all__ = ["app", "create_app"]
