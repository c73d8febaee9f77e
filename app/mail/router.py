from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.dependencies import CurrentUser
from app.core.columns import utcnow
from app.core.config import SettingsDep
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import (
    AUTH_RESPONSES,
    CONFLICT_RESPONSES,
    NOT_FOUND_RESPONSES,
    VALIDATION_RESPONSES,
    UnsupportedMediaType,
)
from app.core.session import SessionDep
from app.mail import service
from app.mail.models import Outcome, Via
from app.mail.schemas import EXAMPLE_MESSAGE, AssignBody, MailOutcome, MailSettingsPublic, MailSettingsUpdate

MAIL_MESSAGES_PATH = "/v1/mail/messages"
RFC822 = "message/rfc822"

router = APIRouter(
    route_class=JsonRoute, prefix="/v1/mail", tags=["mail"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


async def raw_message(request: Request) -> bytes:
    """The request's body, which must be one message (RFC 5322) sent as `message/rfc822`."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != RFC822:
        raise UnsupportedMediaType(f"Send the raw message with Content-Type: {RFC822}.")
    return await request.body()


RawMessage = Annotated[bytes, Depends(raw_message)]


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    operation_id="postMailMessage",
    responses={
        200: {"description": "A duplicate (the first outcome), or a dry run.", "model": MailOutcome},
        413: {"description": "Larger than `FOLLOWUP_MAIL_MAX_BYTES` (10 MiB by default)."},
        415: {"description": "Not sent as `message/rfc822`."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One raw email message (RFC 5322), as your mail client saves it (`.eml`).",
            "content": {RFC822: {"schema": {"type": "string"}, "example": EXAMPLE_MESSAGE}},
        }
    },
)
def post_message(
    session: SessionDep,
    user: CurrentUser,
    raw: RawMessage,
    response: Response,
    dry_run: bool = Query(default=False, description="Classify and match only; store nothing (200)."),
) -> MailOutcome:
    """Read one email message: a reply, an out-of-office, a bounce, an invite or one you
    sent. It is matched to one of your interviews and becomes events there."""
    outcome, new = service.ingest(session, user=user, raw=raw, at=utcnow(), via=Via.API, dry_run=dry_run)
    if dry_run or not new:
        response.status_code = status.HTTP_200_OK
    return outcome


@router.get("/messages", operation_id="listMailMessages")
def list_messages(
    session: SessionDep,
    user: CurrentUser,
    outcome: Outcome | None = Query(default=None, description="Only messages with this outcome."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MailOutcome]:
    """What arrived, newest first."""
    rows, next_cursor = service.list_page(session, user=user, outcome=outcome, limit=limit, cursor=cursor)
    return Page(data=rows, next_cursor=next_cursor)


@router.get("/messages/{message_id}", operation_id="getMailMessage", responses=NOT_FOUND_RESPONSES)
def get_message(session: SessionDep, user: CurrentUser, message_id: str) -> MailOutcome:
    """One message's record (its id in this API, not its Message-ID)."""
    return service.get(session, user=user, record_id=message_id)


@router.post(
    "/messages/{message_id}/assign",
    operation_id="assignMailMessage",
    responses=NOT_FOUND_RESPONSES | CONFLICT_RESPONSES,
)
def assign_message(session: SessionDep, user: CurrentUser, message_id: str, body: AssignBody) -> MailOutcome:
    """Apply an unmatched message to one of your interviews; an unknown sender becomes a
    contact of it."""
    return service.assign(session, user=user, record_id=message_id, interview_id=body.interview_id)


@router.get("/settings", operation_id="getMailSettings")
def get_settings(session: SessionDep, user: CurrentUser, settings: SettingsDep) -> MailSettingsPublic:
    """Your own addresses and your forwarding address."""
    return service.get_settings(session, user=user, mail_domain=settings.mail_domain)


@router.patch("/settings", operation_id="updateMailSettings")
def update_settings(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, body: MailSettingsUpdate
) -> MailSettingsPublic:
    """Set your other addresses: mail from them counts as sent by you."""
    return service.update_settings(session, user=user, body=body, mail_domain=settings.mail_domain)
