from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth.dependencies import CurrentUser
from app.core.config import SettingsDep
from app.core.etags import shown_once
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import (
    AUTH_RESPONSES,
    NOT_FOUND_RESPONSES,
    SIGNATURE_RESPONSES,
    TOO_LARGE_RESPONSES,
    VALIDATION_RESPONSES,
    render,
)
from app.core.session import SessionDep
from app.core.urls import public_base_url
from app.integrations import service
from app.integrations.models import DeliveryResult
from app.integrations.schemas import (
    AtsDeliveryPublic,
    DeliveryReceipt,
    IntegrationCreate,
    IntegrationPage,
    IntegrationPublic,
    IntegrationWithSecret,
    SecretRotation,
)

RECEIVE_ROUTE = "receive_ats_delivery"

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/integrations",
    tags=["integrations"],
    responses=AUTH_RESPONSES | VALIDATION_RESPONSES,
)
webhooks_router = APIRouter(route_class=JsonRoute, prefix="/v1/webhooks/ats", tags=["ats-webhooks"])


def _webhook_url(request: Request, settings: SettingsDep) -> service.WebhookUrl:
    """An integration's webhook URL, absolute: FOLLOWUP_PUBLIC_URL, else the scheme and
    the (allowed) host the client used (app.core.urls)."""
    base = public_base_url(request, settings)

    def url_for(integration_id: str) -> str:
        return base + str(request.app.url_path_for(RECEIVE_ROUTE, integration_id=integration_id))

    return url_for


WebhookUrlDep = Annotated[service.WebhookUrl, Depends(_webhook_url)]
IntegrationId = Annotated[str, Path(description="The integration's id (the last part of its `webhook_url`).")]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createIntegration")
def create_integration(
    session: SessionDep, user: CurrentUser, body: IntegrationCreate, webhook_url: WebhookUrlDep, response: Response
) -> IntegrationWithSecret:
    """Connect an ATS: paste the answer's `webhook_url` (and the secret) into its webhook settings."""
    shown_once(response)
    return service.create(session, user=user, body=body, webhook_url=webhook_url)


@router.get("", operation_id="listIntegrations")
def list_integrations(
    session: SessionDep,
    user: CurrentUser,
    webhook_url: WebhookUrlDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> IntegrationPage:
    """List your ATS integrations, oldest first (never their secrets)."""
    rows, next_cursor = service.list_page(session, user=user, limit=limit, cursor=cursor, webhook_url=webhook_url)
    return IntegrationPage(data=rows, next_cursor=next_cursor)


@router.get("/{integration_id}", operation_id="getIntegration", responses=NOT_FOUND_RESPONSES)
def get_integration(
    session: SessionDep, user: CurrentUser, integration_id: IntegrationId, webhook_url: WebhookUrlDep
) -> IntegrationPublic:
    """Read one integration (never its secret)."""
    return service.get(session, user=user, integration_id=integration_id, webhook_url=webhook_url)


@router.delete(
    "/{integration_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteIntegration",
    responses=NOT_FOUND_RESPONSES,
)
def delete_integration(session: SessionDep, user: CurrentUser, integration_id: IntegrationId) -> Response:
    """Delete an integration and its deliveries; its interviews stay, unlinked, with their events."""
    service.delete(session, user=user, integration_id=integration_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{integration_id}/rotate-secret", operation_id="rotateIntegrationSecret", responses=NOT_FOUND_RESPONSES)
def rotate_secret(
    session: SessionDep,
    user: CurrentUser,
    integration_id: IntegrationId,
    webhook_url: WebhookUrlDep,
    response: Response,
    body: SecretRotation | None = None,
) -> IntegrationWithSecret:
    """Replace the secret; the old one is still accepted for `previous_secret_valid_hours`."""
    shown_once(response)
    return service.rotate_secret(
        session, user=user, integration_id=integration_id, body=body or SecretRotation(), webhook_url=webhook_url
    )


@router.get("/{integration_id}/deliveries", operation_id="listIntegrationDeliveries", responses=NOT_FOUND_RESPONSES)
def list_deliveries(
    session: SessionDep,
    user: CurrentUser,
    integration_id: IntegrationId,
    result: DeliveryResult | None = Query(default=None, description="Only deliveries with this result."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AtsDeliveryPublic]:
    """What arrived, newest first, and what became of it."""
    rows, next_cursor = service.list_deliveries(
        session, user=user, integration_id=integration_id, result=result, limit=limit, cursor=cursor
    )
    return Page(data=rows, next_cursor=next_cursor)


async def raw_body(request: Request) -> bytes:
    """The request body exactly as sent (signatures cover these bytes). The body limit
    middleware (app.core.limits) refuses one over 1 MiB, from its Content-Length or as soon as
    it grows past the limit."""
    return await request.body()


DELIVERY_DOCS: dict[str, Any] = {
    # No API key: the provider's signature authenticates the delivery.
    "security": [],
    "requestBody": {
        "required": True,
        "description": "The provider's payload, verified on these exact bytes (at most 1 MiB).",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    },
}


@webhooks_router.post(
    "/{integration_id}",
    name=RECEIVE_ROUTE,
    operation_id="receiveAtsDelivery",
    response_model=DeliveryReceipt,
    responses=SIGNATURE_RESPONSES | NOT_FOUND_RESPONSES | TOO_LARGE_RESPONSES | VALIDATION_RESPONSES,
    openapi_extra=DELIVERY_DOCS,
)
def receive_delivery(
    request: Request, session: SessionDep, integration_id: IntegrationId, body: Annotated[bytes, Depends(raw_body)]
) -> DeliveryReceipt | JSONResponse:
    """Receive a delivery from an ATS (Greenhouse `Signature`, Lever's body `signature`, or
    Standard Webhooks headers). Every verified delivery is stored and answered 200, pings
    and repeats too; a standard message whose event is invalid is stored as failed and
    answered 422."""
    outcome = service.receive(session, integration_id=integration_id, body=body, headers=request.headers)
    if outcome.rejection is not None:
        # Answered rather than raised, after the commit: the failed delivery is kept.
        return render(outcome.rejection)
    return outcome.receipt
