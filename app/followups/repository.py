from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.engine import Row
from sqlmodel import col, select

from app.interviews.models import Interview
from app.pagination import after
from app.policy.models import PolicyOverrides


@dataclass(frozen=True)
class StoredAction:
    """The next action stored on an interview row, and what tells whether it still holds:
    when it runs out, the policy version it was computed with, and the user's policy
    overrides now (None: the defaults)."""

    result: dict[str, Any]
    expires_at: datetime | None
    policy_version: str
    overrides: dict[str, Any] | None


# Built once: the read runs on every GET of a next action, and building a statement costs
# more than running it.
STORED_ACTION = (
    select(
        col(Interview.next_action_result),
        col(Interview.next_action_expires_at),
        col(Interview.next_action_policy_version),
        col(PolicyOverrides.overrides),
    )
    .outerjoin(PolicyOverrides, col(PolicyOverrides.user_id) == col(Interview.user_id))
    .where(col(Interview.id) == bindparam("interview_id"), col(Interview.user_id) == bindparam("user_id"))
)


def stored_action_params(*, user_id: str, interview_id: str) -> dict[str, Any]:
    return {"interview_id": interview_id, "user_id": user_id}


def stored_action_of(row: Row[Any] | None) -> StoredAction | None:
    if row is None:
        return None
    fields: tuple[Any, ...] = tuple(row)
    return StoredAction(fields[0], fields[1], fields[2], fields[3])


_AGENDA_COLUMNS = (
    col(Interview.id),
    col(Interview.company),
    col(Interview.role_title),
    col(Interview.interview_at),
    col(Interview.status),
    col(Interview.next_action_at),
    col(Interview.next_action_expires_at),
    col(Interview.next_action_result),
)


def _agenda(*, due_by: bool, start_after: bool) -> Select[Any]:
    """The agenda's page: one range scan of the (user_id, next_action_at, id) index, in
    its order, the columns the answer shows only (interviews.repository.list_agenda reads
    whole rows)."""
    next_action_at = col(Interview.next_action_at)
    query = core_select(*_AGENDA_COLUMNS).where(
        col(Interview.user_id) == bindparam("user_id"), next_action_at.is_not(None)
    )
    if due_by:
        query = query.where(next_action_at <= bindparam("due_by"))
    if start_after:
        query = query.where(after([next_action_at, col(Interview.id)], [bindparam("after_at"), bindparam("after_id")]))
    return query.order_by(next_action_at, col(Interview.id)).limit(bindparam("limit"))


# Built once for each combination of the query's parameters.
AGENDA = {(d, a): _agenda(due_by=d, start_after=a) for d in (False, True) for a in (False, True)}


def agenda_params(
    *, user_id: str, due_by: datetime | None, limit: int, start_after: tuple[datetime, str] | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"user_id": user_id, "limit": limit + 1}
    if due_by is not None:
        params["due_by"] = due_by
    if start_after is not None:
        params["after_at"], params["after_id"] = start_after
    return params


def agenda_statement(params: dict[str, Any]) -> Select[Any]:
    """The statement for these parameters (agenda_params)."""
    return AGENDA[("due_by" in params, "after_at" in params)]
