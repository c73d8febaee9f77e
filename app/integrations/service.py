"""ATS integrations: their secrets, and the deliveries they receive. Every verified
delivery is stored first, then applied in the same transaction: as an event on the
interview linked to its application, or kept as unmatched until one is linked."""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import SecretStr
from sqlmodel import Session

from app.core.columns import utcnow
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, InvalidInput, NotFound, Unauthorized
from app.events import repository as event_repository
from app.events import service as event_service
from app.events.models import EventSource
from app.integrations import providers, repository
from app.integrations.models import Delivery, DeliveryResult, Integration
from app.integrations.providers import Provider
from app.integrations.schemas import (
    ATS_SECRET,
    INTEGRATION_PUBLIC,
    INTEGRATION_WITH_SECRET,
    STANDARD_SECRET,
    STANDARD_SECRET_PREFIX,
    AtsDeliveryPublic,
    DeliveryReceipt,
    IntegrationCreate,
    IntegrationPublic,
    IntegrationWithSecret,
    SecretRotation,
)
from app.interviews import repository as interview_repository
from app.interviews.models import Interview
from app.rules import EventType, Status
from app.users.models import User

# Builds the webhook URL of an integration from its id (the request knows the host).
WebhookUrl = Callable[[str], str]

STANDARD_SECRET_BYTES = 32
MAX_DETAIL_LENGTH = 2000
# The request headers kept with a delivery: what identifies and signs it. Never
# Authorization: Greenhouse may send basic-auth credentials there.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "greenhouse-event-id",
    "signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)


