from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow, version_field


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    interview_id: str = Field(foreign_key="interviews.id", ondelete="CASCADE", index=True, max_length=36)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(max_length=32)
    is_primary: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = version_field()
