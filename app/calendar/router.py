from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.auth.dependencies import CurrentUser
from app.calendar import service
from app.calendar.schemas import CalendarPublic
from app.core.columns import utcnow
from app.core.config import SettingsDep
from app.core.json_input import JsonRoute
from app.core.problems import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep, writes
from app.core.urls import public_base_url

router = APIRouter(route_class=JsonRoute, prefix="/v1/calendar", tags=["calendar"], responses=VALIDATION_RESPONSES)
CALENDAR_MEDIA_TYPE = "text/calendar"
FeedToken = Annotated[str, Path(description="The secret part of your feed's URL (`GET /v1/calendar`).")]


@router.get("", operation_id="getCalendar", responses=AUTH_RESPONSES, dependencies=[Depends(writes)])
def get_calendar(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CalendarPublic:
    """Your private iCalendar feed URL (made on the first request)."""
    return service.get(session, user=user, base_url=public_base_url(request, settings))


@router.post("/rotate", operation_id="rotateCalendar", responses=AUTH_RESPONSES)
def rotate_calendar(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CalendarPublic:
    """A new feed URL; the previous one stops working."""
    return service.rotate(session, user=user, base_url=public_base_url(request, settings))


@router.get(
    "/{token}.ics",
    operation_id="getCalendarFeed",
    response_class=Response,
    responses={
        200: {"description": "An iCalendar document", "content": {CALENDAR_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **NOT_FOUND_RESPONSES,
    },
)
def get_calendar_feed(session: SessionDep, token: FeedToken) -> Response:
    """The feed itself, for calendar apps: no API key, the token in the URL is the key.
    One 15-minute event per follow-up, at its earliest allowed time."""
    return Response(
        content=service.render(session, token=token, now=utcnow()),
        media_type=f"{CALENDAR_MEDIA_TYPE}; charset=utf-8",
        headers={"Cache-Control": "private, no-cache"},
    )