class SignatureRejected(Unauthorized):
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Signature realm="ats-webhooks"'}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a delivery became; `rejection` is set when the sender must hear of a failure
    (a standard sender gets a 422 so that it can fix its message; it is stored anyway)."""

    receipt: DeliveryReceipt
    rejection: InvalidInput | None = None


# -- integrations ---------------------------------------------------------------------------


def require(session: Session, *, user: User, integration_id: str, for_update: bool = False) -> Integration:
    """The user's integration, or 404: another user's looks like a missing one."""
    integration = repository.get(session, integration_id=integration_id, user_id=user.id, for_update=for_update)
    if integration is None:
        raise NotFound("No integration with this id.")
    return integration


def _fields(integration: Integration, webhook_url: WebhookUrl) -> dict[str, object]:
    return integration.model_dump(exclude={"secret", "previous_secret"}) | {"webhook_url": webhook_url(integration.id)}


def to_public(integration: Integration, webhook_url: WebhookUrl) -> IntegrationPublic:
    return INTEGRATION_PUBLIC.validate_python(_fields(integration, webhook_url))


def _with_secret(integration: Integration, webhook_url: WebhookUrl) -> IntegrationWithSecret:
    return INTEGRATION_WITH_SECRET.validate_python(_fields(integration, webhook_url) | {"secret": integration.secret})


def new_standard_secret() -> str:
    return STANDARD_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(STANDARD_SECRET_BYTES)).decode()


def _checked_secret(provider: Provider, secret: str | None) -> str:
    """The secret to store: the one given once it has the provider's form (which a creation's
    body has already; a rotation's body does not know the provider), or a new one for a
    standard integration."""
    loc = ["body", "secret"]
    if secret is None:
        if provider is Provider.STANDARD:
            return new_standard_secret()
        setting = "secret key" if provider is Provider.GREENHOUSE else "signature token"
        raise InvalidInput.at(loc, f"Give the {setting} configured for this webhook in {provider.title()}.")
    rule = STANDARD_SECRET if provider is Provider.STANDARD else ATS_SECRET
    if not rule.accepts(secret):
        raise InvalidInput.at(loc, rule.message)
    return secret


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def create(session: Session, *, user: User, body: IntegrationCreate, webhook_url: WebhookUrl) -> IntegrationWithSecret:
    """A new integration, with its secret (shown in this answer only)."""
    secret = _checked_secret(body.provider, _plain(body.secret))
    integration = repository.add(
        session,
        integration=Integration(user_id=user.id, provider=body.provider, company=body.company, secret=secret),
    )
    return _with_secret(integration, webhook_url)


def get(session: Session, *, user: User, integration_id: str, webhook_url: WebhookUrl) -> IntegrationPublic:
    return to_public(require(session, user=user, integration_id=integration_id), webhook_url)


def list_page(
    session: Session, *, user: User, limit: int, cursor: str | None, webhook_url: WebhookUrl
) -> tuple[list[IntegrationPublic], str | None]:
    start_after = None
    if cursor is not None:
        created_at, integration_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, integration_id)
    rows = repository.list_page(session, user_id=user.id, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    return [to_public(row, webhook_url) for row in kept], next_cursor


def delete(session: Session, *, user: User, integration_id: str) -> None:
    """Delete the integration and its deliveries; the interviews it fed stay, unlinked,
    with their events."""
    integration = require(session, user=user, integration_id=integration_id, for_update=True)
    now = utcnow()
    for interview in interview_repository.list_linked(session, integration_id=integration.id):
        interview.integration_id = None
        interview.ats_application_id = None
        interview.updated_at = now
        session.add(interview)
    repository.delete(session, integration=integration)


def rotate_secret(
    session: Session, *, user: User, integration_id: str, body: SecretRotation, webhook_url: WebhookUrl
) -> IntegrationWithSecret:
    """Replace the secret; the current one stays valid for the window asked for, so that
    deliveries already signed with it (and retries) still pass."""
    integration = require(session, user=user, integration_id=integration_id, for_update=True)
    secret = _checked_secret(Provider(integration.provider), _plain(body.secret))
    if hmac.compare_digest(secret.encode(), integration.secret.encode()):
        raise InvalidInput.at(["body", "secret"], "This is the current secret; give a new one.")
    now = utcnow()
    keep = body.previous_secret_valid_hours > 0
    integration.previous_secret = integration.secret if keep else None
    integration.previous_secret_expires_at = now + timedelta(hours=body.previous_secret_valid_hours) if keep else None
    integration.secret = secret
    integration.secret_rotated_at = now
    session.add(integration)
    session.flush()
    return _with_secret(integration, webhook_url)


def _accepted_secrets(integration: Integration, now: datetime) -> list[str]:
    accepted = [integration.secret]
    expires_at = integration.previous_secret_expires_at
    if integration.previous_secret is not None and expires_at is not None and now < expires_at:
        accepted.append(integration.previous_secret)
    return accepted


def list_deliveries(
    session: Session,
    *,
    user: User,
    integration_id: str,
    result: DeliveryResult | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AtsDeliveryPublic], str | None]:
    integration = require(session, user=user, integration_id=integration_id)
    start_after = None
    if cursor is not None:
        received_at, delivery_id = decode_cursor(cursor, (datetime, str))
        start_after = (received_at, delivery_id)
    rows = repository.list_deliveries(
        session, integration_id=integration.id, result=result, limit=limit, start_after=start_after
    )
    kept, next_cursor = page(rows, limit, lambda row: (row.received_at, row.id))
    return [AtsDeliveryPublic.model_validate(row) for row in kept], next_cursor


# -- links from interviews ------------------------------------------------------------------


def lock(session: Session, *, user: User, integration_id: str | None) -> None:
    """Lock the user's integration, if there is one with this id. Deliveries lock it
    before the interview they change, so a writer of both takes them in that order."""
    if integration_id is not None:
        repository.get(session, integration_id=integration_id, user_id=user.id, for_update=True)


def check_link(
    session: Session,
    *,
    user: User,
    integration_id: str | None,
    ats_application_id: str | None,
    interview_id: str | None = None,
) -> None:
    """An interview may follow one application of one of the user's integrations, which
    no other interview follows. Locks the integration: deliveries for the application
    wait until the link is committed, and then find the interview."""
    if integration_id is None and ats_application_id is None:
        return
    if integration_id is None:
        raise InvalidInput.at(["body", "integration_id"], "ats_application_id needs the integration it comes from.")
    if ats_application_id is None:
        raise InvalidInput.at(
            ["body", "ats_application_id"], "integration_id needs the ats_application_id of the application."
        )
    integration = repository.get(session, integration_id=integration_id, user_id=user.id, for_update=True)
    if integration is None:
        raise InvalidInput.at(["body", "integration_id"], "No integration with this id.")
    linked = interview_repository.get_linked(
        session, integration_id=integration_id, ats_application_id=ats_application_id
    )
    if linked is not None and linked.id != interview_id:
        raise Conflict(f"Interview {linked.id} already follows this application of the integration.")


def apply_unmatched(session: Session, *, interview: Interview) -> None:
    """Apply, once and in order of receipt, the deliveries that waited for an interview
    linked to their application; the caller holds the integration's lock."""
    if interview.integration_id is None or interview.ats_application_id is None:
        return
    for delivery in repository.list_unmatched(
        session, integration_id=interview.integration_id, application_id=interview.ats_application_id
    ):
        provider = Provider(delivery.provider)
        try:
            mapped = providers.map_delivery(provider, body=delivery.body, received_at=delivery.received_at)
        except InvalidInput as error:  # it mapped when it arrived; a changed mapping may refuse it now
            _fail(delivery, error)
            continue
        _apply(session, delivery=delivery, mapped=mapped, interview=interview)


# -- deliveries -----------------------------------------------------------------------------


