"""What each applicant-tracking system sends, as plain functions with no I/O: signature
verification over the raw request bytes, the delivery key that identifies a delivery,
and the mapping of a payload to one of our events.

Greenhouse signs the raw body (HMAC-SHA256, hex, header `Signature: sha256 <hex>`); Lever
signs only `token + triggeredAt` from the body (hex, body field `signature`); a standard
sender uses Standard Webhooks headers, checked by the `standardwebhooks` package with its
5-minute timestamp tolerance.

Bodies are read with app.core.json_input (strict UTF-8, no duplicate keys, bounded depth),
after the signature check where the signature covers the raw bytes; Lever's signature sits
inside the body, so its body is parsed first, with the same limits. A value taken from a
payload is stored only if its column can hold it: an application id or action too long
or holding NUL makes the payload invalid (the delivery is kept as failed), a delivery key
is stored as its hash, and a note loses its NUL characters and is cut to its length.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core import json_input
from app.core.problems import InvalidInput, ProblemError, describe
from app.core.schemas import in_time_range
from app.events.schemas import EVENT_CREATE, EventCreate, event_create
from app.rules import EventType

STANDARD_EVENT_TYPE = "interview.event"
# Delivery keys longer than this (or holding NUL) are stored as their hash; application
# ids and actions longer than this do not fit their columns.
MAX_KEY_LENGTH = 200
# Deeper than any provider's payload (Greenhouse's go 5 levels down).
MAX_PAYLOAD_DEPTH = 32
# A note taken from a payload (a stage name, a rejection reason) is cut to this length.
MAX_NOTE_LENGTH = 200


class Provider(StrEnum):
    """The applicant-tracking system that sends the deliveries; it decides the signature
    and the secret's form."""

    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    STANDARD = "standard"


