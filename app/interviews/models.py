from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow, version_field
from app.rules import Status


class StatusSource(StrEnum):
    """Where the interview's status came from. Only a status set by hand is given to the
    engine: one implied by an event is concluded by the engine from the event itself,
    which keeps evaluation as of an earlier time correct."""

    DEFAULT = "default"
    USER = "user"
    EVENT = "event"


class Interview(SQLModel, table=True):
    __tablename__ = "interviews"
    __table_args__ = (
        # The agenda's order (next_action_at, then id), so that a page is read off the
        # index with no sort, even when many actions share a time.
        Index("ix_interviews_user_id_next_action_at_id", "user_id", "next_action_at", "id"),
        Index("ix_interviews_user_id_created_at", "user_id", "created_at"),
        # One interview per application of an ATS integration.
        UniqueConstraint("integration_id", "ats_application_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    company: str = Field(max_length=200)
    role_title: str = Field(max_length=200)
    role_family: str = Field(max_length=32)
    # The first round, as the engine reads it; later rounds come from round_scheduled events.
    first_interview_at: datetime = Field(sa_type=UTCDateTime)
    # The current round (the latest round_scheduled event, else the first round).
    interview_at: datetime = Field(sa_type=UTCDateTime)
    duration_minutes: int = 60
    # The calendar invite the first round came from (an interview created from a message).
    invite_uid: str | None = Field(default=None, max_length=255)
    timezone: str | None = Field(default=None, max_length=64)
    decision_expected_by: date | None = None
    applied_on: date | None = None
    status: str = Field(default=Status.ACTIVE, max_length=16)
    status_source: str = Field(default=StatusSource.DEFAULT, max_length=16)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = version_field()
    # The stored next action, refreshed by every write that can change it, so that the
    # agenda is one indexed query.
    next_action: str = Field(default="none", max_length=40)
    next_action_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the stored result stops holding without any write (the thank-you window ends).
    next_action_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    next_action_policy_version: str = Field(default="", max_length=64)
    next_action_result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The ATS application this interview follows; its deliveries become events here.
    integration_id: str | None = Field(default=None, foreign_key="integrations.id", ondelete="SET NULL", max_length=36)
    ats_application_id: str | None = Field(default=None, max_length=200)
    # When the `follow_up.due` webhook of the stored action is to go out; null once it has
    # (or with no dated action). Kept by app.webhooks_out.outbox; the worker scans this index.
    due_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
