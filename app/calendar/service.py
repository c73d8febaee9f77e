"""The private calendar feed: one event per active interview's dated next action, at its
earliest allowed time, built from the agenda so that both always agree."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.calendar import repository
from app.calendar.models import CalendarFeed
from app.calendar.schemas import CalendarPublic
from app.core.pagination import MAX_LIMIT
from app.core.problems import NotFound
from app.followups import service as followup_service
from app.followups.schemas import AgendaItem
from app.rules import Action
from app.users.models import User

EVENT_LENGTH = timedelta(minutes=15)
PRODUCT_ID = "-//followup//follow-ups//EN"
ACTION_TITLES = {
    Action.SEND_THANK_YOU: "Thank-you note",
    Action.SEND_STATUS_CHECK: "Status check",
    Action.ESCALATE_TO_HIRING_MANAGER: "Write to the hiring manager",
    Action.MOVE_ON: "Move on",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v1/calendar/{token}.ics"


def get(session: Session, *, user: User, base_url: str) -> CalendarPublic:
    """The feed URL, made on the first request."""
    feed = repository.get_for_user(session, user_id=user.id)
    if feed is None:
        try:
            with session.begin_nested():
                feed = repository.save(session, feed=CalendarFeed(user_id=user.id, token=new_token()))
        except IntegrityError:
            # Another first request of the same user made it a moment ago.
            feed = repository.get_for_user(session, user_id=user.id)
            assert feed is not None
    return CalendarPublic(url=feed_url(base_url, feed.token))


def rotate(session: Session, *, user: User, base_url: str) -> CalendarPublic:
    """A new feed URL; the previous one answers 404 from now on."""
    feed = repository.get_for_user(session, user_id=user.id, for_update=True) or CalendarFeed(
        user_id=user.id, token=new_token()
    )
    feed.token = new_token()
    repository.save(session, feed=feed)
    return CalendarPublic(url=feed_url(base_url, feed.token))


def _agenda(session: Session, user: User, now: datetime) -> Iterator[AgendaItem]:
    cursor = None
    while True:
        items, cursor = followup_service.agenda(
            session, user=user, due_by=None, limit=MAX_LIMIT, cursor=cursor, now=now
        )
        yield from (AgendaItem.model_validate(item) for item in items)
        if cursor is None:
            return


def summary(item: AgendaItem) -> str:
    action, company = item.next_action, item.interview.company
    if action.action is Action.MOVE_ON:
        return f"Move on from {company}"
    to = f" to {action.contact.name}" if action.contact is not None else ""
    return f"{ACTION_TITLES[action.action]}{to} ({company})"


def description(item: AgendaItem) -> str:
    action = item.next_action
    parts = [f"{item.interview.role_title} at {item.interview.company}", action.reason]
    if action.contact is not None and action.contact.email:
        parts.append(f"To: {action.contact.name} <{action.contact.email}>")
    if action.draft is not None:
        parts.append(f"Draft\nSubject: {action.draft.subject}\n\n{action.draft.body}")
    return "\n\n".join(parts)


def render(session: Session, *, token: str, now: datetime) -> bytes:
    """The iCalendar document of the feed with this token; 404 for an unknown token."""
    feed = repository.get_by_token(session, token=token)
    user = session.get(User, feed.user_id) if feed is not None else None
    if user is None:
        raise NotFound("No calendar with this address; ask GET /v1/calendar for yours.")
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Follow-ups")
    calendar.add("x-published-ttl", "PT1H")
    for item in _agenda(session, user, now):
        earliest = item.next_action.earliest_allowed_at
        assert earliest is not None  # the agenda holds dated actions only
        # In UTC: a fixed offset has no TZID, and would be written as a floating time.
        start = earliest.astimezone(UTC)
        event = Event()
        event.add("uid", f"{item.interview.id}@followup")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", summary(item))
        event.add("description", description(item))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
