from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class ApiKey(SQLModel, table=True):
    """An API key; only its SHA-256 hash is kept. `prefix` is the visible part that
    tells keys apart (and finds the row) without revealing the secret."""

    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", index=True, max_length=36)
    name: str | None = Field(default=None, max_length=200)
    prefix: str = Field(max_length=32, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