class SignatureError(Exception):
    """The delivery is not signed by a secret of the integration. The message says what
    was wrong with it, never what was expected."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """What a verified delivery means for us. `event` is None for a delivery that changes
    nothing (a ping, a test, an action we do not follow); `reason` then says why."""

    action: str | None
    application_id: str | None = None
    event: EventCreate | None = None
    reason: str | None = None
    # Lever archives a hired opportunity too: archiving is a rejection only before a hire.
    unless_hired: bool = False


# -- signatures and delivery keys ---------------------------------------------------------


def verify(provider: Provider, *, body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    """Check the delivery's signature against each of `secrets` (the current one, and the
    previous one during a rotation) and return its delivery key; SignatureError otherwise.
    `headers` are keyed in lower case."""
    if provider is Provider.GREENHOUSE:
        return _verify_greenhouse(body, headers, secrets)
    if provider is Provider.LEVER:
        return _verify_lever(body, secrets)
    return _verify_standard(body, headers, secrets)


def _hex_hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest().encode()


def _matches_any(given: str, secrets: Sequence[str], message: bytes) -> bool:
    # Every secret is tried, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(_hex_hmac(secret, message), given.encode()) for secret in secrets]
    return any(matches)


def _key(value: str) -> str:
    if len(value) <= MAX_KEY_LENGTH and "\x00" not in value:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _verify_greenhouse(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    header = headers.get("signature")
    if not header:
        raise SignatureError("The Signature header is missing.")
    scheme, _, digest = header.strip().partition(" ")
    digest = digest.strip().lower()
    if scheme.lower() != "sha256" or not digest:
        raise SignatureError("The Signature header is not of the form `sha256 <hex digest>`.")
    if not _matches_any(digest, secrets, body):
        raise SignatureError("The signature does not match the body.")
    event_id = headers.get("greenhouse-event-id", "").strip()
    return _key(event_id) if event_id else "sha256:" + hashlib.sha256(body).hexdigest()


def _verify_lever(body: bytes, secrets: Sequence[str]) -> str:
    try:
        document = json_input.parse(body, max_depth=MAX_PAYLOAD_DEPTH)
    except json_input.JsonInputError as error:
        raise SignatureError(
            f"The body is not JSON this service reads, so it carries no signature: {error.reason}"
        ) from None
    if not isinstance(document, dict):
        raise SignatureError("The body is not a JSON object, so it carries no signature.")
    token, triggered_at, signature = document.get("token"), document.get("triggeredAt"), document.get("signature")
    if not isinstance(signature, str) or not signature:
        raise SignatureError("The body has no signature.")
    if not isinstance(token, str) or not token:
        raise SignatureError("The body has no token.")
    if not isinstance(triggered_at, int) or isinstance(triggered_at, bool):
        raise SignatureError("The body's triggeredAt is not an integer.")
    # Lever signs the token followed by triggeredAt written as an integer, nothing else.
    if not _matches_any(signature, secrets, f"{token}{triggered_at}".encode()):
        raise SignatureError("The signature does not match the token and triggeredAt.")
    return _key(token)


def _verify_standard(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    problem = "No matching signature found"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, dict(headers), json_parse=False)
        except WebhookVerificationError as error:
            problem = str(error)
        except ValueError:
            # The package raises ValueError (binascii.Error, UnicodeDecodeError among them)
            # for a malformed signature list, bad base64 or a body that is not UTF-8.
            problem = "Malformed webhook-signature header or body"
        else:
            return _key(headers["webhook-id"])
    raise SignatureError(f"{problem}.")


# -- payloads to events --------------------------------------------------------------------


def map_delivery(provider: Provider, *, body: bytes, received_at: datetime) -> Mapped:
    """The event a verified delivery stands for. InvalidInput when the payload is not of
    the provider's shape (the delivery is then stored as failed)."""
    if provider is Provider.GREENHOUSE:
        return _map_greenhouse(_json_object(body), received_at)
    if provider is Provider.LEVER:
        return _map_lever(_json_object(body), received_at)
    return _map_standard(_json_object(body))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json_input.parse(body, max_depth=MAX_PAYLOAD_DEPTH)
    except json_input.JsonInputError as error:
        raise InvalidInput.at(
            ["body", *error.loc], f"The body is not JSON this service reads: {error.reason}"
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput.at(["body"], "The body is not a JSON object.")
    return document


def _fits(value: str) -> bool:
    """Whether a column of MAX_KEY_LENGTH characters can hold `value` as it is."""
    return len(value) <= MAX_KEY_LENGTH and "\x00" not in value


def _application_id(value: object, loc: Sequence[str | int]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip() and _fits(value):
        return value.strip()
    raise InvalidInput.at(
        list(loc),
        f"No application id: expected a non-empty string or an integer of at most {MAX_KEY_LENGTH} characters, "
        "without NUL.",
    )


def _action(value: object, loc: Sequence[str | int]) -> str | None:
    """The provider's name for what happened, if the payload has one (a string)."""
    if not isinstance(value, str):
        return None
    if not _fits(value):
        raise InvalidInput.at(
            list(loc), f"No provider sends this action: it is over {MAX_KEY_LENGTH} characters or holds NUL."
        )
    return value


def _object(value: object, loc: Sequence[str | int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput.at(list(loc), "Expected a JSON object.")
    return value


def _text(value: object) -> str | None:
    if isinstance(value, str) and (kept := value.replace("\x00", "").strip()):
        return kept[:MAX_NOTE_LENGTH]
    return None


def _timestamp(value: object) -> datetime | None:
    """An RFC 3339 time from a payload; None when absent or unreadable (the receipt time
    is used then). A time without an offset is taken as UTC, which Greenhouse writes."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    parsed = parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)
    return parsed if in_time_range(parsed) else None


def _milliseconds(value: object) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if in_time_range(moment) else None


def _event(kind: EventType, occurred_at: datetime | None, received_at: datetime, note: str | None) -> EventCreate:
    # Nothing reported by an ATS happened after it reached us: a sender's clock running
    # ahead must not date the event in the future.
    when = received_at if occurred_at is None else min(occurred_at, received_at)
    return event_create(type=kind, occurred_at=when, note=note)


GREENHOUSE_EVENTS: dict[str, EventType] = {
    "candidate_stage_change": EventType.STAGE_CHANGED,
    "application_updated": EventType.STAGE_CHANGED,
    "reject_candidate": EventType.REJECTED,
    "offer_created": EventType.OFFER_RECEIVED,
    "hire_candidate": EventType.HIRED,
}


def _map_greenhouse(document: dict[str, Any], received_at: datetime) -> Mapped:
    action = _action(document.get("action"), ["body", "action"])
    if action is None:
        return Mapped(action=None, reason="No action: a ping or a configuration message.")
    kind = GREENHOUSE_EVENTS.get(action)
    if kind is None:
        return Mapped(action=action, reason=f"The action {action} does not change a follow-up.")
    payload = _object(document.get("payload"), ["body", "payload"])
    if action == "offer_created":
        # Offer events are flat: the offer's fields sit in the payload itself.
        application_id = _application_id(payload.get("application_id"), ["body", "payload", "application_id"])
        return Mapped(action, application_id, _event(kind, None, received_at, None))
    application = _object(payload.get("application"), ["body", "payload", "application"])
    application_id = _application_id(application.get("id"), ["body", "payload", "application", "id"])
    occurred_at = _timestamp(application.get("last_activity_at"))
    note = None
    if kind is EventType.STAGE_CHANGED:
        stage = application.get("current_stage")
        note = _text(stage.get("name")) if isinstance(stage, dict) else None
    elif kind is EventType.REJECTED:
        occurred_at = _timestamp(application.get("rejected_at")) or occurred_at
        reason = application.get("rejection_reason")
        note = _text(reason.get("name")) if isinstance(reason, dict) else None
    else:
        offer = application.get("offer")
        accepted_at = _timestamp(offer.get("resolved_at")) if isinstance(offer, dict) else None
        occurred_at = accepted_at or occurred_at
    return Mapped(action, application_id, _event(kind, occurred_at, received_at, note))


def _map_lever(document: dict[str, Any], received_at: datetime) -> Mapped:
    action = _action(document.get("event"), ["body", "event"])
    data = document.get("data")
    data = data if isinstance(data, dict) else {}
    if not data.get("opportunityId"):
        # Lever's "test" button sends an event with an empty `data`.
        return Mapped(action=action, reason="No opportunityId: a test delivery.")
    triggered_at = _milliseconds(document.get("triggeredAt"))
    if action == "candidateStageChange":
        kind, note = EventType.STAGE_CHANGED, _text(f"stage {data.get('toStageId') or 'unknown'}")
    elif action in ("interviewCreated", "interviewUpdated"):
        verb = "scheduled" if action == "interviewCreated" else "updated"
        interview_id = data.get("interviewId")
        kind, note = (
            EventType.STAGE_CHANGED,
            _text(f"interview {interview_id} {verb}" if interview_id else f"interview {verb}"),
        )
    elif action == "candidateHired":
        kind, note = EventType.HIRED, None
    elif action == "candidateArchiveChange":
        archived = data.get("toArchived")
        if not isinstance(archived, dict):
            return Mapped(action=action, reason="The opportunity was taken out of the archive.")
        application_id = _application_id(data["opportunityId"], ["body", "data", "opportunityId"])
        occurred_at = _milliseconds(archived.get("archivedAt")) or triggered_at
        return Mapped(
            action, application_id, _event(EventType.REJECTED, occurred_at, received_at, None), unless_hired=True
        )
    else:
        return Mapped(action=action, reason=f"The event {action} does not change a follow-up.")
    application_id = _application_id(data["opportunityId"], ["body", "data", "opportunityId"])
    return Mapped(action, application_id, _event(kind, triggered_at, received_at, note))


def _map_standard(document: dict[str, Any]) -> Mapped:
    kind = _action(document.get("type"), ["body", "type"])
    if kind != STANDARD_EVENT_TYPE:
        return Mapped(action=kind, reason=f"Only {STANDARD_EVENT_TYPE} messages change a follow-up.")
    data = _object(document.get("data"), ["body", "data"])
    application_id = _application_id(data.get("application_id"), ["body", "data", "application_id"])
    try:
        event = EVENT_CREATE.validate_python(data.get("event"))
    except ValidationError as error:
        errors = [
            ProblemError(loc=["body", "data", "event", *problem["loc"]], msg=problem["msg"])
            for problem in error.errors()
        ]
        raise InvalidInput(describe(errors), errors) from None
    return Mapped(STANDARD_EVENT_TYPE, application_id, event)