def receive(session: Session, *, integration_id: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
    """Verify a delivery, store it, then apply it; a duplicate is stored as such and
    applies nothing. SignatureRejected (nothing stored) when it is not signed by the
    integration's secret. `headers` are keyed in lower case."""
    integration = repository.get(session, integration_id=integration_id, user_id=None)
    if integration is None:
        raise NotFound("No integration with this id.")
    provider = Provider(integration.provider)
    received_at = utcnow()
    try:
        key = providers.verify(
            provider, body=body, headers=headers, secrets=_accepted_secrets(integration, received_at)
        )
    except providers.SignatureError as error:
        raise SignatureRejected(str(error)) from None
    delivery = Delivery(
        integration_id=integration.id,
        provider=provider,
        delivery_key=key,
        dedupe_key=key,
        result=DeliveryResult.UNMATCHED,
        headers={name: headers[name] for name in KEPT_HEADERS if name in headers},
        body=body,
        received_at=received_at,
    )
    mapped: providers.Mapped | InvalidInput
    try:
        mapped = providers.map_delivery(provider, body=body, received_at=received_at)
        delivery.action, delivery.application_id = mapped.action, mapped.application_id
    except InvalidInput as error:
        mapped = error
    if not repository.add_delivery_once(session, delivery=delivery):
        return Outcome(_receipt(_store_duplicate(session, delivery)))
    if isinstance(mapped, InvalidInput):
        rejection: InvalidInput | None = mapped
        _fail(delivery, mapped)
    else:
        interview = _linked_interview(session, integration=integration, application_id=mapped.application_id)
        rejection = _apply(session, delivery=delivery, mapped=mapped, interview=interview)
    repository.add_delivery(session, delivery=delivery)
    if rejection is not None and provider is Provider.STANDARD:
        detail = f"Delivery {delivery.id} was stored as failed: {rejection.detail}"
        return Outcome(_receipt(delivery), InvalidInput(detail, rejection.errors))
    return Outcome(_receipt(delivery))


def _linked_interview(session: Session, *, integration: Integration, application_id: str | None) -> Interview | None:
    """The interview that follows the application, locked; the integration is locked
    first, as links from interviews take it (see check_link)."""
    if application_id is None:
        return None
    repository.get(session, integration_id=integration.id, user_id=None, for_update=True)
    return interview_repository.get_linked(session, integration_id=integration.id, ats_application_id=application_id)


def _receipt(delivery: Delivery) -> DeliveryReceipt:
    return DeliveryReceipt(delivery_id=delivery.id, result=DeliveryResult(delivery.result), detail=delivery.detail)


def _store_duplicate(session: Session, delivery: Delivery) -> Delivery:
    holder = repository.holder_of(session, integration_id=delivery.integration_id, key=delivery.delivery_key)
    assert holder is not None  # add_delivery_once saw it
    duplicate = Delivery(
        **delivery.model_dump(exclude={"id", "dedupe_key", "result", "detail"}),
        result=DeliveryResult.DUPLICATE,
        detail=f"Received before as delivery {holder.id}; nothing applied.",
    )
    return repository.add_delivery(session, delivery=duplicate)


def _settle(delivery: Delivery, result: DeliveryResult, detail: str | None) -> None:
    delivery.result = result
    delivery.detail = detail[:MAX_DETAIL_LENGTH] if detail is not None else None


def _fail(delivery: Delivery, error: InvalidInput) -> None:
    _settle(delivery, DeliveryResult.FAILED, error.detail)
    # A failed delivery gives its key back: a retry of it deserves another try.
    delivery.dedupe_key = None


def _apply(
    session: Session, *, delivery: Delivery, mapped: providers.Mapped, interview: Interview | None
) -> InvalidInput | None:
    """Settle the delivery: an event on the interview, or why not. Returns the error of
    an event the interview refused (the delivery is failed then)."""
    event, source = mapped.event, EventSource(delivery.provider)
    loc = ["body", "data", "event"]
    if event is None:
        _settle(delivery, DeliveryResult.IGNORED, mapped.reason)
        return None
    if interview is None:
        try:
            # Checked now as far as it can be without an interview, so that the sender
            # hears of a mistake today rather than never.
            event_service.validate(event, contact_ids=(), loc=loc)
        except InvalidInput as error:
            _fail(delivery, error)
            return error
        _settle(
            delivery,
            DeliveryResult.UNMATCHED,
            f"No interview follows application {mapped.application_id} yet; it is applied once one does.",
        )
        return None
    delivery.interview_id = interview.id
    if mapped.unless_hired and interview.status == Status.HIRED:
        _settle(delivery, DeliveryResult.IGNORED, "The application was hired; archiving it is no rejection.")
        return None
    if event.type is EventType.STAGE_CHANGED and source is not EventSource.STANDARD:
        latest = event_repository.latest(session, interview_id=interview.id, type=event.type, source=source)
        if latest is not None and latest.note == event.note:
            _settle(delivery, DeliveryResult.IGNORED, "The application is at this stage already.")
            return None
    try:
        with session.begin_nested():
            recorded = event_service.record(session, interview=interview, body=event, source=source, loc=loc)
    except InvalidInput as error:
        _fail(delivery, error)
        return error
    delivery.event_id = recorded.id
    _settle(delivery, DeliveryResult.APPLIED, None)
    return None
