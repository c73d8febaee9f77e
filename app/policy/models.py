from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, utcnow, version_field


class PolicyOverrides(SQLModel, table=True):
    """The policy keys a user has set; everything else is the engine's default."""

    __tablename__ = "policies"

    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True, max_length=36)
    overrides: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = version_field()
