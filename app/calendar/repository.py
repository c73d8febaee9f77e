from __future__ import annotations

from sqlmodel import Session, select

from app.calendar.models import CalendarFeed


def get_for_user(session: Session, *, user_id: str, for_update: bool = False) -> CalendarFeed | None:
    query = select(CalendarFeed).where(CalendarFeed.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def get_by_token(session: Session, *, token: str) -> CalendarFeed | None:
    return session.exec(select(CalendarFeed).where(CalendarFeed.token == token)).first()


def save(session: Session, *, feed: CalendarFeed) -> CalendarFeed:
    session.add(feed)
    session.flush()
    return feed
