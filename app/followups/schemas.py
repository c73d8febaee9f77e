from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import TIME_RANGE, Text, Timestamp, UTCTime
from app.rules import Action, DecisionBasis, Role, Status


class ContactRef(BaseModel):
    id: str
    name: str
    email: str | None
    role: Role


class DraftPublic(BaseModel):
    subject: str
    body: str


class ConstraintPublic(BaseModel):
    rule: str
    detail: str
    date: date


class NextActionPublic(BaseModel):
    interview_id: str
    as_of: datetime = Field(description="The time the action was computed for.")
    action: Action
    earliest_allowed_date: date | None = Field(description="Local date in the interview's time zone.")
    earliest_allowed_at: datetime | None
    latest_recommended_at: datetime | None
    due: bool = Field(description="True when the time of the request (or `due_by`) has reached earliest_allowed_at.")
    contact: ContactRef | None
    rule: str
    reason: str
    constraints: list[ConstraintPublic]
    expected_decision_by: date
    decision_basis: DecisionBasis
    nudges_sent: int
    nudges_remaining: int
    draft: DraftPublic | None
    policy_version: str


class OutreachCheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"contact_id": "4f6c1e0a-…", "type": "status_check_sent", "at": "2026-03-09T09:30:00-04:00"}]
        },
    )

    contact_id: Text = Field(max_length=64)
    type: Literal["thank_you_sent", "status_check_sent", "value_add_sent"]
    at: Timestamp | None = Field(default=None, description=f"When you would send it; now when omitted. {TIME_RANGE}")


class ViolationPublic(BaseModel):
    rule: str
    detail: str
    until: datetime | None = Field(description="When the rule stops applying; null if it never will.")


class OutreachCheckResult(BaseModel):
    allowed: bool
    violations: list[ViolationPublic]


class InterviewSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    company: str
    role_title: str
    interview_at: UTCTime
    status: Status


class AgendaItem(BaseModel):
    interview: InterviewSummary
    next_action: NextActionPublic
