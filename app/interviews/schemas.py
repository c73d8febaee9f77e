from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from app.contacts.schemas import (
    CONTACT_EXAMPLE,
    CONTACT_PUBLIC_EXAMPLE,
    MAX_CONTACTS,
    ContactCreate,
    ContactPublic,
)
from app.core.schemas import (
    DATE_RANGE,
    TIME_RANGE,
    TIMEZONE_RULE,
    WHOLE_NUMBER,
    Day,
    Name,
    NotNull,
    Public,
    Text,
    Timestamp,
    TimeZoneName,
    UTCTime,
)
from app.rules import RoleFamily, Status

InterviewId = Annotated[str, Path(description="The interview's id.")]

# The README's interview: Ana the recruiter (primary) and Ben the hiring manager.
BEN: dict[str, Any] = {"name": "Ben", "email": "ben@example.com", "role": "hiring_manager", "is_primary": False}
INTERVIEW_EXAMPLE: dict[str, Any] = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T10:00:00-05:00",
    "duration_minutes": 60,
    "timezone": "America/New_York",
    "contacts": [CONTACT_EXAMPLE, BEN],
}
INTERVIEW_ID = CONTACT_PUBLIC_EXAMPLE["interview_id"]
INTERVIEW_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": INTERVIEW_ID,
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "interview_at": "2026-03-02T15:00:00Z",
    "first_interview_at": "2026-03-02T15:00:00Z",
    "duration_minutes": 60,
    "timezone": "America/New_York",
    "decision_expected_by": "2026-03-06",
    "applied_on": "2026-02-16",
    "status": "active",
    "snoozed_until": None,
    "integration_id": None,
    "ats_application_id": None,
    "created_at": "2026-03-01T18:20:00Z",
    "updated_at": "2026-03-03T17:00:00Z",
    "contacts": [
        CONTACT_PUBLIC_EXAMPLE,
        {**CONTACT_PUBLIC_EXAMPLE, **BEN, "id": "9c3a5e71-2b4d-4f6a-8e0c-1d7b3f5a9e24"},
    ],
}

COMPANY = "The employer."
ROLE_TITLE = "The role applied for, as the employer names it."
ROLE_FAMILY = (
    "The kind of role; it sets how long a decision typically takes when the employer gave no date "
    "(policy `role_family_days`)."
)
DURATION = "Length of the round in minutes (1 to 1440); its end is when a thank-you may be sent."
INTERVIEW_TIMEZONE = "Time zone of the interview; overrides the policy time zone. Null: the policy's."
DECISION_EXPECTED_BY = (
    "The decision date the employer gave; the first status check waits until after it. "
    "A `timeline_shared` event's date replaces it."
)
APPLIED_ON = (
    "The day you applied; with no stated decision date, the expected one counts the role family's typical "
    "days from it (else from the interview)."
)
STATUS = (
    "`active` while the process runs; `offer`, `hired`, `rejected`, `withdrawn` or `closed` once it has ended "
    "(from an event, or set by hand)."
)
SNOOZED_UNTIL = "No follow-up before this time."
INTEGRATION_ID = "One of your ATS integrations; set with `ats_application_id`."
ATS_APPLICATION_ID = (
    "The application's id in that ATS (Greenhouse application, Lever opportunity, or the id a standard sender "
    "uses); its deliveries, earlier ones included, become events of this interview. Set with `integration_id`."
)
MINUTES_PER_DAY = 24 * 60
# The whole-number check after the bounds, so that the schema says `minimum` and `maximum`
# (app.core.schemas.WHOLE_NUMBER).
Minutes = Annotated[int, Field(ge=1, le=MINUTES_PER_DAY), WHOLE_NUMBER]


class InterviewDetails(BaseModel):
    """The fields an interview may be given in every body that describes one."""

    model_config = ConfigDict(extra="forbid")

    duration_minutes: Minutes = Field(default=60, description=DURATION, examples=[60])
    timezone: TimeZoneName | None = Field(default=None, description=f"{INTERVIEW_TIMEZONE} {TIMEZONE_RULE}")
    decision_expected_by: Day | None = Field(
        default=None, description=f"{DECISION_EXPECTED_BY} {DATE_RANGE}", examples=["2026-03-06"]
    )
    applied_on: Day | None = Field(default=None, description=f"{APPLIED_ON} {DATE_RANGE}", examples=["2026-02-16"])


class InterviewFields(InterviewDetails):
    company: Name = Field(description=COMPANY, examples=["Acme"])
    role_title: Name = Field(description=ROLE_TITLE, examples=["Backend Engineer"])
    role_family: RoleFamily = Field(description=ROLE_FAMILY)
    interview_at: Timestamp = Field(description=f"Start of the interview (RFC 3339 with an offset). {TIME_RANGE}")


IntegrationId = Field(default=None, max_length=36, description=INTEGRATION_ID)
AtsApplicationId = Field(
    default=None, min_length=1, max_length=200, description=ATS_APPLICATION_ID, examples=["91552310"]
)

# What an interview cannot be created without, unless an invite (`from_message_id`) gives them.
REQUIRED_FIELDS = ("company", "role_title", "role_family", "interview_at")
# The fields that link an interview to an application of an ATS integration: one needs the other.
LINK_FIELDS = ("integration_id", "ats_application_id")
FROM_INVITE = "Required, unless `from_message_id` gives it."


