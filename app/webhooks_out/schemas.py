from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from app.core.etags import REPLAY_NOTE
from app.core.schemas import MAY_LACK_SECRET, NotNull, Public, ShownOnce, Text, UTCTime
from app.followups.schemas import (
    ACTION_VALUES,
    INTERVIEW_SUMMARY_EXAMPLE,
    NEXT_ACTION_EXAMPLE,
    InterviewSummary,
    NextActionPublic,
)
from app.rules import Action
from app.webhooks_out.models import DeliveryStatus, DisabledReason
from app.webhooks_out.ssrf import WEBHOOK_URL_PATTERN

EndpointId = Annotated[str, Path(description="The webhook endpoint's id.")]
DeliveryId = Annotated[str, Path(description="The delivery's id.")]


class WebhookEventType(StrEnum):
    """The events an endpoint can subscribe to."""

    FOLLOW_UP_DUE = "follow_up.due"
    NEXT_ACTION_CHANGED = "next_action.changed"
    INTERVIEW_CONCLUDED = "interview.concluded"


# Sent by POST /v1/webhook-endpoints/{id}/test only, whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"
ALL_EVENTS = "*"


def _check_events(events: list[WebhookEventType | Literal["*"]]) -> list[WebhookEventType | Literal["*"]]:
    if ALL_EVENTS in events and len(set(events)) > 1:
        raise ValueError('"*" (every event) stands alone')
    return sorted(set(events))


def _every_event() -> list[WebhookEventType | Literal["*"]]:
    return ["*"]


Events = Annotated[
    list[WebhookEventType | Literal["*"]],
    Field(
        min_length=1,
        max_length=2 * len(WebhookEventType) + 1,
        description='Event types to receive; `["*"]` (the default) is every type, including ones added later, '
        "and stands alone. A type given twice counts once.",
        examples=[["follow_up.due", "next_action.changed"]],
        # `_check_events` for schema readers: a list with "*" holds nothing else.
        json_schema_extra={"if": {"contains": {"const": ALL_EVENTS}}, "then": {"items": {"const": ALL_EVENTS}}},
    ),
    AfterValidator(_check_events),
]
URL = "Where to POST events: https, on a public address (no redirects are followed)."
# The pattern is the schema's alone: the service checks the URL itself (`ssrf.check_url`),
# which takes http too where private addresses are allowed (a setting for local tests).
Url = Annotated[
    Text,
    Field(
        max_length=2048,
        description=URL,
        examples=["https://hooks.example.com/followup"],
        json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
    ),
]
DESCRIPTION = "A note for yourself."
Description = Annotated[Text | None, Field(max_length=500, description=DESCRIPTION)]
ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": "7a1d3c5e-9b2f-4e6a-8c0d-4f2b6e8a1c3d",
    "url": "https://hooks.example.com/followup",
    "description": "Reminders to my Slack",
    "events": ["follow_up.due"],
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-03-01T18:25:00Z",
    "updated_at": "2026-03-01T18:25:00Z",
}
SIGNING_KEY_SHOWN = "whsec_vbtlw0KETI7TAn9xuvAsMKuISEUC7AbKpCOW3yQyeBs="


class EndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/followup",
                    "events": ["follow_up.due"],
                    "description": "Reminders to my Slack",
                }
            ]
        },
    )

    url: Url
    events: Events = Field(default_factory=_every_event)
    description: Description = None


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False}, {"events": ["*"]}, {"enabled": True}]},
    )

    url: Annotated[Url | None, NotNull] = None
    events: Annotated[Events | None, NotNull] = None
    description: Description = None
    enabled: Annotated[StrictBool | None, NotNull] = Field(
        default=None, description="false stops deliveries (pending ones fail); true resumes them for new events."
    )


class EndpointPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [ENDPOINT_EXAMPLE]})

    id: str = Field(description="The endpoint's id.")
    url: str = Field(description=URL)
    description: str | None = Field(description=DESCRIPTION)
    events: list[str] = Field(description='The event types it receives; `["*"]`: every type.')
    enabled: bool = Field(description="False while deliveries are stopped (see `disabled_reason`).")
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (you), `gone` (it answered 410) or `failing` (only failures for days)."
    )
    disabled_at: UTCTime | None = Field(description="When it was disabled; null while enabled.")
    failing_since: UTCTime | None = Field(description="The first failed attempt since the last success.")
    previous_secret_expires_at: UTCTime | None = Field(
        description="After a rotation, the previous secret signs too until this time."
    )
    created_at: UTCTime = Field(description="When it was created (UTC).")
    updated_at: UTCTime = Field(description="When it last changed (UTC).")


