"""`follow_up.due`: the webhook for a stored next action that came due."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.nextaction import refresh
from app.webhooks_out import outbox, repository
from app.webhooks_out.models import FollowUpNotice
from app.webhooks_out.schemas import WebhookEventType


def emit_due(session: Session, *, now: datetime, limit: int) -> int:
    """`follow_up.due` for each interview whose stored action came due: once per
    interview, action and time (the follow_up_notices key), however often this runs and
    however many workers run it. Returns how many interviews were looked at."""
    interviews = repository.claim_due_interviews(session, now=now, limit=limit)
    for interview in interviews:
        interview.due_notice_at = None
        session.add(interview)
        if refresh.refresh_unless_servable(session, interview=interview, now=now) and interview.due_notice_at:
            # The action or its time changed (the policy or the rules changed since it
            # was stored): the refresh told the subscribers and set when it comes due.
            continue
        earliest = interview.next_action_at
        if earliest is None or repository.notice_exists(
            session, interview_id=interview.id, action=interview.next_action, earliest_allowed_at=earliest
        ):
            continue
        repository.add(
            session,
            row=FollowUpNotice(
                interview_id=interview.id, action=interview.next_action, earliest_allowed_at=earliest, created_at=now
            ),
        )
        data = outbox.interview_data(interview, now)
        outbox.enqueue(
            session, user_id=interview.user_id, event_type=WebhookEventType.FOLLOW_UP_DUE, data=data, now=now
        )
    session.flush()
    return len(interviews)
