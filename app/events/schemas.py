"""Event bodies: one model per event type, each with exactly its fields, in a union
discriminated by `type`, so that the schema (and the clients generated from it) say which
fields each type takes and which it requires."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, TypeAdapter

from app.core.pagination import Page
from app.core.schemas import DATE_RANGE, TIME_RANGE, Day, Public, Text, Timestamp, UTCTime
from app.core.tagged import TaggedErrors
from app.events.models import EventSource
from app.interviews.schemas import Minutes
from app.rules import EventType

# -- what the fields mean ---------------------------------------------------------------------

TYPE = "What happened; it decides which other fields the event carries."
OCCURRED_AT = f"When it happened; at most 5 minutes in the future. {TIME_RANGE}"
CONTACT_ID = "The contact of the same interview the event was with (who sent or received it); null when none."
CHANNEL = "How it was sent or received, in your words: `email`, `phone`, `linkedin`..."
NOTE = "Free text for you; the follow-up rules do not read it."
DECISION_EXPECTED_BY = (
    "The day the employer said they would decide. The nudge waits until the day after (or a week after, "
    f"with the policy's `deadline_grace` `one_week`). {DATE_RANGE}"
)
INTERVIEW_AT = f"When the new round starts. {TIME_RANGE}"
DURATION_MINUTES = "How long the round lasts, in minutes; the interview's `duration_minutes` when left out."
INVITE_UID = (
    "The calendar invite's UID. A `round_scheduled` with a UID seen before moves that round; a "
    "`round_cancelled` cancels the round of its UID."
)
RETURNS_ON = f"The day the sender says they are back, when the notice says. {DATE_RANGE}"
ADDRESS = (
    "The address the message could not be delivered to. A contact with this email is unreachable until its "
    "email changes."
)
STATUS = "The delivery status code of the failure, such as `5.1.1`, when known."

INVITE_UID_LENGTH = 255
ADDRESS_LENGTH = 320
STATUS_LENGTH = 32

# -- requests ---------------------------------------------------------------------------------


class _EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: EventType = Field(description=TYPE)
    occurred_at: Timestamp = Field(description=OCCURRED_AT)
    contact_id: Text | None = Field(default=None, max_length=64, description=CONTACT_ID)
    channel: Text | None = Field(default=None, max_length=50, description=CHANNEL, examples=["email"])
    note: Text | None = Field(default=None, max_length=5000, description=NOTE)


def _about(meaning: str, *examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"description": meaning, "examples": list(examples)})


THANK_YOU_SENT = (
    "You sent a thank-you after an interview. It settles the current round's thank-you: `send_thank_you` is "
    "not proposed again until a new round is scheduled."
)
STATUS_CHECK_SENT = (
    "You asked for news (a nudge). The next nudge comes `min_days_between_nudges` later; after "
    "`max_status_checks` unanswered nudges the follow-up escalates to the hiring manager once, then moves on. "
    "A nudge to a `hiring_manager` contact is that escalation."
)
VALUE_ADD_SENT = (
    "You sent something useful to the conversation (a post, a work sample). It is kept in the history; it is "
    "not a nudge and does not move the follow-ups."
)
REPLY_RECEIVED = (
    "The employer answered. A reply starts the nudges again from zero: the next status check is "
    "`no_timeline_wait_days` after it, or after the stated decision day."
)
TIMELINE_SHARED = (
    "The employer said when they will decide. It counts as a reply (the nudges start again), and the first "
    "nudge waits until after `decision_expected_by`; the newest statement in the round wins."
)
STAGE_CHANGED = (
    "The employer moved your application to another stage, usually reported by an ATS. It counts as a reply: "
    "the nudges start again."
)
AUTO_REPLY_RECEIVED = (
    "An automatic answer, such as an out-of-office notice. It is not a reply: the nudges go on. With "
    "`returns_on`, the next message to that contact waits until the day after their return."
)
ROUND_SCHEDULED = (
    "A new round was scheduled, or moved (an `invite_uid` seen before). It starts the round anew at "
    "`interview_at`: a thank-you after it, the nudges from zero, the decision day forgotten unless stated again."
)
ROUND_CANCELLED = (
    "The round of the invite `invite_uid` was cancelled: its `round_scheduled` events count as if never "
    "recorded. When the interview itself came from that invite, the follow-up waits for a new date."
)
MESSAGE_BOUNCED = (
    "A message to `address` came back undelivered for good. The contact with that email is not chosen for a "
    "follow-up until its email changes, and a nudge it bounced does not count."
)
REJECTED = "The employer turned you down. The interview is concluded: no follow-up is proposed any more."
OFFER_RECEIVED = "The employer made you an offer. The interview is concluded: no follow-up is proposed any more."
HIRED = "You were hired. The interview is concluded: no follow-up is proposed any more."
WITHDRAWN = "You withdrew from the process. The interview is concluded: no follow-up is proposed any more."
NOTE_EVENT = "A note of yours in the history. It changes nothing."

MONDAY_AFTERNOON = "2026-03-02T15:00:00-05:00"
TUESDAY_NOON = "2026-03-03T12:00:00-05:00"


class ThankYouSentEventCreate(_EventCreate):
    model_config = _about(
        THANK_YOU_SENT, {"type": "thank_you_sent", "occurred_at": MONDAY_AFTERNOON, "channel": "email"}
    )
    type: Literal[EventType.THANK_YOU_SENT] = Field(description=TYPE)


class StatusCheckSentEventCreate(_EventCreate):
    model_config = _about(
        STATUS_CHECK_SENT, {"type": "status_check_sent", "occurred_at": "2026-03-09T09:05:00-04:00", "channel": "email"}
    )
    type: Literal[EventType.STATUS_CHECK_SENT] = Field(description=TYPE)


class ValueAddSentEventCreate(_EventCreate):
    model_config = _about(
        VALUE_ADD_SENT,
        {
            "type": "value_add_sent",
            "occurred_at": "2026-03-04T10:00:00-05:00",
            "channel": "email",
            "note": "Sent Ben my post on queue back-pressure.",
        },
    )
    type: Literal[EventType.VALUE_ADD_SENT] = Field(description=TYPE)


class ReplyReceivedEventCreate(_EventCreate):
    model_config = _about(REPLY_RECEIVED, {"type": "reply_received", "occurred_at": TUESDAY_NOON, "channel": "email"})
    type: Literal[EventType.REPLY_RECEIVED] = Field(description=TYPE)


class TimelineSharedEventCreate(_EventCreate):
    model_config = _about(
        TIMELINE_SHARED,
        {"type": "timeline_shared", "occurred_at": TUESDAY_NOON, "decision_expected_by": "2026-03-06"},
    )
    type: Literal[EventType.TIMELINE_SHARED] = Field(description=TYPE)
    decision_expected_by: Day = Field(description=DECISION_EXPECTED_BY)


class StageChangedEventCreate(_EventCreate):
    model_config = _about(
        STAGE_CHANGED, {"type": "stage_changed", "occurred_at": "2026-03-05T09:30:00-05:00", "note": "Onsite"}
    )
    type: Literal[EventType.STAGE_CHANGED] = Field(description=TYPE)


class AutoReplyReceivedEventCreate(_EventCreate):
    model_config = _about(
        AUTO_REPLY_RECEIVED,
        {"type": "auto_reply_received", "occurred_at": "2026-03-09T09:06:00-04:00", "returns_on": "2026-03-16"},
    )
    type: Literal[EventType.AUTO_REPLY_RECEIVED] = Field(description=TYPE)
    returns_on: Day | None = Field(default=None, description=RETURNS_ON)


class RoundScheduledEventCreate(_EventCreate):
    model_config = _about(
        ROUND_SCHEDULED,
        {
            "type": "round_scheduled",
            "occurred_at": "2026-03-10T12:00:00-04:00",
            "interview_at": "2026-03-17T14:00:00-04:00",
            "duration_minutes": 45,
            "invite_uid": "round2-acme@calendar.example.com",
        },
    )
    type: Literal[EventType.ROUND_SCHEDULED] = Field(description=TYPE)
    interview_at: Timestamp = Field(description=INTERVIEW_AT)
    duration_minutes: Minutes | None = Field(default=None, description=DURATION_MINUTES)
    invite_uid: Text | None = Field(default=None, max_length=INVITE_UID_LENGTH, description=INVITE_UID)


class RoundCancelledEventCreate(_EventCreate):
    model_config = _about(
        ROUND_CANCELLED,
        {
            "type": "round_cancelled",
            "occurred_at": "2026-03-12T08:00:00-04:00",
            "invite_uid": "round2-acme@calendar.example.com",
        },
    )
    type: Literal[EventType.ROUND_CANCELLED] = Field(description=TYPE)
    invite_uid: Text = Field(max_length=INVITE_UID_LENGTH, description=INVITE_UID)


class MessageBouncedEventCreate(_EventCreate):
    model_config = _about(
        MESSAGE_BOUNCED,
        {
            "type": "message_bounced",
            "occurred_at": "2026-03-09T09:06:00-04:00",
            "address": "ana@example.com",
            "status": "5.1.1",
        },
    )
    type: Literal[EventType.MESSAGE_BOUNCED] = Field(description=TYPE)
    address: Text = Field(max_length=ADDRESS_LENGTH, description=ADDRESS, examples=["ana@example.com"])
    status: Text | None = Field(default=None, max_length=STATUS_LENGTH, description=STATUS)


class RejectedEventCreate(_EventCreate):
    model_config = _about(REJECTED, {"type": "rejected", "occurred_at": "2026-03-20T11:00:00-04:00"})
    type: Literal[EventType.REJECTED] = Field(description=TYPE)


class OfferReceivedEventCreate(_EventCreate):
    model_config = _about(
        OFFER_RECEIVED, {"type": "offer_received", "occurred_at": "2026-03-20T11:00:00-04:00", "channel": "phone"}
    )
    type: Literal[EventType.OFFER_RECEIVED] = Field(description=TYPE)


class HiredEventCreate(_EventCreate):
    model_config = _about(HIRED, {"type": "hired", "occurred_at": "2026-03-23T10:00:00-04:00"})
    type: Literal[EventType.HIRED] = Field(description=TYPE)


class WithdrawnEventCreate(_EventCreate):
    model_config = _about(
        WITHDRAWN,
        {"type": "withdrawn", "occurred_at": "2026-03-20T11:00:00-04:00", "note": "Took another offer."},
    )
    type: Literal[EventType.WITHDRAWN] = Field(description=TYPE)


class NoteEventCreate(_EventCreate):
    model_config = _about(
        NOTE_EVENT, {"type": "note", "occurred_at": TUESDAY_NOON, "note": "Ana said the team is hiring two."}
    )
    type: Literal[EventType.NOTE] = Field(description=TYPE)


CREATE_MODELS: Final[tuple[type[_EventCreate], ...]] = (
    ThankYouSentEventCreate,
    StatusCheckSentEventCreate,
    ValueAddSentEventCreate,
    ReplyReceivedEventCreate,
    TimelineSharedEventCreate,
    StageChangedEventCreate,
    AutoReplyReceivedEventCreate,
    RoundScheduledEventCreate,
    RoundCancelledEventCreate,
    MessageBouncedEventCreate,
    RejectedEventCreate,
    OfferReceivedEventCreate,
    HiredEventCreate,
    WithdrawnEventCreate,
    NoteEventCreate,
)


_CREATE_ERRORS: Final = TaggedErrors(CREATE_MODELS, field="type", noun="event")
assert sorted(_CREATE_ERRORS.tags) == sorted(EventType), "every event type has its model"


_CreateUnion = (
    ThankYouSentEventCreate
    | StatusCheckSentEventCreate
    | ValueAddSentEventCreate
    | ReplyReceivedEventCreate
    | TimelineSharedEventCreate
    | StageChangedEventCreate
    | AutoReplyReceivedEventCreate
    | RoundScheduledEventCreate
    | RoundCancelledEventCreate
    | MessageBouncedEventCreate
    | RejectedEventCreate
    | OfferReceivedEventCreate
    | HiredEventCreate
    | WithdrawnEventCreate
    | NoteEventCreate
)
# A request's event: the member of its `type`.
EventCreate = Annotated[_CreateUnion, Discriminator("type"), _CREATE_ERRORS.validator()]
EVENT_CREATE: Final = TypeAdapter[EventCreate](EventCreate)


def event_create(**fields: object) -> EventCreate:
    """The event of `fields["type"]` with these fields, validated as a request's would be
    (ValidationError otherwise): how the service builds the events it reads from mail and
    ATS deliveries."""
    return EVENT_CREATE.validate_python(fields)


# -- responses --------------------------------------------------------------------------------


class _Event(Public):
    type: EventType = Field(description=TYPE)
    id: str = Field(description="The event's id.")
    interview_id: str = Field(description="The interview it belongs to.")
    seq: int = Field(description="Insertion order within the interview; breaks ties between events at one instant.")
    occurred_at: UTCTime = Field(description="When it happened, in UTC.")
    contact_id: str | None = Field(description=CONTACT_ID)
    channel: str | None = Field(description=CHANNEL)
    note: str | None = Field(description=NOTE)
    source: EventSource = Field(
        description="Who recorded it: `api`, `mail` (read from a message), or the provider of an ATS integration."
    )
    message_id: str | None = Field(description="For `source` `mail`: the Message-ID of the message it was read from.")
    created_at: UTCTime = Field(description="When it was recorded, in UTC.")


_STORED = {
    "id": "0b7e4c55-2a43-4d3f-9c1e-5f0d8a6b2e71",
    "interview_id": "3f2c8e1a-6b4d-4c1e-9a7f-2d5e8b0c4a19",
    "contact_id": None,
    "channel": None,
    "note": None,
    "source": "api",
    "message_id": None,
}


def _answered(example: dict[str, Any], seq: int, occurred_at: str, created_at: str) -> dict[str, Any]:
    return _STORED | {"seq": seq, "occurred_at": occurred_at, "created_at": created_at} | example


class ThankYouSentEvent(_Event):
    model_config = _about(
        THANK_YOU_SENT,
        _answered(
            {"type": "thank_you_sent", "channel": "email", "contact_id": "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
            1,
            "2026-03-02T20:00:00Z",
            "2026-03-02T20:01:12Z",
        ),
    )
    type: Literal[EventType.THANK_YOU_SENT] = Field(description=TYPE)


class StatusCheckSentEvent(_Event):
    model_config = _about(
        STATUS_CHECK_SENT,
        _answered(
            {
                "type": "status_check_sent",
                "channel": "email",
                "source": "mail",
                "message_id": "<c4f1@mail.example.com>",
            },
            3,
            "2026-03-09T13:05:00Z",
            "2026-03-09T13:05:40Z",
        ),
    )
    type: Literal[EventType.STATUS_CHECK_SENT] = Field(description=TYPE)


class ValueAddSentEvent(_Event):
    model_config = _about(
        VALUE_ADD_SENT,
        _answered(
            {"type": "value_add_sent", "channel": "email", "note": "Sent Ben my post on queue back-pressure."},
            3,
            "2026-03-04T15:00:00Z",
            "2026-03-04T15:02:00Z",
        ),
    )
    type: Literal[EventType.VALUE_ADD_SENT] = Field(description=TYPE)


class ReplyReceivedEvent(_Event):
    model_config = _about(
        REPLY_RECEIVED,
        _answered({"type": "reply_received", "channel": "email"}, 2, "2026-03-03T17:00:00Z", "2026-03-03T17:10:00Z"),
    )
    type: Literal[EventType.REPLY_RECEIVED] = Field(description=TYPE)


class TimelineSharedEvent(_Event):
    model_config = _about(
        TIMELINE_SHARED,
        _answered(
            {"type": "timeline_shared", "decision_expected_by": "2026-03-06"},
            2,
            "2026-03-03T17:00:00Z",
            "2026-03-03T17:10:00Z",
        ),
    )
    type: Literal[EventType.TIMELINE_SHARED] = Field(description=TYPE)
    decision_expected_by: date = Field(description=DECISION_EXPECTED_BY)


class StageChangedEvent(_Event):
    model_config = _about(
        STAGE_CHANGED,
        _answered(
            {"type": "stage_changed", "note": "Onsite", "source": "greenhouse"},
            4,
            "2026-03-05T14:30:00Z",
            "2026-03-05T14:30:02Z",
        ),
    )
    type: Literal[EventType.STAGE_CHANGED] = Field(description=TYPE)


class AutoReplyReceivedEvent(_Event):
    model_config = _about(
        AUTO_REPLY_RECEIVED,
        _answered(
            {"type": "auto_reply_received", "returns_on": "2026-03-16", "source": "mail", "message_id": "<ooo@acme>"},
            5,
            "2026-03-09T13:06:00Z",
            "2026-03-09T13:06:30Z",
        ),
    )
    type: Literal[EventType.AUTO_REPLY_RECEIVED] = Field(description=TYPE)
    returns_on: date | None = Field(description=RETURNS_ON)


class RoundScheduledEvent(_Event):
    model_config = _about(
        ROUND_SCHEDULED,
        _answered(
            {
                "type": "round_scheduled",
                "interview_at": "2026-03-17T18:00:00Z",
                "duration_minutes": 45,
                "invite_uid": "round2-acme@calendar.example.com",
            },
            6,
            "2026-03-10T16:00:00Z",
            "2026-03-10T16:00:05Z",
        ),
    )
    type: Literal[EventType.ROUND_SCHEDULED] = Field(description=TYPE)
    interview_at: UTCTime = Field(description="When the new round starts, in UTC.")
    duration_minutes: int | None = Field(description=DURATION_MINUTES)
    invite_uid: str | None = Field(description=INVITE_UID)


class RoundCancelledEvent(_Event):
    model_config = _about(
        ROUND_CANCELLED,
        _answered(
            {"type": "round_cancelled", "invite_uid": "round2-acme@calendar.example.com"},
            7,
            "2026-03-12T12:00:00Z",
            "2026-03-12T12:00:05Z",
        ),
    )
    type: Literal[EventType.ROUND_CANCELLED] = Field(description=TYPE)
    invite_uid: str = Field(description=INVITE_UID)


class MessageBouncedEvent(_Event):
    model_config = _about(
        MESSAGE_BOUNCED,
        _answered(
            {"type": "message_bounced", "address": "ana@example.com", "status": "5.1.1"},
            5,
            "2026-03-09T13:06:00Z",
            "2026-03-09T13:06:30Z",
        ),
    )
    type: Literal[EventType.MESSAGE_BOUNCED] = Field(description=TYPE)
    address: str = Field(description=ADDRESS)
    status: str | None = Field(description=STATUS)


class RejectedEvent(_Event):
    model_config = _about(
        REJECTED, _answered({"type": "rejected", "source": "lever"}, 8, "2026-03-20T15:00:00Z", "2026-03-20T15:00:01Z")
    )
    type: Literal[EventType.REJECTED] = Field(description=TYPE)


class OfferReceivedEvent(_Event):
    model_config = _about(
        OFFER_RECEIVED,
        _answered({"type": "offer_received", "channel": "phone"}, 8, "2026-03-20T15:00:00Z", "2026-03-20T15:05:00Z"),
    )
    type: Literal[EventType.OFFER_RECEIVED] = Field(description=TYPE)


class HiredEvent(_Event):
    model_config = _about(
        HIRED, _answered({"type": "hired", "source": "greenhouse"}, 9, "2026-03-23T14:00:00Z", "2026-03-23T14:00:01Z")
    )
    type: Literal[EventType.HIRED] = Field(description=TYPE)


class WithdrawnEvent(_Event):
    model_config = _about(
        WITHDRAWN,
        _answered(
            {"type": "withdrawn", "note": "Took another offer."}, 8, "2026-03-20T15:00:00Z", "2026-03-20T15:02:00Z"
        ),
    )
    type: Literal[EventType.WITHDRAWN] = Field(description=TYPE)


class NoteEvent(_Event):
    model_config = _about(
        NOTE_EVENT,
        _answered(
            {"type": "note", "note": "Ana said the team is hiring two."},
            3,
            "2026-03-03T17:00:00Z",
            "2026-03-03T17:20:00Z",
        ),
    )
    type: Literal[EventType.NOTE] = Field(description=TYPE)


_PublicUnion = (
    ThankYouSentEvent
    | StatusCheckSentEvent
    | ValueAddSentEvent
    | ReplyReceivedEvent
    | TimelineSharedEvent
    | StageChangedEvent
    | AutoReplyReceivedEvent
    | RoundScheduledEvent
    | RoundCancelledEvent
    | MessageBouncedEvent
    | RejectedEvent
    | OfferReceivedEvent
    | HiredEvent
    | WithdrawnEvent
    | NoteEvent
)
# An answered event: the member of its `type`, with that type's fields.
EventPublic = Annotated[_PublicUnion, Discriminator("type")]
EVENT_PUBLIC: Final = TypeAdapter[EventPublic](EventPublic)


def to_public(row: object) -> EventPublic:
    """The answer for a stored event (an `app.events.models.Event`)."""
    return EVENT_PUBLIC.validate_python(row, from_attributes=True)


class EventPage(Page[EventPublic]):
    """A page of an interview's events, oldest first."""
