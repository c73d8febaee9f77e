from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class IdempotencyKey(SQLModel, table=True):
    """A POST sent with an `Idempotency-Key`, and the answer it got, kept for replays.

    It is written in the transaction of the work it guards, with the answer, just before
    that transaction commits: a row exists if and only if the work was committed.
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
    status_code: int | None = None
    response_headers: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set in the same transaction just before it commits; the secrets of an answer shown
    # once are left out (app.idempotency.middleware).
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
