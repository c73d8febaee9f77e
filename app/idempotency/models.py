from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class IdempotencyKey(SQLModel, table=True):
    """A POST sent with an `Idempotency-Key`, and the answer it got, kept for replays.

    A row without `status_code` is in flight. `attempt` names the request that holds
    it; `committed_at` is written in that request's own transaction, so it is set if and
    only if the request's work was committed.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", "method", "path"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2048)
    # SHA-256 of the query string and the body: the same key must come with the same request.
    fingerprint: str = Field(max_length=64)
    attempt: str = Field(default_factory=new_id, max_length=36)
    locked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    committed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_code: int | None = None
    response_headers: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # None with a status: the answer held a secret shown only once (Cache-Control: no-store).
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
