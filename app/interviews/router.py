from __future__ import annotations

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import CurrentUser
from app.core.etags import CREATED_RESPONSES, READ_RESPONSES, IfMatch, IfNoneMatch, send
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import (
    AUTH_RESPONSES,
    CONFLICT_RESPONSES,
    NOT_FOUND_RESPONSES,
    NOT_MODIFIED_RESPONSES,
    PRECONDITION_RESPONSES,
    VALIDATION_RESPONSES,
)
from app.core.session import SessionDep
from app.interviews import service
from app.interviews.schemas import InterviewCreate, InterviewId, InterviewPublic, InterviewUpdate
from app.rules import Status

router = APIRouter(
    route_class=JsonRoute, prefix="/v1/interviews", tags=["interviews"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createInterview",
    responses=CREATED_RESPONSES,
)
def create_interview(
    session: SessionDep, user: CurrentUser, body: InterviewCreate, response: Response
) -> InterviewPublic:
    """Track an interview, with its contacts."""
    return send(response, service.create(session, user=user, body=body))


@router.get("", operation_id="listInterviews")
def list_interviews(
    session: SessionDep,
    user: CurrentUser,
    status: Status | None = Query(default=None, description="Only interviews with this status."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[InterviewPublic]:
    """List your interviews, oldest first."""
    rows, next_cursor = service.list_page(session, user=user, status=status, limit=limit, cursor=cursor)
    return Page(data=list(rows), next_cursor=next_cursor)


@router.get(
    "/{interview_id}",
    operation_id="getInterview",
    responses=READ_RESPONSES | NOT_MODIFIED_RESPONSES | NOT_FOUND_RESPONSES,
)
def get_interview(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> InterviewPublic:
    """Read one interview; its `ETag` header names this version."""
    return send(response, service.get(session, user=user, interview_id=interview_id), if_none_match)


@router.patch(
    "/{interview_id}",
    operation_id="updateInterview",
    responses=READ_RESPONSES | NOT_FOUND_RESPONSES | CONFLICT_RESPONSES | PRECONDITION_RESPONSES,
)
def update_interview(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    body: InterviewUpdate,
    response: Response,
    preconditions: IfMatch,
) -> InterviewPublic:
    """Change an interview: details, `status` (set by hand) or `snoozed_until`. With
    `If-Match`, only if nobody changed it since you read that ETag (else 412)."""
    updated = service.update(session, user=user, interview_id=interview_id, body=body, preconditions=preconditions)
    return send(response, updated)


@router.delete(
    "/{interview_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteInterview",
    responses=NOT_FOUND_RESPONSES | PRECONDITION_RESPONSES,
)
def delete_interview(
    session: SessionDep, user: CurrentUser, interview_id: InterviewId, preconditions: IfMatch
) -> Response:
    """Delete an interview with its contacts and events (with `If-Match`: only that version)."""
    service.delete(session, user=user, interview_id=interview_id, preconditions=preconditions)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
