from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.auth.dependencies import CurrentUser
from app.core.columns import utcnow
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.core.schemas import TIME_RANGE, Timestamp
from app.core.session import SessionDep
from app.followups import service
from app.followups.schemas import AgendaItem, NextActionPublic, OutreachCheckRequest, OutreachCheckResult
from app.interviews.schemas import InterviewId

JSON = "application/json"

router = APIRouter(
    route_class=JsonRoute, prefix="/v1", tags=["follow-ups"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


# The next action and the agenda answer JSON serialized once, from the stored results as
# they were stored (validated by the model when they were written); the response_model
# keeps the answer's schema in the OpenAPI document.
@router.get(
    "/interviews/{interview_id}/next-action",
    operation_id="getNextAction",
    response_model=NextActionPublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_next_action(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    at: Timestamp | None = Query(
        default=None,
        description=f"Evaluate as of this time (events after it are ignored); now when omitted. {TIME_RANGE}",
    ),
) -> Response:
    """What to do next for this interview, and when."""
    answer = service.next_action(session, user=user, interview_id=interview_id, at=at, now=utcnow())
    return Response(service.to_json(answer), media_type=JSON)


@router.post("/interviews/{interview_id}/outreach-check", operation_id="checkOutreach", responses=NOT_FOUND_RESPONSES)
def check_outreach(
    session: SessionDep, user: CurrentUser, interview_id: InterviewId, body: OutreachCheckRequest
) -> OutreachCheckResult:
    """May I send this message to this person now? Lists every rule it would break."""
    return service.check_outreach(session, user=user, interview_id=interview_id, body=body)


@router.get("/follow-ups", operation_id="listFollowUps", response_model=Page[AgendaItem])
def list_follow_ups(
    session: SessionDep,
    user: CurrentUser,
    due_by: Timestamp | None = Query(default=None, description=f"Only actions allowed by this time. {TIME_RANGE}"),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The agenda: active interviews with their next action, earliest first."""
    items, next_cursor = service.agenda(session, user=user, due_by=due_by, limit=limit, cursor=cursor, now=utcnow())
    return Response(service.to_json({"data": items, "next_cursor": next_cursor}), media_type=JSON)