class EndpointWithSecret(EndpointPublic):
    model_config = MAY_LACK_SECRET | ConfigDict(
        json_schema_extra={"examples": [{**ENDPOINT_EXAMPLE, "secret": SIGNING_KEY_SHOWN}]}
    )

    secret: ShownOnce = Field(
        default=None,
        description="The signing secret (`whsec_` + base64 of 32 random bytes). Shown only this once; keep it safe."
        + REPLAY_NOTE,
        examples=[SIGNING_KEY_SHOWN],
    )


DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "2e4c6a8b-0d1f-4a3c-9e5b-7d9f1b3d5e7a",
    "webhook_id": "msg_8c1e4a7f2b9d4e6a9f03c5d7b1a2e4f6",
    "event_type": "follow_up.due",
    "status": "succeeded",
    "created_at": "2026-03-09T13:00:00Z",
    "attempt_count": 1,
    "last_attempt_at": "2026-03-09T13:00:01Z",
    "next_attempt_at": None,
    "payload": {
        "type": "follow_up.due",
        "timestamp": "2026-03-09T13:00:00Z",
        # Sent when the status check became due: Monday 9 March, 09:00 in New York.
        "data": {
            "interview": INTERVIEW_SUMMARY_EXAMPLE,
            "next_action": NEXT_ACTION_EXAMPLE | {"as_of": "2026-03-09T09:00:00-04:00", "due": True},
        },
    },
    "attempts": [
        {
            "status": "succeeded",
            "attempted_at": "2026-03-09T13:00:01Z",
            "status_code": 200,
            "error": None,
            "response_body": "ok",
            "duration_ms": 84,
            "manual": False,
            "next_attempt_at": None,
        }
    ],
}


class AttemptStatus(StrEnum):
    """`succeeded` (a 2xx answer) or `failed` (any other answer, or none: see `error`);
    `sending` while the request is under way; `unknown` when the worker sending it stopped
    (or overran its lease) before recording the answer, so the endpoint may or may not have
    received the request. The delivery is then sent again with the same `webhook-id`
    (deduplicate on it); an `unknown` attempt does not count among the 8 scheduled ones."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SENDING = "sending"
    UNKNOWN = "unknown"


class AttemptPublic(Public):
    status: AttemptStatus = Field(description=AttemptStatus.__doc__)
    attempted_at: UTCTime = Field(description="When the request was sent (UTC).")
    status_code: int | None = Field(description="The HTTP status answered; null when no answer came.")
    error: str | None = Field(description="Why it failed; null on success.")
    response_body: str | None = Field(description="The start of what the endpoint answered.")
    duration_ms: int = Field(description="How long the request took, in milliseconds.")
    manual: bool = Field(description="A retry you asked for (a single attempt).")
    next_attempt_at: UTCTime | None = Field(description="The attempt planned after this one; null if none.")


class WebhookDeliveryPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

    id: str = Field(description="The delivery's id.")
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt; deduplicate on it.")
    event_type: str = Field(description="The event's type, such as `follow_up.due`.")
    status: DeliveryStatus = Field(
        description="`pending` until an attempt succeeds (`succeeded`) or the attempts run out (`failed`)."
    )
    created_at: UTCTime = Field(description="When the event was queued (UTC).")
    attempt_count: int = Field(description="Scheduled attempts made (out of 8).")
    last_attempt_at: UTCTime | None = Field(description="The latest attempt; null before the first.")
    next_attempt_at: UTCTime | None = Field(description="When it is tried next; null when it is not.")
    payload: dict[str, Any] = Field(description="The body, as signed and sent.")
    attempts: list[AttemptPublic] = Field(description="Every attempt, oldest first.")


# The bodies sent to endpoints (Standard Webhooks: type, timestamp, data).


class PreviousAction(Public):
    action: Action = Field(description="The action stored before. " + ACTION_VALUES)
    earliest_allowed_at: UTCTime | None = Field(description="Its earliest time (UTC); null when it had none.")


class InterviewEventData(Public):
    interview: InterviewSummary = Field(description="The interview.")
    next_action: NextActionPublic = Field(description="Its next action, as `GET .../next-action` answers it.")


class NextActionChangedData(InterviewEventData):
    previous: PreviousAction | None = Field(description="The action stored before; null for a new interview.")


class TestEventData(Public):
    endpoint_id: str = Field(description="The endpoint tested.")
    message: str = Field(description="A greeting.")


Data = TypeVar("Data", bound=BaseModel)


class WebhookMessage(Public, Generic[Data]):
    type: str = Field(description="The event's type (the operation's name).", examples=["follow_up.due"])
    timestamp: datetime = Field(description="When the event happened (UTC).")
    data: Data = Field(description="What happened.")

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        # Named for the event, not for the generic: InterviewEventData sends InterviewEventWebhook.
        (data,) = params
        name: str = data.__name__
        return name.removesuffix("Data") + "Webhook"
