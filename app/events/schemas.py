from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import DATE_RANGE, TIME_RANGE, Day, Text, Timestamp, UTCTime
from app.events.models import EventSource
from app.rules import EventType


class EventCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "thank_you_sent", "occurred_at": "2026-03-02T15:00:00-05:00", "channel": "email"},
                {
                    "type": "timeline_shared",
                    "occurred_at": "2026-03-03T12:00:00-05:00",
                    "decision_expected_by": "2026-03-06",
                },
                {
                    "type": "round_scheduled",
                    "occurred_at": "2026-03-10T12:00:00-04:00",
                    "interview_at": "2026-03-17T14:00:00-04:00",
                },
            ]
        },
    )

    type: EventType
    occurred_at: Timestamp = Field(description=f"When it happened; at most 5 minutes in the future. {TIME_RANGE}")
    contact_id: Text | None = Field(default=None, max_length=64, description="A contact of the same interview.")
    channel: Text | None = Field(default=None, max_length=50, examples=["email"])
    note: Text | None = Field(default=None, max_length=5000)
    decision_expected_by: Day | None = Field(default=None, description=f"Required for `timeline_shared`. {DATE_RANGE}")
    interview_at: Timestamp | None = Field(default=None, description=f"Required for `round_scheduled`. {TIME_RANGE}")
    duration_minutes: int | None = Field(
        default=None, ge=1, le=24 * 60, description="`round_scheduled`: how long the round lasts (default 60)."
    )
    invite_uid: Text | None = Field(
        default=None,
        max_length=255,
        description="`round_scheduled`, `round_cancelled` (required there): the calendar invite's UID. A "
        "`round_scheduled` with a UID seen before moves that round; a `round_cancelled` cancels it.",
    )
    returns_on: Day | None = Field(
        default=None,
        description=f"`auto_reply_received`: the day the sender is back, when the notice says. {DATE_RANGE}",
    )
    address: Text | None = Field(
        default=None,
        max_length=320,
        description="Required for `message_bounced`: the address the message could not be delivered to. A contact "
        "with this email is unreachable until its email changes.",
    )
    status: Text | None = Field(
        default=None, max_length=32, description="`message_bounced`: the delivery status code, such as `5.1.1`."
    )


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    interview_id: str
    seq: int = Field(description="Insertion order within the interview.")
    type: EventType
    occurred_at: UTCTime
    contact_id: str | None
    channel: str | None
    note: str | None
    decision_expected_by: date | None
    interview_at: UTCTime | None
    duration_minutes: int | None
    invite_uid: str | None
    returns_on: date | None
    address: str | None
    status: str | None
    source: EventSource = Field(
        description="Who recorded it: `api`, `mail` (read from a message), or the provider of an ATS integration."
    )
    message_id: str | None = Field(description="For `source` `mail`: the Message-ID of the message it was read from.")
    created_at: UTCTime
