from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import CurrentUser
from app.core.config import SettingsDep
from app.core.etags import shown_once
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import AUTH_RESPONSES, CONFLICT_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep
from app.webhooks_out import service
from app.webhooks_out.models import DeliveryStatus
from app.webhooks_out.schemas import (
    DeliveryId,
    EndpointCreate,
    EndpointId,
    EndpointPublic,
    EndpointUpdate,
    EndpointWithSecret,
    InterviewEventData,
    NextActionChangedData,
    TestEventData,
    WebhookDeliveryPublic,
    WebhookMessage,
)

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/webhook-endpoints",
    tags=["webhooks"],
    responses=AUTH_RESPONSES | VALIDATION_RESPONSES,
)
ENDPOINT_RESPONSES = NOT_FOUND_RESPONSES


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createWebhookEndpoint")
def create_endpoint(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, body: EndpointCreate, response: Response
) -> EndpointWithSecret:
    """Subscribe a URL to events; the signing secret is in this response only."""
    shown_once(response)
    return service.create(session, user=user, body=body, settings=settings)


@router.get("", operation_id="listWebhookEndpoints")
def list_endpoints(
    session: SessionDep, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[EndpointPublic]:
    """List your webhook endpoints, oldest first (never their secrets)."""
    rows, next_cursor = service.list_page(session, user=user, limit=limit, cursor=cursor)
    return Page(data=rows, next_cursor=next_cursor)


@router.get("/{endpoint_id}", operation_id="getWebhookEndpoint", responses=ENDPOINT_RESPONSES)
def get_endpoint(session: SessionDep, user: CurrentUser, endpoint_id: EndpointId) -> EndpointPublic:
    """Read one webhook endpoint."""
    return service.get(session, user=user, endpoint_id=endpoint_id)


@router.patch("/{endpoint_id}", operation_id="updateWebhookEndpoint", responses=ENDPOINT_RESPONSES)
def update_endpoint(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, endpoint_id: EndpointId, body: EndpointUpdate
) -> EndpointPublic:
    """Change the URL, events or description; disable or enable the endpoint."""
    return service.update(session, user=user, endpoint_id=endpoint_id, body=body, settings=settings)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteWebhookEndpoint",
    responses=ENDPOINT_RESPONSES,
)
def delete_endpoint(session: SessionDep, user: CurrentUser, endpoint_id: EndpointId) -> Response:
    """Delete an endpoint and its delivery history."""
    service.delete(session, user=user, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", operation_id="rotateWebhookEndpointSecret", responses=ENDPOINT_RESPONSES)
def rotate_secret(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, endpoint_id: EndpointId, response: Response
) -> EndpointWithSecret:
    """A new signing secret, shown once; the old one keeps signing beside it for a while
    (`previous_secret_expires_at`)."""
    shown_once(response)
    return service.rotate_secret(session, user=user, endpoint_id=endpoint_id, settings=settings)


@router.get("/{endpoint_id}/deliveries", operation_id="listWebhookDeliveries", responses=ENDPOINT_RESPONSES)
def list_deliveries(
    session: SessionDep,
    user: CurrentUser,
    endpoint_id: EndpointId,
    status: DeliveryStatus | None = Query(default=None, description="Only deliveries with this status."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[WebhookDeliveryPublic]:
    """What was sent to this endpoint, newest first, with every attempt."""
    rows, next_cursor = service.list_deliveries(
        session, user=user, endpoint_id=endpoint_id, status=status, limit=limit, cursor=cursor
    )
    return Page(data=rows, next_cursor=next_cursor)


@router.get("/{endpoint_id}/deliveries/{delivery_id}", operation_id="getWebhookDelivery", responses=ENDPOINT_RESPONSES)
def get_delivery(
    session: SessionDep, user: CurrentUser, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> WebhookDeliveryPublic:
    """Read one delivery with its attempts."""
    return service.get_delivery(session, user=user, endpoint_id=endpoint_id, delivery_id=delivery_id)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="retryWebhookDelivery",
    responses=ENDPOINT_RESPONSES | CONFLICT_RESPONSES,
)
def retry_delivery(
    session: SessionDep, user: CurrentUser, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> WebhookDeliveryPublic:
    """Send a delivery again now (one attempt, same `webhook-id`); the worker picks it up."""
    return service.retry_delivery(session, user=user, endpoint_id=endpoint_id, delivery_id=delivery_id)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="testWebhookEndpoint",
    responses=ENDPOINT_RESPONSES | CONFLICT_RESPONSES,
)
def send_test(session: SessionDep, user: CurrentUser, endpoint_id: EndpointId) -> WebhookDeliveryPublic:
    """Queue a `webhook.test` event to this endpoint."""
    return service.send_test(session, user=user, endpoint_id=endpoint_id)


# The requests this service sends, documented under `webhooks` in the OpenAPI schema.
events = APIRouter(route_class=JsonRoute, tags=["webhooks"])
SIGNED = (
    "Headers: `webhook-id` (the same on every retry), `webhook-timestamp` (Unix seconds) and "
    "`webhook-signature` (`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` with your secret; "
    "several, space separated, during a rotation). Answer 2xx within 15 s; 410 disables the endpoint."
)


RECEIVER_ANSWERS: dict[str, Any] = {
    "response_description": "Any 2xx answer acknowledges the event.",
    "responses": {
        "4XX": {"description": "A failure: retried on the schedule; 410 Gone disables the endpoint."},
        "5XX": {"description": "A failure: retried on the schedule."},
    },
}


@events.post(
    "follow_up.due",
    summary="A follow-up may be sent now: once per interview, action and earliest time.",
    description=SIGNED,
    **RECEIVER_ANSWERS,
    operation_id="followUpDue",
)
def follow_up_due(body: WebhookMessage[InterviewEventData]) -> None:
    del body


@events.post(
    "next_action.changed",
    summary="A write changed an interview's next action or its date.",
    description=SIGNED,
    **RECEIVER_ANSWERS,
    operation_id="nextActionChanged",
)
def next_action_changed(body: WebhookMessage[NextActionChangedData]) -> None:
    del body


@events.post(
    "interview.concluded",
    summary="The process ended (offer, hired, rejected, withdrawn or closed).",
    description=SIGNED,
    **RECEIVER_ANSWERS,
    operation_id="interviewConcluded",
)
def interview_concluded(body: WebhookMessage[InterviewEventData]) -> None:
    del body


@events.post(
    "webhook.test",
    summary="Sent by `POST /v1/webhook-endpoints/{id}/test`.",
    description=SIGNED,
    **RECEIVER_ANSWERS,
    operation_id="webhookTest",
)
def webhook_test(body: WebhookMessage[TestEventData]) -> None:
    del body
