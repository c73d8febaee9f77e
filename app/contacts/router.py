from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.auth.dependencies import CurrentUser
from app.contacts import service
from app.contacts.schemas import ContactCreate, ContactId, ContactPublic, ContactUpdate
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
from app.interviews.schemas import InterviewId

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/interviews/{interview_id}/contacts",
    tags=["contacts"],
    responses=AUTH_RESPONSES | NOT_FOUND_RESPONSES | VALIDATION_RESPONSES,
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createContact",
    responses=CREATED_RESPONSES | CONFLICT_RESPONSES,
)
def create_contact(
    session: SessionDep, user: CurrentUser, interview_id: InterviewId, body: ContactCreate, response: Response
) -> ContactPublic:
    """Add a person on the hiring team."""
    return send(response, service.create(session, user=user, interview_id=interview_id, body=body))


@router.get("", operation_id="listContacts")
def list_contacts(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ContactPublic]:
    """List the interview's contacts."""
    rows, next_cursor = service.list_page(session, user=user, interview_id=interview_id, limit=limit, cursor=cursor)
    return Page(data=list(rows), next_cursor=next_cursor)


@router.get("/{contact_id}", operation_id="getContact", responses=READ_RESPONSES | NOT_MODIFIED_RESPONSES)
def get_contact(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    contact_id: ContactId,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> ContactPublic:
    """Read one contact; its `ETag` header names this version."""
    found = service.get(session, user=user, interview_id=interview_id, contact_id=contact_id)
    return send(response, found, if_none_match)


@router.patch(
    "/{contact_id}",
    operation_id="updateContact",
    responses=READ_RESPONSES | PRECONDITION_RESPONSES,
)
def update_contact(
    session: SessionDep,
    user: CurrentUser,
    interview_id: InterviewId,
    contact_id: ContactId,
    body: ContactUpdate,
    response: Response,
    preconditions: IfMatch,
) -> ContactPublic:
    """Change a contact; making one primary demotes the previous primary. With `If-Match`,
    only if nobody changed it since you read that ETag (else 412)."""
    updated = service.update(
        session, user=user, interview_id=interview_id, contact_id=contact_id, body=body, preconditions=preconditions
    )
    return send(response, updated)


@router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteContact",
    responses=PRECONDITION_RESPONSES,
)
def delete_contact(
    session: SessionDep, user: CurrentUser, interview_id: InterviewId, contact_id: ContactId, preconditions: IfMatch
) -> Response:
    """Delete a contact; its events stay, with no contact (with `If-Match`: only that version)."""
    service.delete(session, user=user, interview_id=interview_id, contact_id=contact_id, preconditions=preconditions)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
