from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from app import rules
from app.core.columns import utcnow
from app.core.pagination import decode_cursor, page
from app.core.problems import InvalidInput
from app.events import repository
from app.events.models import Event, EventSource
from app.events.schemas import EventCreate, EventPublic, to_public
from app.interviews import access as interview_access
from app.interviews.models import Interview, StatusSource
from app.nextaction import refresh
from app.rules import TERMINAL_EVENT_STATUS, EventType
from app.users.models import User

# Clocks differ a little; an event dated further ahead than this has not happened yet.
FUTURE_TOLERANCE = timedelta(minutes=5)


def check(body: EventCreate, *, contact_ids: Collection[str], loc: Sequence[str | int] = ("body",)) -> None:
    """What an event's schema cannot say: its contact is one of the interview's."""
    if body.contact_id is not None and body.contact_id not in contact_ids:
        raise InvalidInput.at([*loc, "contact_id"], "No contact with this id in this interview.")


def validate(body: EventCreate, *, contact_ids: Collection[str], loc: Sequence[str | int] = ("body",)) -> None:
    """The checks an event must pass to be recorded now."""
    if body.occurred_at > utcnow() + FUTURE_TOLERANCE:
        raise InvalidInput.at([*loc, "occurred_at"], "occurred_at is in the future; record events once they happen.")
    check(body, contact_ids=contact_ids, loc=loc)


def _apply_to_interview(session: Session, interview: Interview, event: Event) -> None:
    kind = EventType(event.type)
    if kind in (EventType.ROUND_SCHEDULED, EventType.ROUND_CANCELLED):
        # The current round as the engine sees it: a reschedule replaces its invite's
        # earlier round, a cancellation brings back the round before it.
        facts = refresh.facts_for(session, interview)
        interview.interview_at = rules.current_round(facts, max(utcnow(), event.occurred_at)).starts_at
    elif kind in TERMINAL_EVENT_STATUS:
        interview.status = TERMINAL_EVENT_STATUS[kind]
        interview.status_source = StatusSource.EVENT


def create(session: Session, *, user: User, interview_id: str, body: EventCreate) -> EventPublic:
    """Record an event; a new round moves the interview's current round, a concluding
    event sets its status."""
    interview = interview_access.require(session, user=user, interview_id=interview_id, for_update=True)
    return to_public(record(session, interview=interview, body=body))


def record(
    session: Session,
    *,
    interview: Interview,
    body: EventCreate,
    source: EventSource = EventSource.API,
    message_id: str | None = None,
    loc: Sequence[str | int] = ("body",),
) -> Event:
    """Record an event on an interview the caller has locked, and refresh its status and
    next action; the API and the ATS integrations both come through here."""
    validate(body, contact_ids={c.id for c in interview_access.contacts_of(session, interview=interview)}, loc=loc)
    event = repository.add(
        session,
        event=Event(
            interview_id=interview.id,
            seq=repository.next_seq(session, interview_id=interview.id),
            source=source,
            message_id=message_id,
            **body.model_dump(),
        ),
    )
    _apply_to_interview(session, interview, event)
    interview_access.touch(session, interview=interview)
    return event


def list_page(
    session: Session, *, user: User, interview_id: str, limit: int, cursor: str | None
) -> tuple[Sequence[EventPublic], str | None]:
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    start_after = None
    if cursor is not None:
        occurred_at, seq = decode_cursor(cursor, (datetime, int))
        start_after = (occurred_at, seq)
    rows = repository.list_page(session, interview_id=interview.id, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.occurred_at, row.seq))
    return [to_public(row) for row in kept], next_cursor
