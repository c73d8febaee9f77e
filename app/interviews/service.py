from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.contacts import repository as contact_repository
from app.contacts.models import Contact
from app.contacts.schemas import ContactPublic
from app.core.etags import NONE, Preconditions, Tagged, make_etag
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, InvalidInput, ProblemError
from app.events import repository as event_repository
from app.integrations import service as integration_service
from app.interviews import repository
from app.interviews.access import not_found, require, touch
from app.interviews.models import Interview, StatusSource
from app.interviews.schemas import LINK_FIELDS, REQUIRED_FIELDS, InterviewCreate, InterviewPublic, InterviewUpdate
from app.mail import service as mail_service
from app.nextaction import refresh
from app.rules import Status
from app.users.models import User


def etag_of(interview: Interview) -> str:
    return make_etag("interview", interview.id, interview.version)


def to_public(session: Session, interviews: Sequence[Interview]) -> list[InterviewPublic]:
    contacts: dict[str, list[ContactPublic]] = defaultdict(list)
    for contact in contact_repository.list_for_interviews(session, interview_ids=[i.id for i in interviews]):
        contacts[contact.interview_id].append(ContactPublic.model_validate(contact))
    return [
        InterviewPublic.model_validate(interview).model_copy(update={"contacts": contacts[interview.id]})
        for interview in interviews
    ]


def create(session: Session, *, user: User, body: InterviewCreate) -> Tagged[InterviewPublic]:
    primaries = [index for index, contact in enumerate(body.contacts) if contact.is_primary]
    if len(primaries) > 1:
        raise InvalidInput.at(["body", "contacts", primaries[1], "is_primary"], "Only one contact can be primary.")
    integration_service.check_link(
        session, user=user, integration_id=body.integration_id, ats_application_id=body.ats_application_id
    )
    invite = (
        mail_service.created_from(session, user=user, record_id=body.from_message_id) if body.from_message_id else None
    )
    fields = body.model_dump(exclude={"contacts", "from_message_id"})
    contacts = [contact.model_dump() for contact in body.contacts]
    if invite is not None:
        given = {name: fields[name] for name in body.model_fields_set if name in fields}
        fields, contacts = mail_service.interview_from_invite(invite, fields=fields, given=given, contacts=contacts)
    missing = [name for name in REQUIRED_FIELDS if fields[name] is None]
    if missing:
        errors = [ProblemError(loc=["body", name], msg="Field required") for name in missing]
        raise InvalidInput(f"Missing {', '.join(missing)}: give them, or from_message_id for an invite.", errors)
    interview = repository.add(
        session,
        interview=Interview(user_id=user.id, first_interview_at=fields["interview_at"], **fields),
    )
    for contact in contacts:
        contact_repository.add(session, contact=Contact(interview_id=interview.id, **contact))
    refresh.refresh(session, interview=interview)
    if invite is not None:
        mail_service.mark_created(session, record=invite, interview=interview)
    integration_service.apply_unmatched(session, interview=interview)
    return _tagged(session, interview)


def _tagged(session: Session, interview: Interview) -> Tagged[InterviewPublic]:
    return Tagged(to_public(session, [interview])[0], etag_of(interview))


def get(session: Session, *, user: User, interview_id: str) -> Tagged[InterviewPublic]:
    return _tagged(session, require(session, user=user, interview_id=interview_id))


def list_page(
    session: Session, *, user: User, status: Status | None, limit: int, cursor: str | None
) -> tuple[Sequence[InterviewPublic], str | None]:
    start_after = None
    if cursor is not None:
        created_at, interview_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, interview_id)
    rows = repository.list_page(session, user_id=user.id, status=status, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    return to_public(session, kept), next_cursor


def update(
    session: Session, *, user: User, interview_id: str, body: InterviewUpdate, preconditions: Preconditions = NONE
) -> Tagged[InterviewPublic]:
    changes = body.model_dump(exclude_unset=True)
    relinks = not set(LINK_FIELDS).isdisjoint(changes)
    if relinks:
        # Deliveries lock the integration before the interview; take them in that order too.
        current = require(session, user=user, interview_id=interview_id)
        integration_service.lock(
            session, user=user, integration_id=changes.get("integration_id", current.integration_id)
        )
    interview = require(session, user=user, interview_id=interview_id, for_update=True)
    preconditions.check(etag_of(interview), what="interview")
    if relinks:
        integration_service.check_link(
            session,
            user=user,
            integration_id=changes.get("integration_id", interview.integration_id),
            ats_application_id=changes.get("ats_application_id", interview.ats_application_id),
            interview_id=interview.id,
        )
    if "interview_at" in changes:
        if event_repository.latest_round(session, interview_id=interview.id) is not None:
            raise Conflict(
                "A later round is scheduled; record a new round_scheduled event instead of moving the first round."
            )
        interview.first_interview_at = changes["interview_at"]
    if "status" in changes:
        interview.status_source = StatusSource.USER
    for key, value in changes.items():
        setattr(interview, key, value)
    touch(session, interview=interview)
    if relinks:
        integration_service.apply_unmatched(session, interview=interview)
    return _tagged(session, interview)


def delete(session: Session, *, user: User, interview_id: str, preconditions: Preconditions = NONE) -> None:
    """Delete the interview with its contacts and events (the foreign keys cascade)."""
    interview = require(session, user=user, interview_id=interview_id, for_update=True)
    preconditions.check(etag_of(interview), what="interview")
    repository.delete(session, interview=interview)


__all__ = ["create", "delete", "etag_of", "get", "list_page", "not_found", "require", "to_public", "touch", "update"]
