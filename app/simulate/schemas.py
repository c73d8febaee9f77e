from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.contacts.schemas import ContactCreate
from app.core.schemas import TIME_RANGE, Text, Timestamp
from app.events.schemas import EventCreate
from app.interviews.schemas import InterviewFields
from app.policy.schemas import PolicyUpdate
from app.rules import Status


class SimulatedInterview(InterviewFields):
    """An interview as it would be stored; nothing of it is."""

    status: Status = Field(
        default=Status.ACTIVE,
        description="Where the process stands; any status but `active` concludes it (no follow-up is proposed).",
    )
    snoozed_until: Timestamp | None = Field(
        default=None, description=f"No follow-up is proposed before this time; null: not snoozed. {TIME_RANGE}"
    )


class SimulatedContact(ContactCreate):
    """A contact of the simulated interview; its `id` is yours to choose."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "ana", "name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True},
                {"id": "ben", "name": "Ben", "email": "ben@example.com", "role": "hiring_manager"},
            ]
        }
    )

    id: Text = Field(min_length=1, max_length=64, description="Any id; events refer to the contact by it.")


SIMULATE_EXAMPLE: dict[str, Any] = {
    "interview": {
        "company": "Acme",
        "role_title": "Backend Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
        "timezone": "America/New_York",
    },
    "contacts": [
        {"id": "ana", "name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True},
        {"id": "ben", "name": "Ben", "email": "ben@example.com", "role": "hiring_manager"},
    ],
    "events": [
        {"type": "thank_you_sent", "occurred_at": "2026-03-02T15:00:00-05:00", "contact_id": "ana"},
        {"type": "timeline_shared", "occurred_at": "2026-03-03T12:00:00-05:00", "decision_expected_by": "2026-03-06"},
    ],
    "policy": {"country": "US"},
    "at": "2026-03-07T12:00:00Z",
}


class SimulateRequest(BaseModel):
    """The facts of an interview that is not stored: the next action they lead to."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SIMULATE_EXAMPLE]})

    interview: SimulatedInterview = Field(description="The interview, as it would be created.")
    contacts: list[SimulatedContact] = Field(
        default_factory=list, max_length=50, description="Its contacts, each with an id of your choice."
    )
    events: list[EventCreate] = Field(
        default_factory=list,
        max_length=1000,
        description="What happened, in any order; a `contact_id` is one of `contacts`' ids.",
    )
    policy: PolicyUpdate | None = Field(
        default=None,
        description="Policy keys applied over your own policy for this simulation only (null: the default).",
    )
    at: Timestamp | None = Field(default=None, description=f"Evaluate as of this time; now when omitted. {TIME_RANGE}")
