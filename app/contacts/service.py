from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.contacts import repository
from app.contacts.models import Contact
from app.contacts.schemas import MAX_CONTACTS, ContactCreate, ContactPublic, ContactUpdate
from app.core.etags import NONE, Preconditions, Tagged, make_etag
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, NotFound
from app.interviews import access as interview_access
from app.interviews.models import Interview
from app.users.models import User


def _require(session: Session, *, interview: Interview, contact_id: str) -> Contact:
    contact = repository.get(session, interview_id=interview.id, contact_id=contact_id)
    if contact is None:
        raise NotFound("No contact with this id in this interview.")
    return contact


def etag_of(contact: Contact) -> str:
    return make_etag("contact", contact.id, contact.version)


def _tagged(contact: Contact) -> Tagged[ContactPublic]:
    return Tagged(ContactPublic.model_validate(contact), etag_of(contact))


def _saved(session: Session, *, interview: Interview, contact: Contact) -> Tagged[ContactPublic]:
    repository.add(session, contact=contact)
    if contact.is_primary:
        # The demoted contact changes too: a new version for each.
        repository.clear_primary(session, interview_id=interview.id, except_id=contact.id)
    interview_access.touch(session, interview=interview)
    return _tagged(contact)


def create(session: Session, *, user: User, interview_id: str, body: ContactCreate) -> Tagged[ContactPublic]:
    """Add a contact; a new primary contact takes over from the previous one."""
    interview = interview_access.require(session, user=user, interview_id=interview_id, for_update=True)
    if repository.count(session, interview_id=interview.id) >= MAX_CONTACTS:
        raise Conflict(f"An interview has at most {MAX_CONTACTS} contacts; delete one first.")
    return _saved(session, interview=interview, contact=Contact(interview_id=interview.id, **body.model_dump()))


def list_page(
    session: Session, *, user: User, interview_id: str, limit: int, cursor: str | None
) -> tuple[Sequence[ContactPublic], str | None]:
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    start_after = None
    if cursor is not None:
        created_at, contact_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, contact_id)
    rows = repository.list_page(session, interview_id=interview.id, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    return [ContactPublic.model_validate(row) for row in kept], next_cursor


def get(session: Session, *, user: User, interview_id: str, contact_id: str) -> Tagged[ContactPublic]:
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    return _tagged(_require(session, interview=interview, contact_id=contact_id))


def update(
    session: Session,
    *,
    user: User,
    interview_id: str,
    contact_id: str,
    body: ContactUpdate,
    preconditions: Preconditions = NONE,
) -> Tagged[ContactPublic]:
    """Change a contact. Its interview's row lock serialises this with every other writer
    of the interview's contacts, so the If-Match comparison is atomic."""
    interview = interview_access.require(session, user=user, interview_id=interview_id, for_update=True)
    contact = _require(session, interview=interview, contact_id=contact_id)
    preconditions.check(etag_of(contact), what="contact")
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(contact, key, value)
    contact.version += 1
    return _saved(session, interview=interview, contact=contact)


def delete(
    session: Session, *, user: User, interview_id: str, contact_id: str, preconditions: Preconditions = NONE
) -> None:
    """Delete a contact; events that named it keep their place with no contact."""
    interview = interview_access.require(session, user=user, interview_id=interview_id, for_update=True)
    contact = _require(session, interview=interview, contact_id=contact_id)
    preconditions.check(etag_of(contact), what="contact")
    repository.delete(session, contact=contact)
    session.expire_all()
    interview_access.touch(session, interview=interview)
