from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.rules import DeadlineGrace


class PolicyValues(BaseModel):
    timezone: str = Field(description="IANA time zone of the candidate's clock.")
    country: str | None = Field(description="ISO 3166-1 alpha-2 code for public holidays.")
    subdivision: str | None
    business_days_only: bool
    send_hour: int
    thank_you_window_hours: int
    multi_contact_cooldown_hours: int
    deadline_grace: DeadlineGrace
    no_timeline_wait_days: int
    min_days_between_nudges: int
    max_status_checks: int
    escalate_to_hiring_manager: bool
    role_family_days: dict[str, int]


class PolicyPublic(PolicyValues):
    policy_version: str = Field(description="Changes with the rules version or any policy value.")
    overridden: list[str] = Field(description="The keys you have set; the others are defaults.")


class PolicyUpdate(BaseModel):
    """Keys to change. A key set to null goes back to its default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"timezone": "America/New_York", "country": "US", "deadline_grace": "one_week"}]
        },
    )

    timezone: str | None = None
    country: str | None = None
    subdivision: str | None = None
    business_days_only: bool | None = None
    send_hour: int | None = None
    thank_you_window_hours: int | None = None
    multi_contact_cooldown_hours: int | None = None
    deadline_grace: DeadlineGrace | None = None
    no_timeline_wait_days: int | None = None
    min_days_between_nudges: int | None = None
    max_status_checks: int | None = None
    escalate_to_hiring_manager: bool | None = None
    role_family_days: dict[str, int] | None = Field(default=None, description="Only the families to change.")


class RuleInfoPublic(BaseModel):
    id: str
    title: str
    explanation: str
    policy_keys: list[str]


class CataloguePublic(BaseModel):
    version: str
    rules: list[RuleInfoPublic]
    defaults: PolicyValues
