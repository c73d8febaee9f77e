from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.contacts.schemas import CONTACT_EXAMPLE, ContactCreate, ContactPublic
from app.core.schemas import (
    DATE_RANGE,
    TIME_RANGE,
    TIMEZONE_RULE,
    Day,
    Name,
    NotNull,
    Text,
    Timestamp,
    TimeZoneName,
    UTCTime,
)
from app.rules import RoleFamily, Status

INTERVIEW_EXAMPLE: dict[str, Any] = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
    "duration_minutes": 60,
    "timezone": "America/New_York",
    "contacts": [
        CONTACT_EXAMPLE,
        {"name": "Ben Okafor", "email": "ben@example.com", "role": "hiring_manager", "is_primary": False},
    ],
}
Duration = Field(default=60, ge=1, le=24 * 60, description="Length of the round in minutes.")


class InterviewDetails(BaseModel):
    """The fields an interview may be given in every body that describes one."""

    model_config = ConfigDict(extra="forbid")

    duration_minutes: StrictInt = Duration
    timezone: TimeZoneName | None = Field(
        default=None, description=f"Time zone of the interview; overrides the policy time zone. {TIMEZONE_RULE}"
    )
    decision_expected_by: Day | None = Field(
        default=None, description=f"The decision date the employer gave. {DATE_RANGE}"
    )
    applied_on: Day | None = None


class InterviewFields(InterviewDetails):
    company: Name
    role_title: Name
    role_family: RoleFamily
    interview_at: Timestamp = Field(description=f"Start of the interview (RFC 3339 with an offset). {TIME_RANGE}")


IntegrationId = Field(
    default=None, max_length=36, description="One of your ATS integrations; set with `ats_application_id`."
)
AtsApplicationId = Field(
    default=None,
    min_length=1,
    max_length=200,
    description="The application's id in that ATS (Greenhouse application, Lever opportunity, or the id a "
    "standard sender uses); its deliveries, earlier ones included, become events of this interview.",
    examples=["91552310"],
)


FROM_INVITE = "Required, unless `from_message_id` gives it."


class InterviewCreate(InterviewDetails):
    model_config = ConfigDict(
        json_schema_extra={"examples": [INTERVIEW_EXAMPLE, {"from_message_id": "…", "company": "Acme"}]}
    )

    # With `from_message_id`, the invite gives the time, length, zone and people, and the
    # organizer's domain the company; without it these four are required (checked by the
    # service, which names each missing one).
    company: Name | None = Field(default=None, description=FROM_INVITE + " Else the organizer's mail domain.")
    role_title: Name | None = Field(default=None, description=FROM_INVITE + " Else the invite's subject.")
    role_family: RoleFamily | None = Field(default=None, description=FROM_INVITE + " Else `other`.")
    interview_at: Timestamp | None = Field(
        default=None, description=f"Start of the interview (RFC 3339 with an offset). {FROM_INVITE} {TIME_RANGE}"
    )
    from_message_id: Text | None = Field(
        default=None,
        max_length=64,
        description="A recorded invite (`GET /v1/mail/messages`): the interview is created from it, and the "
        "message is applied to it.",
    )
    contacts: list[ContactCreate] = Field(default_factory=list, max_length=50, description="At most 50.")
    integration_id: Text | None = IntegrationId
    ats_application_id: Text | None = AtsApplicationId


class InterviewUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "closed"}, {"snoozed_until": "2026-03-20T09:00:00Z"}]},
    )

    company: Annotated[Name | None, NotNull] = None
    role_title: Annotated[Name | None, NotNull] = None
    role_family: Annotated[RoleFamily | None, NotNull] = None
    interview_at: Annotated[Timestamp | None, NotNull] = Field(
        default=None, description=f"Moves the first round; rejected once a later round is scheduled. {TIME_RANGE}"
    )
    duration_minutes: Annotated[StrictInt | None, NotNull] = Field(default=None, ge=1, le=24 * 60)
    timezone: TimeZoneName | None = Field(default=None, description=TIMEZONE_RULE)
    decision_expected_by: Day | None = None
    applied_on: Day | None = None
    status: Annotated[Status | None, NotNull] = Field(
        default=None, description="Set by hand; `active` reopens the process."
    )
    snoozed_until: Timestamp | None = Field(default=None, description=f"No follow-up before this time. {TIME_RANGE}")
    integration_id: Text | None = IntegrationId
    ats_application_id: Text | None = AtsApplicationId


class InterviewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    company: str
    role_title: str
    role_family: RoleFamily
    interview_at: UTCTime = Field(description="Start of the current round.")
    first_interview_at: UTCTime = Field(description="Start of the first round.")
    duration_minutes: int
    timezone: str | None
    decision_expected_by: date | None
    applied_on: date | None
    status: Status
    snoozed_until: UTCTime | None
    integration_id: str | None
    ats_application_id: str | None
    created_at: UTCTime
    updated_at: UTCTime
    contacts: list[ContactPublic] = Field(default_factory=list)
