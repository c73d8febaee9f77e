from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.dependencies import CurrentUser
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.problems import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep
from app.events import service
from app.events.schemas import EventCreate, EventPage, EventPublic
from app.interviews.schemas import InterviewId

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/interviews/{interview_id}/events",
    tags=["events"],
    responses=AUTH_RESPONSES | NOT_FOUND_RESPONSES | VALIDATION_RESPONSES,
)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createEvent")
def create_event(session: SessionDep, user: CurrentUser, interview_id: InterviewId, body: EventCreate) -> EventPublic:
    """Record something that happened: a message sent or received, a new round, an outcome."""
    return service.create(session, user=user, interview_id=interview_id, body=body)


@router.get("", operation_id="listEvents")
def list_events(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> EventPage:
    """List the interview's events, oldest first."""
    rows, next_cursor = service.list_page(session, user=user, interview_id=interview_id, limit=limit, cursor=cursor)
    return EventPage(data=list(rows), next_cursor=next_cursor)
