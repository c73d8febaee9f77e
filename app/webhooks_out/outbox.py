"""The outbox: delivery rows written in the transaction of the change that caused them, so
an event is sent if and only if its change was committed."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import event
from sqlmodel import Session

from app.core.columns import utcnow
from app.followups.schemas import InterviewSummary, NextActionPublic
from app.interviews.models import Interview
from app.webhooks_out import repository
from app.webhooks_out.models import WebhookDelivery, WebhookEndpoint
from app.webhooks_out.schemas import (
    ALL_EVENTS,
    InterviewEventData,
    NextActionChangedData,
    PreviousAction,
    WebhookEventType,
    WebhookMessage,
)

CONCLUDED_RULE = "R0"
# Set when a transaction commits that gave a worker something to do now (deliveries, a
# follow-up already due): a worker in this process (the embedded one) does it at once
# instead of at its next pass.
work_committed = threading.Event()


def _wake_worker(_session: Session) -> None:
    work_committed.set()


def wake_worker_after_commit(session: Session) -> None:
    if not event.contains(session, "after_commit", _wake_worker):
        event.listen(session, "after_commit", _wake_worker)


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL_EVENTS in endpoint.events or event_type in endpoint.events


def add_delivery(
    session: Session, *, endpoint: WebhookEndpoint, message_id: str, event_type: str, body: BaseModel, now: datetime
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=message_id,
        event_type=event_type,
        payload=body.model_dump_json(),
        next_attempt_at=now,
        created_at=now,
    )
    repository.add(session, row=delivery)
    wake_worker_after_commit(session)
    return delivery


def enqueue(session: Session, *, user_id: str, event_type: WebhookEventType, data: BaseModel, now: datetime) -> None:
    """One delivery of the event per enabled endpoint of the user that subscribes to it,
    all with the same webhook-id."""
    endpoints = [e for e in repository.list_enabled_endpoints(session, user_id=user_id) if subscribed(e, event_type)]
    if not endpoints:
        return
    body = WebhookMessage(type=event_type, timestamp=now, data=data)
    message_id = new_message_id()
    for endpoint in endpoints:
        add_delivery(session, endpoint=endpoint, message_id=message_id, event_type=event_type, body=body, now=now)


@dataclass(frozen=True)
class StoredAction:
    """What the interview row says the next action is, before a refresh changes it."""

    action: str
    earliest_allowed_at: datetime | None
    rule: str | None

    @classmethod
    def of(cls, interview: Interview) -> StoredAction:
        return cls(interview.next_action, interview.next_action_at, interview.next_action_result.get("rule"))


def interview_data(interview: Interview, now: datetime) -> InterviewEventData:
    action = NextActionPublic.model_validate(interview.next_action_result)
    action.due = action.earliest_allowed_at is not None and now >= action.earliest_allowed_at
    return InterviewEventData(interview=InterviewSummary.model_validate(interview), next_action=action)


def after_refresh(session: Session, *, interview: Interview, previous: StoredAction) -> None:
    """Called by app.nextaction.refresh once the new action is on the row: a changed
    action or date is `next_action.changed` (and `interview.concluded` when the process
    ended), and its follow_up.due is due at the new time."""
    current = StoredAction.of(interview)
    if (current.action, current.earliest_allowed_at) == (previous.action, previous.earliest_allowed_at):
        return
    interview.due_notice_at = current.earliest_allowed_at
    now = utcnow()
    if current.earliest_allowed_at is not None and current.earliest_allowed_at <= now:
        wake_worker_after_commit(session)
    data = interview_data(interview, now)
    before = None
    if previous.rule is not None:
        before = PreviousAction.model_validate(
            {"action": previous.action, "earliest_allowed_at": previous.earliest_allowed_at}
        )
    changed = NextActionChangedData(**dict(data), previous=before)
    enqueue(session, user_id=interview.user_id, event_type=WebhookEventType.NEXT_ACTION_CHANGED, data=changed, now=now)
    if current.rule == CONCLUDED_RULE and previous.rule != CONCLUDED_RULE:
        enqueue(session, user_id=interview.user_id, event_type=WebhookEventType.INTERVIEW_CONCLUDED, data=data, now=now)
