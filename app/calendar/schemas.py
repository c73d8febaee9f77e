from __future__ import annotations

from pydantic import ConfigDict, Field

from app.core.schemas import Public

FEED_EXAMPLE = "https://followup.example.com/v1/calendar/q8Zf3kLw0xN5rT2yVb7cHd9mJp4sGa6eXu1oYi3nKzE.ics"


class CalendarPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": FEED_EXAMPLE}]})

    url: str = Field(
        description="Your private feed: subscribe to it in a calendar app. Anyone with the URL can read it; "
        "rotate it if it leaks.",
        examples=[FEED_EXAMPLE],
    )
