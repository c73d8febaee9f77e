"""The next action: computed fresh for one interview, or stored on the interview row for
the agenda and refreshed by every write that can change it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import rules
from app.contacts import repository as contact_repository
from app.contacts.models import Contact
from app.db import run_db, unit_of_work, utcnow
from app.errors import InvalidInput
from app.events import repository as event_repository
from app.events.repository import EngineRow
from app.followups import repository
from app.followups.repository import StoredAction
from app.followups.schemas import (
    AgendaItem,
    InterviewSummary,
    NextActionPublic,
    OutreachCheckRequest,
    OutreachCheckResult,
    ViolationPublic,
)
from app.interviews import repository as interview_repository
from app.interviews import service as interview_service
from app.interviews.models import Interview, StatusSource
from app.pagination import decode_cursor, page
from app.policy import service as policy_service
from app.users.models import User
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
    )


def engine_contact(contact: Contact) -> rules.Contact:
    return rules.Contact(
        id=contact.id,
        name=contact.name,
        role=rules.Role(contact.role),
        email=contact.email,
        is_primary=contact.is_primary,
    )


def engine_event(row: EngineRow) -> rules.Event:
    event_id, kind, occurred_at, contact_id, decision_expected_by, interview_at, seq = row
    return rules.Event(
        type=rules.EventType(kind),
        occurred_at=occurred_at,
        contact_id=contact_id,
        decision_expected_by=decision_expected_by,
        interview_at=interview_at,
        seq=seq,
        id=event_id,
    )


def facts_for(session: Session, interview: Interview, policy: rules.Policy | None = None) -> rules.Facts:
    contacts = contact_repository.list_for_interviews(session, interview_ids=[interview.id])
    events = event_repository.list_engine_rows(session, interview_id=interview.id)
    return rules.Facts(
        interview=engine_interview(interview),
        contacts=tuple(engine_contact(c) for c in contacts),
        events=tuple(engine_event(e) for e in events),
        policy=policy if policy is not None else policy_service.get_policy(session, user_id=interview.user_id),
    )


def to_public(result: rules.NextAction) -> NextActionPublic:
    return NextActionPublic.model_validate(result, from_attributes=True)


def get(session: Session, *, user: User, interview_id: str, at: datetime | None) -> NextActionPublic:
    """The next action computed now from the stored facts, as of `at` (default now)."""
    interview = interview_service.require(session, user=user, interview_id=interview_id)
    return to_public(rules.next_action(facts_for(session, interview), at or utcnow()))


# The fields of an answer; a stored result with others (an older shape) is not served.
_ANSWER_FIELDS = frozenset(NextActionPublic.model_fields)


def _utc_json(instant: datetime) -> str:
    """A time in UTC as the answers write it (pydantic's format: ISO 8601, `Z`)."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _servable(result: dict[str, Any], expires_at: datetime | None, now: datetime) -> bool:
    """A stored result of the current shape whose time has not run out."""
    return bool(result) and result.keys() == _ANSWER_FIELDS and (expires_at is None or now < expires_at)


def stored_answer(stored: StoredAction, now: datetime) -> dict[str, Any] | None:
    """The stored result (JSON-ready) as the engine would compute it at `now`, or None
    when it may not be: it ran out (`latest_recommended_at`, the end of a thank-you
    window), it was computed ahead of `now` (an event dated a little in the future), the
    policy changed since, or it was stored in another shape.

    Between writes, the engine's answer changes only in `as_of` and `due` until
    `latest_recommended_at` (tests/rules/test_properties.py checks this property), and
    every write refreshes the stored result in its own transaction. The result was written
    by the model that validated it (`refresh`), so it is served as it is, with those two
    fields set: no second validation."""
    result = stored.result
    if not _servable(result, stored.expires_at, now):
        return None
    if stored.policy_version != policy_service.version_of(stored.overrides):
        return None
    try:
        as_of = datetime.fromisoformat(result["as_of"])
        earliest = result["earliest_allowed_at"]
        earliest_at = None if earliest is None else datetime.fromisoformat(earliest)
    except (TypeError, ValueError):
        return None
    if as_of > now:
        return None
    return result | {"as_of": _utc_json(now), "due": earliest_at is not None and now >= earliest_at}


def _json(answer: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as pydantic writes the computed answers."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


async def answer_json(
    app: FastAPI, *, user: User, interview_id: str, at: datetime | None, now: datetime | None = None
) -> bytes:
    """`GET /v1/interviews/{id}/next-action` as JSON: as of now, the stored result read on
    the event loop (app.db.LoopReads) and served from there when it holds; anything else
    (an `at`, a result that ran out) is computed in one hop to a worker thread."""
    now = now or utcnow()
    if at is None:
        params = repository.stored_action_params(user_id=user.id, interview_id=interview_id)
        stored = repository.stored_action_of(await app.state.loop_reads.first(app, repository.STORED_ACTION, params))
        if stored is None:
            raise interview_service.not_found()
        served = stored_answer(stored, now)
        if served is not None:
            return _json(served)
    engine: Engine = app.state.engine

    def compute() -> bytes:
        with unit_of_work(engine, writes=False) as session:
            return get(session, user=user, interview_id=interview_id, at=at or now).model_dump_json().encode()

    return await run_db(app, compute)


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


def check_outreach(
    session: Session, *, user: User, interview_id: str, body: OutreachCheckRequest
) -> OutreachCheckResult:
    interview = interview_service.require(session, user=user, interview_id=interview_id)
    if contact_repository.get(session, interview_id=interview.id, contact_id=body.contact_id) is None:
        raise InvalidInput.at(["body", "contact_id"], "No contact with this id in this interview.")
    at = body.at or utcnow()
    proposal = rules.OutreachProposal(contact_id=body.contact_id, type=rules.EventType(body.type))
    violations = rules.check_outreach(facts_for(session, interview), proposal, at)
    return OutreachCheckResult(
        allowed=not violations,
        violations=[ViolationPublic(rule=v.rule, detail=v.detail, until=v.until) for v in violations],
    )


def agenda(
    session: Session, *, user: User, due_by: datetime | None, limit: int, cursor: str | None
) -> tuple[Sequence[AgendaItem], str | None]:
    """Interviews with a dated next action, earliest first, from the stored results."""
    rows = interview_repository.list_agenda(
        session, user_id=user.id, due_by=due_by, limit=limit, start_after=_start_after(cursor)
    )
    kept, next_cursor = page(rows, limit, lambda row: (row.next_action_at, row.id))
    now = utcnow()
    reference = due_by or now
    items = []
    for interview in kept:
        expires_at = interview.next_action_expires_at
        if expires_at is not None and expires_at <= now:
            # Its time ran out with no write (a thank-you window closed): show the fresh
            # action now; the worker stores it, and the row takes its new place then.
            action = to_public(rules.next_action(facts_for(session, interview), now))
        else:
            action = NextActionPublic.model_validate(interview.next_action_result)
        assert action.earliest_allowed_at is not None  # the query keeps dated actions only
        action.due = reference >= action.earliest_allowed_at
        items.append(AgendaItem(interview=InterviewSummary.model_validate(interview), next_action=action))
    return items, next_cursor


def _start_after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    next_action_at, interview_id = decode_cursor(cursor, (datetime, str))
    return (next_action_at, interview_id)


def _agenda_page(
    rows: Sequence[Sequence[Any]],
    *,
    limit: int,
    now: datetime,
    due_by: datetime | None,
    fresh: Callable[[str], dict[str, Any]] | None,
) -> bytes | None:
    """The agenda's JSON from the page's rows (repository.AGENDA's columns, by position),
    the stored results served as stored with `due` set. An item whose stored result ran
    out or has another shape is computed by `fresh`; without one, None."""
    kept, next_cursor = page(rows, limit, lambda row: (row[5].astimezone(UTC), row[0]))
    reference = due_by or now
    data = []
    for interview_id, company, role_title, interview_at, status, _at, expires_at, result in kept:
        action = None
        if _servable(result, expires_at, now) and result["earliest_allowed_at"] is not None:
            action = result | {"due": reference >= datetime.fromisoformat(result["earliest_allowed_at"])}
        if action is None:
            if fresh is None:
                return None
            action = fresh(interview_id)
        summary = {
            "id": interview_id,
            "company": company,
            "role_title": role_title,
            "interview_at": _utc_json(interview_at),
            "status": status,
        }
        data.append({"interview": summary, "next_action": action})
    return _json({"data": data, "next_cursor": next_cursor})


def agenda_json(session: Session, *, user: User, due_by: datetime | None, limit: int, cursor: str | None) -> bytes:
    """`agenda`, answered as JSON: the page's columns only, and the stored results served
    as they were stored (with `due` set), as the next action is; an item whose stored
    result ran out or has another shape is computed, as in `agenda`."""
    now = utcnow()
    reference = due_by or now
    params = repository.agenda_params(user_id=user.id, due_by=due_by, limit=limit, start_after=_start_after(cursor))
    rows = session.connection().execute(repository.agenda_statement(params), params).all()

    def fresh(interview_id: str) -> dict[str, Any]:
        interview = interview_service.require(session, user=user, interview_id=interview_id)
        action = to_public(rules.next_action(facts_for(session, interview), now))
        action.due = action.earliest_allowed_at is not None and reference >= action.earliest_allowed_at
        return action.model_dump(mode="json")

    answer = _agenda_page(rows, limit=limit, now=now, due_by=due_by, fresh=fresh)
    assert answer is not None
    return answer


async def agenda_answer(app: FastAPI, *, user: User, due_by: datetime | None, limit: int, cursor: str | None) -> bytes:
    """The agenda for the route: the page read on the event loop (app.db.LoopReads) and
    answered from there when every item's stored result holds; else all of it in one hop
    to a worker thread."""
    params = repository.agenda_params(user_id=user.id, due_by=due_by, limit=limit, start_after=_start_after(cursor))
    rows = await app.state.loop_reads.all(app, repository.agenda_statement(params), params)
    answer = _agenda_page(rows, limit=limit, now=utcnow(), due_by=due_by, fresh=None)
    if answer is not None:
        return answer
    engine: Engine = app.state.engine

    def compute() -> bytes:
        with unit_of_work(engine, writes=False) as session:
            return agenda_json(session, user=user, due_by=due_by, limit=limit, cursor=cursor)

    return await run_db(app, compute)
