"""Idempotency is a contract of every authenticated POST, whatever the route does: the
schema's list of such operations is walked, each is sent twice with one key, and the
second never runs the work again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Api
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth.dependencies import CurrentUser
from app.core.config import Settings
from app.core.etags import SECRET_FIELDS
from app.core.session import SessionDep
from app.main import check_idempotency_contract, create_app
from app.models import metadata


def authenticated_posts(app: FastAPI) -> set[str]:
    schema = app.openapi()
    return {
        item["post"]["operationId"]
        for item in schema["paths"].values()
        if "post" in item and item["post"].get("security")
    }


def requests(api: Api) -> dict[str, tuple[str, Any]]:
    """A valid request for each authenticated POST, on objects made for it."""
    interview = api.interview()
    interview_id, ana = interview["id"], interview["contacts"][0]["id"]
    integration = api.post("/v1/integrations", {"provider": "standard", "company": "Acme"}).json()
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/followup"}).json()
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    unmatched = api.client.post(
        "/v1/mail/messages", content=raw_message("<unmatched@elsewhere.example>"), headers=api.headers | RFC822
    ).json()
    return {
        "createInterview": ("/v1/interviews", {k: v for k, v in interview.items() if k in INTERVIEW_FIELDS}),
        "createContact": (f"/v1/interviews/{interview_id}/contacts", {"name": "Carol", "role": "recruiter"}),
        "createEvent": (
            f"/v1/interviews/{interview_id}/events",
            {"type": "thank_you_sent", "occurred_at": "2026-03-02T15:00:00-05:00", "contact_id": ana},
        ),
        "checkOutreach": (
            f"/v1/interviews/{interview_id}/outreach-check",
            {"contact_id": ana, "type": "thank_you_sent", "at": "2026-03-02T15:00:00-05:00"},
        ),
        "simulateNextAction": (
            "/v1/simulate",
            {
                "interview": {k: v for k, v in interview.items() if k in SIMULATED_FIELDS},
                "contacts": [{"id": "ana", "name": "Ana", "role": "recruiter", "is_primary": True}],
                "events": [],
                "at": "2026-03-02T12:00:00Z",
            },
        ),
        "createApiKey": ("/v1/api-keys", {"name": "laptop"}),
        "createIntegration": ("/v1/integrations", {"provider": "standard", "company": "Globex"}),
        "rotateIntegrationSecret": (f"/v1/integrations/{integration['id']}/rotate-secret", None),
        "createWebhookEndpoint": ("/v1/webhook-endpoints", {"url": "https://hooks.example.com/other"}),
        "rotateWebhookEndpointSecret": (f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", None),
        "retryWebhookDelivery": (f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry", None),
        "testWebhookEndpoint": (f"/v1/webhook-endpoints/{endpoint['id']}/test", None),
        "rotateCalendar": ("/v1/calendar/rotate", None),
        "postMailMessage": ("/v1/mail/messages", raw_message("<reply@acme.example>")),
        "rotateForwardingAddress": ("/v1/mail/settings/rotate-forwarding-address", None),
        "assignMailMessage": (f"/v1/mail/messages/{unmatched['id']}/assign", {"interview_id": interview_id}),
    }


RFC822 = {"Content-Type": "message/rfc822"}


def raw_message(message_id: str) -> bytes:
    """A reply from an address no interview knows (so that it stays unmatched)."""
    return (
        f"From: Kai <kai@elsewhere.example>\r\nTo: me@example.com\r\nSubject: Hello\r\n"
        f"Date: Tue, 03 Mar 2026 09:12:00 -0500\r\nMessage-ID: {message_id}\r\n\r\nHello.\r\n"
    ).encode()


INTERVIEW_FIELDS = {"company", "role_title", "role_family", "interview_at", "timezone"}
SIMULATED_FIELDS = INTERVIEW_FIELDS


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "idempotency_keys"
        }


def test_every_authenticated_post_runs_once_per_key(
    api: Api, app: FastAPI, engine: Engine, mailbox_requests: Callable[[Api], dict[str, tuple[str, Any]]]
) -> None:
    prepared = requests(api) | mailbox_requests(api)
    assert set(prepared) == authenticated_posts(app), "a new POST needs a request here"
    for operation, (url, body) in prepared.items():
        headers = api.headers | {"Idempotency-Key": str(uuid.uuid4())}
        # A raw message goes as it is; every other body as JSON.
        sent: dict[str, Any] = {"content": body, "headers": headers | RFC822} if isinstance(body, bytes) else {}
        sent = sent or {"json": body, "headers": headers}
        first = api.client.post(url, **sent)
        assert 200 <= first.status_code < 300, (operation, first.text)
        written = row_counts(engine)
        second = api.client.post(url, **sent)
        assert row_counts(engine) == written, operation  # the work did not run again
        assert second.headers.get("idempotent-replayed") == "true", (operation, second.text)
        assert second.status_code == first.status_code, operation
        if first.headers.get("cache-control") == "no-store":
            # A secret shown once is replayed without the secret.
            expected = {name: value for name, value in first.json().items() if name not in SECRET_FIELDS}
            assert second.json() == expected != first.json(), operation
        else:
            assert second.content == first.content, operation


def test_an_authenticated_post_without_the_unit_of_work_is_refused(tmp_path: Any) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/refused.db", embedded_worker=False))
    contract: Callable[[FastAPI], None] = check_idempotency_contract
    contract(app)  # the service's own routes keep it

    @app.post("/v1/elsewhere")
    def commits_elsewhere(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    with pytest.raises(RuntimeError, match="POST /v1/elsewhere"):
        contract(app)

    @app.post("/v1/in-the-unit-of-work")
    def takes_the_session(user: CurrentUser, session: SessionDep) -> dict[str, str]:
        return {"id": user.id}

    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/v1/elsewhere"]
    contract(app)
    app.state.database.dispose()
