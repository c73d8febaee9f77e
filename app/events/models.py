from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class EventSource(StrEnum):
    """Who recorded an event: the API, or an ATS integration of this provider."""

    API = "api"
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    STANDARD = "standard"
    MAIL = "mail"


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        # seq is the insertion order within an interview; it breaks ties between
        # events at the same instant.
        UniqueConstraint("interview_id", "seq"),
        Index("ix_events_interview_id_occurred_at", "interview_id", "occurred_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    interview_id: str = Field(foreign_key="interviews.id", ondelete="CASCADE", max_length=36)
    seq: int
    type: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    contact_id: str | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL", max_length=36)
    channel: str | None = Field(default=None, max_length=50)
    note: str | None = Field(default=None, max_length=5000)
    decision_expected_by: date | None = None
    interview_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_minutes: int | None = None
    invite_uid: str | None = Field(default=None, max_length=255)
    returns_on: date | None = None
    address: str | None = Field(default=None, max_length=320)
    status: str | None = Field(default=None, max_length=32)
    source: str = Field(
        default=EventSource.API, max_length=16, sa_column_kwargs={"server_default": EventSource.API.value}
    )
    # The Message-ID of the message this event was read from (source mail).
    message_id: str | None = Field(default=None, max_length=998)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
