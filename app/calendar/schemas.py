from __future__ import annotations

from pydantic import BaseModel, Field


class CalendarPublic(BaseModel):
    url: str = Field(
        description="Your private feed: subscribe to it in a calendar app. Anyone with the URL can read it; "
        "rotate it if it leaks.",
        examples=["https://followup.example.com/v1/calendar/3q2-…-Xw.ics"],
    )
