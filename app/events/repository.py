from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from app.core.pagination import after
from app.events.models import Event
from app.rules import EventType

# id, type, occurred_at, contact_id, decision_expected_by, interview_at, seq


def list_engine_rows(session: Session, *, interview_id: str) -> Sequence[Any]:
    """The interview's events, oldest first, as plain rows of what the rules engine reads.
    Every write refreshes the stored next action from all the events, so this skips
    building ORM objects: several times faster on an interview with many events."""
    query = core_select(
        col(Event.id),
        col(Event.type),
        col(Event.occurred_at),
        col(Event.contact_id),
        col(Event.decision_expected_by),
        col(Event.interview_at),
        col(Event.seq),
        col(Event.returns_on),
        col(Event.duration_minutes),
        col(Event.invite_uid),
        col(Event.address),
        col(Event.status),
    ).where(col(Event.interview_id) == interview_id)
    session.flush()  # the connection, unlike the session, does not flush pending changes
    return session.connection().execute(query.order_by(col(Event.occurred_at), col(Event.seq))).all()


def list_page(
    session: Session, *, interview_id: str, limit: int, start_after: tuple[object, int] | None
) -> Sequence[Event]:
    query = select(Event).where(Event.interview_id == interview_id)
    if start_after is not None:
        query = query.where(after([col(Event.occurred_at), col(Event.seq)], start_after))
    return session.exec(query.order_by(col(Event.occurred_at), col(Event.seq)).limit(limit + 1)).all()


def next_seq(session: Session, *, interview_id: str) -> int:
    """The next insertion number of the interview's events. The caller holds the
    interview's row lock (or SQLite's write lock), so concurrent writers cannot read the
    same maximum; the unique (interview_id, seq) constraint backs this up."""
    highest = session.exec(select(func.max(Event.seq)).where(Event.interview_id == interview_id)).one()
    return (highest or 0) + 1


def latest(session: Session, *, interview_id: str, type: EventType, source: str | None = None) -> Event | None:
    """The interview's latest event of `type` (from `source` when given)."""
    query = select(Event).where(Event.interview_id == interview_id, Event.type == type)
    if source is not None:
        query = query.where(Event.source == source)
    return session.exec(query.order_by(col(Event.occurred_at).desc(), col(Event.seq).desc())).first()


def latest_round(session: Session, *, interview_id: str) -> Event | None:
    return latest(session, interview_id=interview_id, type=EventType.ROUND_SCHEDULED)


def add(session: Session, *, event: Event) -> Event:
    session.add(event)
    session.flush()
    return event
