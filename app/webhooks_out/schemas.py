from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from app.core.etags import REPLAY_NOTE
from app.core.schemas import NotNull, Text, UTCTime
from app.followups.schemas import InterviewSummary, NextActionPublic
from app.rules import Action
from app.webhooks_out.models import DeliveryStatus, DisabledReason


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
        description='Event types to receive; `["*"]` (the default) is every type, including ones added later.',
        examples=[["follow_up.due", "next_action.changed"]],
    ),
    AfterValidator(_check_events),
]
Url = Annotated[
    Text,
    Field(
        max_length=2048,
        description="Where to POST events: https, on a public address (no redirects are followed).",
        examples=["https://hooks.example.com/followup"],
    ),
]
Description = Annotated[Text | None, Field(max_length=500, description="A note for yourself.")]


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


class EndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (you), `gone` (it answered 410) or `failing` (only failures for days)."
    )
    disabled_at: UTCTime | None
    failing_since: UTCTime | None = Field(description="The first failed attempt since the last success.")
    previous_secret_expires_at: UTCTime | None = Field(
        description="After a rotation, the previous secret signs too until this time."
    )
    created_at: UTCTime
    updated_at: UTCTime


class EndpointWithSecret(EndpointPublic):
    secret: str | None = Field(
        default=None,
        description="The signing secret (`whsec_` + base64 of 32 random bytes). Shown only this once; keep it safe."
        + REPLAY_NOTE,
        examples=["whsec_vbtlw0KETI7TAn9xuvAsMKuISEUC7AbKpCOW3yQyeBs="],
    )


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


class AttemptPublic(BaseModel):
    status: AttemptStatus
    attempted_at: UTCTime
    status_code: int | None = Field(description="The HTTP status answered; null when no answer came.")
    error: str | None = Field(description="Why it failed; null on success.")
    response_body: str | None = Field(description="The start of what the endpoint answered.")
    duration_ms: int
    manual: bool = Field(description="A retry you asked for (a single attempt).")
    next_attempt_at: UTCTime | None = Field(description="The attempt planned after this one; null if none.")


class WebhookDeliveryPublic(BaseModel):
    id: str
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt; deduplicate on it.")
    event_type: str
    status: DeliveryStatus
    created_at: UTCTime
    attempt_count: int = Field(description="Scheduled attempts made (out of 8).")
    last_attempt_at: UTCTime | None
    next_attempt_at: UTCTime | None
    payload: dict[str, Any] = Field(description="The body, as signed and sent.")
    attempts: list[AttemptPublic] = Field(description="Every attempt, oldest first.")


# The bodies sent to endpoints (Standard Webhooks: type, timestamp, data).


class PreviousAction(BaseModel):
    action: Action
    earliest_allowed_at: UTCTime | None


class InterviewEventData(BaseModel):
    interview: InterviewSummary
    next_action: NextActionPublic


class NextActionChangedData(InterviewEventData):
    previous: PreviousAction | None = Field(description="The action stored before; null for a new interview.")


class TestEventData(BaseModel):
    endpoint_id: str
    message: str


Data = TypeVar("Data", bound=BaseModel)


class WebhookMessage(BaseModel, Generic[Data]):
    type: str = Field(examples=["follow_up.due"])
    timestamp: datetime = Field(description="When the event happened (UTC).")
    data: Data
