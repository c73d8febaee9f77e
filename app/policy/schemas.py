from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.core.schemas import TIMEZONE_RULE, Text
from app.rules import DeadlineGrace, RoleFamily
from app.rules.policy import INT_BOUNDS, ROLE_FAMILY_DAYS_BOUNDS


def _bounded(key: str) -> int | None:
    low, high = INT_BOUNDS[key]
    return Field(default=None, ge=low, le=high)


FamilyDays = Annotated[StrictInt, Field(ge=ROLE_FAMILY_DAYS_BOUNDS[0], le=ROLE_FAMILY_DAYS_BOUNDS[1])]


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

    timezone: Text | None = Field(default=None, max_length=64, examples=["America/New_York"], description=TIMEZONE_RULE)
    country: Text | None = Field(default=None, min_length=2, max_length=3, examples=["US"])
    subdivision: Text | None = Field(default=None, min_length=1, max_length=50, examples=["CA"])
    business_days_only: StrictBool | None = None
    send_hour: StrictInt | None = _bounded("send_hour")
    thank_you_window_hours: StrictInt | None = _bounded("thank_you_window_hours")
    multi_contact_cooldown_hours: StrictInt | None = _bounded("multi_contact_cooldown_hours")
    deadline_grace: DeadlineGrace | None = None
    no_timeline_wait_days: StrictInt | None = _bounded("no_timeline_wait_days")
    min_days_between_nudges: StrictInt | None = _bounded("min_days_between_nudges")
    max_status_checks: StrictInt | None = _bounded("max_status_checks")
    escalate_to_hiring_manager: StrictBool | None = None
    role_family_days: dict[str, FamilyDays] | None = Field(
        default=None,
        description="Only the families to change.",
        json_schema_extra={"propertyNames": {"enum": [family.value for family in RoleFamily]}},
        max_length=len(RoleFamily),
    )


class RuleInfoPublic(BaseModel):
    id: str
    title: str
    explanation: str
    policy_keys: list[str]


class CataloguePublic(BaseModel):
    version: str
    rules: list[RuleInfoPublic]
    defaults: PolicyValues
