"""The next action of one interview, the agenda, and the outreach check: read from the
stored next actions while `app.nextaction.stored.servable` allows, computed otherwise."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app import rules
from app.contacts import repository as contact_repository
from app.core.columns import utcnow
from app.core.pagination import decode_cursor, page
from app.core.problems import InvalidInput
from app.followups import repository
from app.followups.schemas import OutreachCheckRequest, OutreachCheckResult, ViolationPublic
from app.interviews import access as interview_access
from app.nextaction import refresh
from app.nextaction.stored import servable, utc_json
from app.users.models import User


def to_json(answer: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as pydantic writes the computed answers."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def next_action(
    session: Session, *, user: User, interview_id: str, at: datetime | None, now: datetime
) -> dict[str, Any]:
    """`GET /v1/interviews/{id}/next-action` as JSON-ready data: as of now, the stored
    result while it may be served (one read); as of another time, or when it may not,
    computed by the engine."""
    if at is None:
        stored = repository.stored_action(session, user_id=user.id, interview_id=interview_id)
        if stored is None:
            raise interview_access.not_found()
        served = servable(stored, now)
        if served is not None:
            return served
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    return refresh.compute(session, interview=interview, at=at or now).model_dump(mode="json")


def check_outreach(
    session: Session, *, user: User, interview_id: str, body: OutreachCheckRequest
) -> OutreachCheckResult:
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    if contact_repository.get(session, interview_id=interview.id, contact_id=body.contact_id) is None:
        raise InvalidInput.at(["body", "contact_id"], "No contact with this id in this interview.")
    at = body.at or utcnow()
    proposal = rules.OutreachProposal(contact_id=body.contact_id, type=rules.EventType(body.type))
    violations = rules.check_outreach(refresh.facts_for(session, interview), proposal, at)
    return OutreachCheckResult(
        allowed=not violations,
        violations=[ViolationPublic(rule=v.rule, detail=v.detail, until=v.until) for v in violations],
    )


def _start_after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    next_action_at, interview_id = decode_cursor(cursor, (datetime, str))
    return (next_action_at, interview_id)


def agenda(
    session: Session, *, user: User, due_by: datetime | None, limit: int, cursor: str | None, now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """Interviews with a dated next action, earliest first, as JSON-ready items: each
    stored result served while it may be, else computed as of now. `due` is as of
    `due_by` (default now)."""
    rows: Sequence[repository.AgendaRow] = repository.agenda(
        session, user_id=user.id, due_by=due_by, limit=limit, start_after=_start_after(cursor)
    )
    kept, next_cursor = page(rows, limit, lambda row: (row.next_action_at, row.interview_id))
    reference = due_by or now
    items = []
    for row in kept:
        action = servable(row.stored, now, due_at=reference)
        if action is None:
            interview = interview_access.require(session, user=user, interview_id=row.interview_id)
            computed = refresh.compute(session, interview=interview, at=now)
            computed.due = computed.earliest_allowed_at is not None and reference >= computed.earliest_allowed_at
            action = computed.model_dump(mode="json")
        summary = {
            "id": row.interview_id,
            "company": row.company,
            "role_title": row.role_title,
            "interview_at": utc_json(row.interview_at),
            "status": row.status,
        }
        items.append({"interview": summary, "next_action": action})
    return items, next_cursor
