from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection, Row
from sqlmodel import col, select

from app.interviews.models import Interview
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


def get_stored_action(connection: Connection, *, user_id: str, interview_id: str) -> StoredAction | None:
    """One read by primary key of the columns the answer needs, the policy's row joined in."""
    params = stored_action_params(user_id=user_id, interview_id=interview_id)
    return stored_action_of(connection.execute(STORED_ACTION, params).first())
