from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, utcnow


class CalendarFeed(SQLModel, table=True):
    """A user's private iCalendar feed. The token is the only credential of the feed URL
    (calendar apps send no headers), so it is random and replaced on rotation; it is kept
    in clear because `GET /v1/calendar` shows the URL again at any time."""

    __tablename__ = "calendar_feeds"

    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True, max_length=36)
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
