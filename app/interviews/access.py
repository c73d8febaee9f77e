"""Finding the user's interview and recording a change to it: what the services of the
interview's parts (contacts, events, ATS deliveries) share with the interview's own
service, kept below all of them."""

from __future__ import annotations

from sqlmodel import Session

from app.contacts import repository as contact_repository
from app.contacts.models import Contact
from app.core.columns import utcnow
from app.core.problems import NotFound
from app.interviews import repository
from app.interviews.models import Interview
from app.nextaction import refresh
from app.users.models import User


def require(session: Session, *, user: User, interview_id: str, for_update: bool = False) -> Interview:
    """The user's interview, or 404: another user's interview looks like a missing one."""
    interview = repository.get(session, user_id=user.id, interview_id=interview_id, for_update=for_update)
    if interview is None:
        raise not_found()
    return interview


def not_found() -> NotFound:
    return NotFound("No interview with this id.")


def touch(session: Session, *, interview: Interview) -> None:
    """Record a change to the interview or to what hangs off it (its representation
    shows contacts and `updated_at`): a new version, and a fresh next action. The caller
    holds the interview's row lock."""
    interview.updated_at = utcnow()
    interview.version += 1
    refresh.refresh(session, interview=interview)


def contacts_of(session: Session, *, interview: Interview) -> list[Contact]:
    return list(contact_repository.list_for_interviews(session, interview_ids=[interview.id]))
