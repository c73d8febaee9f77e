from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.followups import service
from app.followups.schemas import AgendaItem, NextActionPublic, OutreachCheckRequest, OutreachCheckResult
from app.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.schemas import Timestamp

JSON = "application/json"

router = APIRouter(prefix="/v1", tags=["follow-ups"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES)


# The two reads a home screen calls constantly answer JSON serialized once, by the model
# that already validated it: returned as a model, FastAPI would validate it again (in a
# thread of its own, for a sync route) before serializing it. The response_model keeps
# the schema of the answer in the OpenAPI document.
@router.get(
    "/interviews/{interview_id}/next-action",
    operation_id="getNextAction",
    response_model=NextActionPublic,
    responses=NOT_FOUND_RESPONSES,
)
def get_next_action(
    session: SessionDep,
    user: CurrentUser,
    interview_id: str,
    at: Timestamp | None = Query(
        default=None, description="Evaluate as of this time (events after it are ignored); now when omitted."
    ),
) -> Response:
    """What to do next for this interview, and when."""
    result = service.get(session, user=user, interview_id=interview_id, at=at)
    return Response(result.model_dump_json(), media_type=JSON)


@router.post("/interviews/{interview_id}/outreach-check", operation_id="checkOutreach", responses=NOT_FOUND_RESPONSES)
def check_outreach(
    session: SessionDep, user: CurrentUser, interview_id: str, body: OutreachCheckRequest
) -> OutreachCheckResult:
    """May I send this message to this person now? Lists every rule it would break."""
    return service.check_outreach(session, user=user, interview_id=interview_id, body=body)


@router.get("/follow-ups", operation_id="listFollowUps", response_model=Page[AgendaItem])
def list_follow_ups(
    session: SessionDep,
    user: CurrentUser,
    due_by: Timestamp | None = Query(default=None, description="Only actions allowed by this time."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The agenda: active interviews with their next action, earliest first."""
    items, next_cursor = service.agenda(session, user=user, due_by=due_by, limit=limit, cursor=cursor)
    return Response(Page[AgendaItem](data=list(items), next_cursor=next_cursor).model_dump_json(), media_type=JSON)
