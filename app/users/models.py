from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=320, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
