"""Outbound webhooks: the user's endpoints, one delivery row per (event, endpoint) written
in the transaction that caused the event (the outbox), and every attempt to send it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class DisabledReason(StrEnum):
    """Why an endpoint receives no more webhooks: switched off (`manual`), answered 410
    Gone (`gone`), or nothing but failures for too long (`failing`)."""

    MANUAL = "manual"  # PATCH enabled=false
    GONE = "gone"  # the endpoint answered 410 Gone
    FAILING = "failing"  # nothing but failures for webhooks_disable_after_hours


class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands: still being tried, delivered, or given up."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AttemptState(StrEnum):
    """Where an attempt stands. The row is written before the request is sent, so that an
    attempt whose worker died is still on record."""

    SENDING = "sending"  # the request is under way
    SETTLED = "settled"  # the answer, or the error, is recorded
    # The worker's lease ran out before it recorded anything: the endpoint may or may not
    # have received the request.
    UNKNOWN = "unknown"


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_user_id_created_at", "user_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    # Event types, or ["*"] for all of them (those added later included).
    events: list[str] = Field(default_factory=lambda: ["*"], sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=16)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Kept in clear: every delivery is signed with it. Shown to the user only when made.
    secret: str = Field(max_length=100)
    # After a rotation the previous secret signs too, until it expires.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The first failure since the last success; the endpoint is disabled when it gets too old.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: its exact body, and where its delivery stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id"),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", ondelete="CASCADE", max_length=36)
    # The `webhook-id` header: the same on every attempt, and for every endpoint of one event.
    message_id: str = Field(max_length=40)
    event_type: str = Field(max_length=64)
    # The body exactly as sent and signed (minified JSON).
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    # Scheduled attempts made so far (manual retries are not counted).
    attempt_count: int = 0
    # When a worker may next send it; null when nothing more is planned.
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # A worker that claimed it sends it before then; afterwards another worker may.
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    delivery_id: str = Field(foreign_key="webhook_deliveries.id", ondelete="CASCADE", index=True, max_length=36)
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    # Indexed for the sweep that finds attempts left `sending` by a worker that died. The
    # server default serves the previous release during a rolling upgrade: it inserts its
    # attempts only once they are settled, and knows nothing of this column.
    state: str = Field(
        default=AttemptState.SETTLED,
        max_length=16,
        index=True,
        sa_column_kwargs={"server_default": AttemptState.SETTLED.value},
    )
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    response_body: str | None = Field(default=None, max_length=1000)
    duration_ms: int = 0
    manual: bool = False
    # What was planned after this attempt; null when it was the last.
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FollowUpNotice(SQLModel, table=True):
    """A `follow_up.due` already emitted: at most one per interview, action and time."""

    __tablename__ = "follow_up_notices"
    __table_args__ = (PrimaryKeyConstraint("interview_id", "action", "earliest_allowed_at"),)

    interview_id: str = Field(foreign_key="interviews.id", ondelete="CASCADE", max_length=36)
    action: str = Field(max_length=40)
    earliest_allowed_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