def _create_rules(schema: dict[str, Any]) -> None:
    """The same rules for schema readers: without an invite the four fields are required and
    not null; each link field requires the other. The conditions name every property (most
    with no constraint) because some validators read a subschema's `properties` as all that
    the object may hold."""
    names = list(schema["properties"])
    schema["if"] = {
        "required": ["from_message_id"],
        # An empty id names no message: the four fields are then required.
        "properties": {name: {"type": "string", "minLength": 1} if name == "from_message_id" else {} for name in names},
    }
    schema["else"] = {
        "required": list(REQUIRED_FIELDS),
        "properties": {name: {"not": {"type": "null"}} if name in REQUIRED_FIELDS else {} for name in names},
    }
    schema["dependentRequired"] = {field: [other for other in LINK_FIELDS if other != field] for field in LINK_FIELDS}
    schema["examples"] = [
        INTERVIEW_EXAMPLE,
        {"from_message_id": "3d9b0f1e-7c2a-4e58-a6b1-0f4c2d8e9a13", "company": "Acme"},
    ]


# At most one contact is primary.
ONE_PRIMARY: dict[str, Any] = {
    "contains": {"required": ["is_primary"], "properties": {"is_primary": {"const": True}}},
    "minContains": 0,
    "maxContains": 1,
}


class InterviewCreate(InterviewDetails):
    model_config = ConfigDict(json_schema_extra=_create_rules)

    # With `from_message_id`, the invite gives the time, length, zone and people, and the
    # organizer's domain the company; without it these four are required (the service names
    # each missing one).
    company: Name | None = Field(
        default=None, description=f"{COMPANY} {FROM_INVITE} Else the organizer's mail domain.", examples=["Acme"]
    )
    role_title: Name | None = Field(
        default=None,
        description=f"{ROLE_TITLE} {FROM_INVITE} Else the invite's subject.",
        examples=["Backend Engineer"],
    )
    role_family: RoleFamily | None = Field(default=None, description=f"{ROLE_FAMILY} {FROM_INVITE} Else `other`.")
    interview_at: Timestamp | None = Field(
        default=None, description=f"Start of the interview (RFC 3339 with an offset). {FROM_INVITE} {TIME_RANGE}"
    )
    from_message_id: Text | None = Field(
        default=None,
        max_length=64,
        description="A recorded invite (`GET /v1/mail/messages`): the interview is created from it, and the "
        "message is applied to it.",
    )
    contacts: list[ContactCreate] = Field(
        default_factory=list,
        max_length=MAX_CONTACTS,
        description=f"The people on the hiring team; at most {MAX_CONTACTS}, at most one of them primary.",
        json_schema_extra=ONE_PRIMARY,
    )
    integration_id: Annotated[Text | None, NotNull] = IntegrationId
    ats_application_id: Annotated[Text | None, NotNull] = AtsApplicationId


class InterviewUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "closed"}, {"snoozed_until": "2026-03-20T09:00:00Z"}]},
    )

    company: Annotated[Name | None, NotNull] = Field(default=None, description=COMPANY, examples=["Acme"])
    role_title: Annotated[Name | None, NotNull] = Field(
        default=None, description=ROLE_TITLE, examples=["Backend Engineer"]
    )
    role_family: Annotated[RoleFamily | None, NotNull] = Field(default=None, description=ROLE_FAMILY)
    interview_at: Annotated[Timestamp | None, NotNull] = Field(
        default=None, description=f"Moves the first round; rejected once a later round is scheduled. {TIME_RANGE}"
    )
    duration_minutes: Annotated[Minutes | None, NotNull] = Field(default=None, description=DURATION, examples=[60])
    timezone: TimeZoneName | None = Field(default=None, description=f"{INTERVIEW_TIMEZONE} {TIMEZONE_RULE}")
    decision_expected_by: Day | None = Field(default=None, description=f"{DECISION_EXPECTED_BY} {DATE_RANGE}")
    applied_on: Day | None = Field(default=None, description=f"{APPLIED_ON} {DATE_RANGE}")
    status: Annotated[Status | None, NotNull] = Field(
        default=None, description="Set by hand; `active` reopens the process. " + STATUS
    )
    snoozed_until: Timestamp | None = Field(default=None, description=f"{SNOOZED_UNTIL} Null ends it. {TIME_RANGE}")
    integration_id: Text | None = Field(
        default=None, max_length=36, description=INTEGRATION_ID + " Null (with `ats_application_id`) unlinks."
    )
    ats_application_id: Text | None = AtsApplicationId


class InterviewPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [INTERVIEW_PUBLIC_EXAMPLE]})

    id: str = Field(description="The interview's id.")
    company: str = Field(description=COMPANY)
    role_title: str = Field(description=ROLE_TITLE)
    role_family: RoleFamily = Field(description=ROLE_FAMILY)
    interview_at: UTCTime = Field(description="Start of the current round (UTC).")
    first_interview_at: UTCTime = Field(description="Start of the first round (UTC).")
    duration_minutes: int = Field(description="Length of the current round in minutes.")
    timezone: str | None = Field(description=INTERVIEW_TIMEZONE)
    decision_expected_by: date | None = Field(description=DECISION_EXPECTED_BY)
    applied_on: date | None = Field(description=APPLIED_ON)
    status: Status = Field(description=STATUS)
    snoozed_until: UTCTime | None = Field(description=SNOOZED_UNTIL + " Null when not snoozed.")
    integration_id: str | None = Field(description="The ATS integration this interview follows; null when none.")
    ats_application_id: str | None = Field(description="The application it follows in that ATS; null when none.")
    created_at: UTCTime = Field(description="When the interview was created (UTC).")
    updated_at: UTCTime = Field(description="When it or one of its contacts or events last changed (UTC).")
    contacts: list[ContactPublic] = Field(default_factory=list, description="The people on the hiring team.")
