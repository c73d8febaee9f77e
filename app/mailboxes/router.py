from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.auth.dependencies import CurrentUser
from app.core.config import SettingsDep
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
from app.mailboxes import service
from app.mailboxes.schemas import MailboxCreate, MailboxId, MailboxPublic, MailboxUpdate

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/mailboxes",
    tags=["mail"],
    responses=AUTH_RESPONSES | VALIDATION_RESPONSES,
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createMailbox",
    responses=CREATED_RESPONSES | service.SECRET_KEY_RESPONSES,
)
def create_mailbox(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, body: MailboxCreate, response: Response
) -> MailboxPublic:
    """Connect an IMAP mailbox: the worker then reads INBOX and the Sent folder for follow-up
    signals. Checked by logging in (a refusal is a 422 with the server's answer); the
    password is kept encrypted and never shown again."""
    return send(response, service.create(session, user=user, body=body, settings=settings))


@router.get("", operation_id="listMailboxes")
def list_mailboxes(
    session: SessionDep, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[MailboxPublic]:
    """Your connected mailboxes, oldest first."""
    rows, next_cursor = service.list_page(session, user=user, limit=limit, cursor=cursor)
    return Page(data=rows, next_cursor=next_cursor)


@router.get(
    "/{mailbox_id}",
    operation_id="getMailbox",
    responses=READ_RESPONSES | NOT_MODIFIED_RESPONSES | NOT_FOUND_RESPONSES,
)
def get_mailbox(
    session: SessionDep, user: CurrentUser, mailbox_id: MailboxId, response: Response, if_none_match: IfNoneMatch = None
) -> MailboxPublic:
    """One mailbox: its status, its last error, when it was last synced and how far each folder was read."""
    return send(response, service.get(session, user=user, mailbox_id=mailbox_id), if_none_match)


@router.patch(
    "/{mailbox_id}",
    operation_id="updateMailbox",
    responses=READ_RESPONSES | NOT_FOUND_RESPONSES | PRECONDITION_RESPONSES | service.SECRET_KEY_RESPONSES,
)
def update_mailbox(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    mailbox_id: MailboxId,
    body: MailboxUpdate,
    response: Response,
    preconditions: IfMatch,
) -> MailboxPublic:
    """Change the credentials (checked by logging in, as when connecting), or disable and
    enable the syncs. New credentials are synced at once (a mailbox in `error` with them too)."""
    return send(
        response,
        service.update(
            session, user=user, mailbox_id=mailbox_id, body=body, settings=settings, preconditions=preconditions
        ),
    )


@router.delete(
    "/{mailbox_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteMailbox",
    responses=NOT_FOUND_RESPONSES | PRECONDITION_RESPONSES,
)
def delete_mailbox(session: SessionDep, user: CurrentUser, mailbox_id: MailboxId, preconditions: IfMatch) -> Response:
    """Disconnect a mailbox: its credentials are deleted at once. What it brought in stays."""
    service.delete(session, user=user, mailbox_id=mailbox_id, preconditions=preconditions)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{mailbox_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="syncMailbox",
    responses=NOT_FOUND_RESPONSES | CONFLICT_RESPONSES,
)
def sync_mailbox(session: SessionDep, user: CurrentUser, mailbox_id: MailboxId, response: Response) -> MailboxPublic:
    """Sync now: a worker reads the mailbox at its next pass (`next_sync_at`)."""
    return send(response, service.sync_now(session, user=user, mailbox_id=mailbox_id))
