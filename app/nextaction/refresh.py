"""Recompute an interview's next action and store it on the row, in the caller's
transaction. Every service whose write can change a next action calls `refresh`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app import rules
from app.contacts import repository as contact_repository
from app.contacts.models import Contact
from app.core.columns import utcnow
from app.events import repository as event_repository
from app.followups.schemas import NextActionPublic
from app.interviews import repository as interview_repository
from app.interviews.models import Interview, StatusSource
from app.nextaction.stored import StoredAction, servable
from app.policy import repository as policy_repository
from app.webhooks_out import outbox


def engine_interview(interview: Interview) -> rules.Interview:
    # A status implied by an event is left out: the engine concludes from the event,
    # which keeps an evaluation as of an earlier time correct.
    status = rules.Status(interview.status) if interview.status_source == StatusSource.USER else rules.Status.ACTIVE
    return rules.Interview(
        id=interview.id,
        company=interview.company,
        role_title=interview.role_title,
        role_family=rules.RoleFamily(interview.role_family),
        interview_at=interview.first_interview_at,
        duration_minutes=interview.duration_minutes,
        timezone=interview.timezone,
        decision_expected_by=interview.decision_expected_by,
        applied_on=interview.applied_on,
        status=status,
        snoozed_until=interview.snoozed_until,
        invite_uid=interview.invite_uid,
    )


def engine_contact(contact: Contact) -> rules.Contact:
    return rules.Contact(
        id=contact.id,
        name=contact.name,
        role=rules.Role(contact.role),
        email=contact.email,
        is_primary=contact.is_primary,
    )


# What the engine reads of an event besides its type, time, order and id: the same names on
# a stored event's row and on an event of a simulation's body.
EVENT_FIELDS = (
    "contact_id",
    "decision_expected_by",
    "interview_at",
    "returns_on",
    "duration_minutes",
    "invite_uid",
    "address",
    "status",
)


def engine_event(event: Any, *, seq: int, event_id: str | None = None) -> rules.Event:
    """The engine's event from a stored event's row, or one built and not stored (a
    simulation's): the fields of `EVENT_FIELDS`, `type` and `occurred_at`."""
    fields = {name: getattr(event, name) for name in EVENT_FIELDS}
    return rules.Event(type=rules.EventType(event.type), occurred_at=event.occurred_at, seq=seq, id=event_id, **fields)


def overrides_of(session: Session, *, user_id: str) -> dict[str, object]:
    row = policy_repository.get(session, user_id=user_id)
    return dict(row.overrides) if row is not None else {}


def policy_of(session: Session, *, user_id: str) -> rules.Policy:
    """The user's effective policy: the defaults with the user's overrides applied."""
    return rules.build_policy(overrides_of(session, user_id=user_id), stored=True)


def facts_for(session: Session, interview: Interview, policy: rules.Policy | None = None) -> rules.Facts:
    contacts = contact_repository.list_for_interviews(session, interview_ids=[interview.id])
    events = event_repository.list_engine_rows(session, interview_id=interview.id)
    return rules.Facts(
        interview=engine_interview(interview),
        contacts=tuple(engine_contact(c) for c in contacts),
        events=tuple(engine_event(row, seq=row.seq, event_id=row.id) for row in events),
        policy=policy if policy is not None else policy_of(session, user_id=interview.user_id),
    )


def to_public(result: rules.NextAction) -> NextActionPublic:
    return NextActionPublic.model_validate(result, from_attributes=True)


def compute(session: Session, *, interview: Interview, at: datetime) -> NextActionPublic:
    """The next action computed from the stored facts, as of `at`."""
    return to_public(rules.next_action(facts_for(session, interview), at))


def stored_of(interview: Interview, overrides: dict[str, object] | None) -> StoredAction:
    return StoredAction(
        result=interview.next_action_result,
        expires_at=interview.next_action_expires_at,
        policy_version=interview.next_action_policy_version,
        overrides=overrides,
    )


def refresh(session: Session, *, interview: Interview, policy: rules.Policy | None = None) -> None:
    """Recompute and store the interview's next action, in the caller's transaction."""
    previous = outbox.StoredAction.of(interview)
    facts = facts_for(session, interview, policy)
    # An event may be dated a little ahead of now; evaluate once it has happened.
    at = max([utcnow(), *(event.occurred_at for event in facts.events)])
    result = rules.next_action(facts, at)
    interview.next_action = result.action
    interview.next_action_at = result.earliest_allowed_at
    interview.next_action_expires_at = result.latest_recommended_at
    interview.next_action_policy_version = result.policy_version
    interview.next_action_result = to_public(result).model_dump(mode="json")
    # Webhooks for a changed action, written in this same transaction (the outbox).
    outbox.after_refresh(session, interview=interview, previous=previous)
    session.add(interview)
    session.flush()


def refresh_all(session: Session, *, user_id: str, policy: rules.Policy) -> None:
    for interview in interview_repository.list_all_for_user(session, user_id=user_id):
        refresh(session, interview=interview, policy=policy)


def refresh_expired(session: Session, *, batch_size: int = 100) -> int:
    """Refresh stored next actions whose time has run out (a thank-you window that closed
    with no write); the worker calls this periodically. Returns how many were refreshed."""
    expired = interview_repository.list_expired(session, now=utcnow(), limit=batch_size)
    for interview in expired:
        refresh(session, interview=interview)
    return len(expired)


def refresh_unless_servable(session: Session, *, interview: Interview, now: datetime) -> bool:
    """Refresh the stored next action when `servable` refuses it (its time ran out, the
    policy or the rules changed); True when it did."""
    if servable(stored_of(interview, overrides_of(session, user_id=interview.user_id)), now) is not None:
        return False
    refresh(session, interview=interview)
    return True
