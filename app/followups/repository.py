from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.core.pagination import after
from app.interviews.models import Interview
from app.nextaction.stored import StoredAction
from app.policy.models import PolicyOverrides

# Built once: the read runs on every GET of a next action, and building a statement costs
# more than running it.
STORED_ACTION = (
    core_select(
        col(Interview.next_action_result),
        col(Interview.next_action_expires_at),
        col(Interview.next_action_policy_version),
        col(PolicyOverrides.overrides),
    )
    .outerjoin(PolicyOverrides, col(PolicyOverrides.user_id) == col(Interview.user_id))
    .where(col(Interview.id) == bindparam("interview_id"), col(Interview.user_id) == bindparam("user_id"))
)


def stored_action(session: Session, *, user_id: str, interview_id: str) -> StoredAction | None:
    """The next action stored on the user's interview with what tells whether it still
    holds, or None when the user has no such interview."""
    row = session.execute(STORED_ACTION, {"interview_id": interview_id, "user_id": user_id}).first()
    if row is None:
        return None
    result, expires_at, policy_version, overrides = row
    return StoredAction(result, expires_at, policy_version, overrides)


@dataclass(frozen=True)
class AgendaRow:
    interview_id: str
    company: str
    role_title: str
    interview_at: datetime
    status: str
    next_action_at: datetime
    stored: StoredAction


def _agenda(*, due_by: bool, start_after: bool) -> Select[Any]:
    """The agenda's page: one range scan of the (user_id, next_action_at, id) index, in
    its order, with the columns the answer shows and what `servable` needs."""
    next_action_at = col(Interview.next_action_at)
    query = (
        core_select(
            col(Interview.id),
            col(Interview.company),
            col(Interview.role_title),
            col(Interview.interview_at),
            col(Interview.status),
            next_action_at,
            # What StoredAction holds, in its order.
            col(Interview.next_action_result),
            col(Interview.next_action_expires_at),
            col(Interview.next_action_policy_version),
            col(PolicyOverrides.overrides),
        )
        .outerjoin(PolicyOverrides, col(PolicyOverrides.user_id) == col(Interview.user_id))
        .where(col(Interview.user_id) == bindparam("user_id"), next_action_at.is_not(None))
    )
    if due_by:
        query = query.where(next_action_at <= bindparam("due_by"))
    if start_after:
        query = query.where(after([next_action_at, col(Interview.id)], [bindparam("after_at"), bindparam("after_id")]))
    return query.order_by(next_action_at, col(Interview.id)).limit(bindparam("limit", type_=Integer))


# Built once for each combination of the query's parameters.
AGENDA = {(d, a): _agenda(due_by=d, start_after=a) for d in (False, True) for a in (False, True)}


def agenda(
    session: Session, *, user_id: str, due_by: datetime | None, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[AgendaRow]:
    """Up to `limit` + 1 rows of the agenda (one more tells whether a next page exists)."""
    params: dict[str, Any] = {"user_id": user_id, "limit": limit + 1}
    if due_by is not None:
        params["due_by"] = due_by
    if start_after is not None:
        params["after_at"], params["after_id"] = start_after
    statement = AGENDA[(due_by is not None, start_after is not None)]
    return [
        AgendaRow(*row[:6], StoredAction(*row[6:]))  # type: ignore[call-arg]
        for row in session.execute(statement, params).all()
    ]
