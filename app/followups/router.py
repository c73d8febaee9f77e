from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.followups import service
from app.followups.schemas import AgendaItem, NextActionPublic, OutreachCheckRequest, OutreachCheckResult
from app.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.schemas import Timestamp

JSON = "application/json"

router = APIRouter(prefix="/v1", tags=["follow-ups"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES)


# The two reads a home screen calls constantly are async routes. The next action reads its
# stored result on the event loop (app.db.LoopReads) and computes in a worker thread only
# when it must; the agenda does all its work in one hop to a worker thread. A sync route
# with the request's session would take three (the route, the commit, and FastAPI
# validating the returned model again). They answer JSON serialized once by the model that
# built it; the response_model keeps the answer's schema in the OpenAPI document.
@router.get(
    "/interviews/{interview_id}/next-action",
    operation_id="getNextAction",
    response_model=NextActionPublic,
    responses=NOT_FOUND_RESPONSES,
)
async def get_next_action(
    request: Request,
    user: CurrentUser,
    interview_id: str,
    at: Timestamp | None = Query(
        default=None, description="Evaluate as of this time (events after it are ignored); now when omitted."
    ),
) -> Response:
    """What to do next for this interview, and when."""
    return Response(
        await service.answer_json(request.app, user=user, interview_id=interview_id, at=at), media_type=JSON
    )


@router.post("/interviews/{interview_id}/outreach-check", operation_id="checkOutreach", responses=NOT_FOUND_RESPONSES)
def check_outreach(
    session: SessionDep, user: CurrentUser, interview_id: str, body: OutreachCheckRequest
) -> OutreachCheckResult:
    """May I send this message to this person now? Lists every rule it would break."""
    return service.check_outreach(session, user=user, interview_id=interview_id, body=body)


@router.get("/follow-ups", operation_id="listFollowUps", response_model=Page[AgendaItem])
async def list_follow_ups(
    request: Request,
    user: CurrentUser,
    due_by: Timestamp | None = Query(default=None, description="Only actions allowed by this time."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The agenda: active interviews with their next action, earliest first."""
    body = await service.agenda_answer(request.app, user=user, due_by=due_by, limit=limit, cursor=cursor)
    return Response(body, media_type=JSON)
