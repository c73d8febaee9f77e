from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from app.events.models import Event
from app.pagination import after
from app.rules import EventType


def list_all(session: Session, *, interview_id: str) -> Sequence[Event]:
    query = select(Event).where(Event.interview_id == interview_id)
    return session.exec(query.order_by(col(Event.occurred_at), col(Event.seq))).all()


def list_page(
    session: Session, *, interview_id: str, limit: int, start_after: tuple[object, int] | None
) -> Sequence[Event]:
    query = select(Event).where(Event.interview_id == interview_id)
    if start_after is not None:
        query = query.where(after([col(Event.occurred_at), col(Event.seq)], start_after))
    return session.exec(query.order_by(col(Event.occurred_at), col(Event.seq)).limit(limit + 1)).all()


def next_seq(session: Session, *, interview_id: str) -> int:
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
