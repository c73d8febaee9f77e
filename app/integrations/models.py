from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class DeliveryResult(StrEnum):
    """What became of a verified ATS delivery."""

    APPLIED = "applied"  # became an event on the linked interview
    DUPLICATE = "duplicate"  # its delivery key was seen before; nothing applied
    IGNORED = "ignored"  # verified, but changes no follow-up (a ping, a test, another action)
    UNMATCHED = "unmatched"  # waits for an interview linked to its application
    FAILED = "failed"  # verified, but its payload could not be applied


class Integration(SQLModel, table=True):
    """An inbound connection from an applicant-tracking system. The secrets must stay
    usable for HMAC, so they are kept as given; they are never answered after the
    response that made them, and are left out of the repr."""

    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_user_id_created_at", "user_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    provider: str = Field(max_length=16)
    company: str = Field(max_length=200)
    secret: str = Field(max_length=200, repr=False)
    # During a rotation the previous secret is accepted too, until it expires.
    previous_secret: str | None = Field(default=None, max_length=200, repr=False)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    secret_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One verified request to an integration's webhook URL, kept as received (an inbox),
    with what became of it."""

    __tablename__ = "integration_deliveries"
    __table_args__ = (
        # A delivery key is taken once per integration: the row that holds it in
        # `dedupe_key` is the one that was applied; repeats are stored with NULL there.
        UniqueConstraint("integration_id", "dedupe_key"),
        Index("ix_integration_deliveries_integration_id_received_at", "integration_id", "received_at"),
        Index("ix_integration_deliveries_integration_id_application_id", "integration_id", "application_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    integration_id: str = Field(foreign_key="integrations.id", ondelete="CASCADE", max_length=36)
    provider: str = Field(max_length=16)
    delivery_key: str = Field(max_length=255)
    dedupe_key: str | None = Field(default=None, max_length=255)
    action: str | None = Field(default=None, max_length=200)
    application_id: str | None = Field(default=None, max_length=200)
    result: str = Field(max_length=16)
    detail: str | None = Field(default=None, max_length=2000)
    event_id: str | None = Field(default=None, foreign_key="events.id", ondelete="SET NULL", max_length=36)
    interview_id: str | None = Field(default=None, foreign_key="interviews.id", ondelete="SET NULL", max_length=36)
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False), repr=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
