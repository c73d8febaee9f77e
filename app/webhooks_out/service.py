"""Webhook endpoints: create, list, read, change, delete, rotate the secret; their deliveries,
retries by hand and test events."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from app.core.columns import utcnow
from app.core.config import Settings
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, InvalidInput, NotFound
from app.integrations import service as integration_service
from app.users.models import User
from app.webhooks_out import outbox, repository
from app.webhooks_out.delivery import disable
from app.webhooks_out.models import (
    AttemptState,
    DeliveryStatus,
    DisabledReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhooks_out.schemas import (
    TEST_EVENT,
    AttemptPublic,
    AttemptStatus,
    EndpointCreate,
    EndpointPublic,
    EndpointUpdate,
    EndpointWithSecret,
    TestEventData,
    WebhookDeliveryPublic,
    WebhookMessage,
)
from app.webhooks_out.ssrf import UnsafeUrl, check_url


def _checked_url(url: str, settings: Settings) -> str:
    try:
        return check_url(url, allow_private=settings.webhooks_allow_private)
    except UnsafeUrl as error:
        raise InvalidInput.at(["body", "url"], str(error)) from None


def _require(session: Session, *, user: User, endpoint_id: str, for_update: bool = False) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, user_id=user.id, endpoint_id=endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound("No webhook endpoint with this id.")
    return endpoint


def _with_secret(endpoint: WebhookEndpoint) -> EndpointWithSecret:
    return EndpointWithSecret(**EndpointPublic.model_validate(endpoint).model_dump(), secret=endpoint.secret)


def create(session: Session, *, user: User, body: EndpointCreate, settings: Settings) -> EndpointWithSecret:
    endpoint = WebhookEndpoint(
        user_id=user.id,
        url=_checked_url(body.url, settings),
        events=list(body.events),
        description=body.description,
        secret=integration_service.new_standard_secret(),
    )
    repository.add(session, row=endpoint)
    return _with_secret(endpoint)


def list_page(
    session: Session, *, user: User, limit: int, cursor: str | None
) -> tuple[list[EndpointPublic], str | None]:
    start_after = None
    if cursor is not None:
        created_at, endpoint_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, endpoint_id)
    rows = repository.list_endpoints_page(session, user_id=user.id, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    return [EndpointPublic.model_validate(row) for row in kept], next_cursor


def get(session: Session, *, user: User, endpoint_id: str) -> EndpointPublic:
    return EndpointPublic.model_validate(_require(session, user=user, endpoint_id=endpoint_id))


def update(
    session: Session, *, user: User, endpoint_id: str, body: EndpointUpdate, settings: Settings
) -> EndpointPublic:
    endpoint = _require(session, user=user, endpoint_id=endpoint_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    now = utcnow()
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"], settings)
    if "events" in changes:
        endpoint.events = list(changes["events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
    elif changes.get("enabled") is False and endpoint.enabled:
        disable(session, endpoint=endpoint, reason=DisabledReason.MANUAL, now=now)
    endpoint.updated_at = now
    repository.add(session, row=endpoint)
    return EndpointPublic.model_validate(endpoint)


def delete(session: Session, *, user: User, endpoint_id: str) -> None:
    """Delete the endpoint with its deliveries; nothing more is sent to it."""
    repository.delete_endpoint(session, endpoint=_require(session, user=user, endpoint_id=endpoint_id, for_update=True))


def rotate_secret(session: Session, *, user: User, endpoint_id: str, settings: Settings) -> EndpointWithSecret:
    """A new secret; the one it replaces keeps signing beside it for the rotation window,
    so receivers can switch without losing a delivery."""
    endpoint = _require(session, user=user, endpoint_id=endpoint_id, for_update=True)
    now = utcnow()
    window = timedelta(hours=settings.webhooks_secret_rotation_hours)
    endpoint.previous_secret = endpoint.secret if window > timedelta(0) else None
    endpoint.previous_secret_expires_at = now + window if window > timedelta(0) else None
    endpoint.secret = integration_service.new_standard_secret()
    endpoint.updated_at = now
    repository.add(session, row=endpoint)
    return _with_secret(endpoint)


def _attempt_public(attempt: WebhookAttempt) -> AttemptPublic:
    code = attempt.status_code
    if attempt.state == AttemptState.SENDING:
        status = AttemptStatus.SENDING
    elif attempt.state == AttemptState.UNKNOWN:
        status = AttemptStatus.UNKNOWN
    else:
        status = AttemptStatus.SUCCEEDED if code is not None and 200 <= code < 300 else AttemptStatus.FAILED
    return AttemptPublic(
        status=status,
        attempted_at=attempt.attempted_at,
        status_code=code,
        error=attempt.error,
        response_body=attempt.response_body,
        duration_ms=attempt.duration_ms,
        manual=attempt.manual,
        next_attempt_at=attempt.next_attempt_at,
    )


def _deliveries_public(session: Session, deliveries: Sequence[WebhookDelivery]) -> list[WebhookDeliveryPublic]:
    attempts: dict[str, list[AttemptPublic]] = defaultdict(list)
    for attempt in repository.list_attempts(session, delivery_ids=[d.id for d in deliveries]):
        attempts[attempt.delivery_id].append(_attempt_public(attempt))
    return [
        WebhookDeliveryPublic(
            id=delivery.id,
            webhook_id=delivery.message_id,
            event_type=delivery.event_type,
            status=DeliveryStatus(delivery.status),
            created_at=delivery.created_at,
            attempt_count=delivery.attempt_count,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
            payload=json.loads(delivery.payload),
            attempts=attempts[delivery.id],
        )
        for delivery in deliveries
    ]


def list_deliveries(
    session: Session, *, user: User, endpoint_id: str, status: DeliveryStatus | None, limit: int, cursor: str | None
) -> tuple[list[WebhookDeliveryPublic], str | None]:
    endpoint = _require(session, user=user, endpoint_id=endpoint_id)
    start_before = None
    if cursor is not None:
        created_at, delivery_id = decode_cursor(cursor, (datetime, str))
        start_before = (created_at, delivery_id)
    rows = repository.list_deliveries_page(
        session, endpoint_id=endpoint.id, status=status, limit=limit, start_before=start_before
    )
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    return _deliveries_public(session, kept), next_cursor


def _require_delivery(
    session: Session, *, endpoint: WebhookEndpoint, delivery_id: str, for_update: bool = False
) -> WebhookDelivery:
    delivery = repository.get_delivery(session, endpoint_id=endpoint.id, delivery_id=delivery_id, for_update=for_update)
    if delivery is None:
        raise NotFound("No delivery with this id for this endpoint.")
    return delivery


def get_delivery(session: Session, *, user: User, endpoint_id: str, delivery_id: str) -> WebhookDeliveryPublic:
    endpoint = _require(session, user=user, endpoint_id=endpoint_id)
    return _deliveries_public(session, [_require_delivery(session, endpoint=endpoint, delivery_id=delivery_id)])[0]


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first (PATCH enabled=true).")


MAX_ATTEMPTS = 50


def retry_delivery(session: Session, *, user: User, endpoint_id: str, delivery_id: str) -> WebhookDeliveryPublic:
    """Ask for one more attempt now, with the same webhook-id and body. A delivery still on
    its schedule has its next attempt brought forward; a finished one gets one attempt."""
    endpoint = _require(session, user=user, endpoint_id=endpoint_id)
    _require_enabled(endpoint)
    delivery = _require_delivery(session, endpoint=endpoint, delivery_id=delivery_id, for_update=True)
    # A delivery shows all its attempts: their number is bounded.
    if len(repository.list_attempts(session, delivery_ids=[delivery.id])) >= MAX_ATTEMPTS:
        raise Conflict(f"This delivery was attempted {MAX_ATTEMPTS} times; it is not retried again.")
    delivery.next_attempt_at = utcnow()
    repository.add(session, row=delivery)
    return _deliveries_public(session, [delivery])[0]


def send_test(session: Session, *, user: User, endpoint_id: str) -> WebhookDeliveryPublic:
    """A `webhook.test` event to this endpoint alone, whatever it subscribes to."""
    endpoint = _require(session, user=user, endpoint_id=endpoint_id)
    _require_enabled(endpoint)
    now = utcnow()
    body = WebhookMessage(
        type=TEST_EVENT,
        timestamp=now,
        data=TestEventData(endpoint_id=endpoint.id, message="A test event from followup: your endpoint is reachable."),
    )
    delivery = outbox.add_delivery(
        session, endpoint=endpoint, message_id=outbox.new_message_id(), event_type=TEST_EVENT, body=body, now=now
    )
    return _deliveries_public(session, [delivery])[0]
