from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import holidays
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from app.core.schemas import TIMEZONE_RULE, WHOLE_NUMBER, Public, Text, TimeZoneName
from app.rules import DeadlineGrace, RoleFamily
from app.rules.policy import INT_BOUNDS, ROLE_FAMILY_DAYS_BOUNDS

# The countries the policy takes: those the `holidays` package knows (ISO 3166-1 alpha-2 and
# alpha-3), which are those `build_policy` checks against.
Country = StrEnum(  # type: ignore[misc]
    "Country", [(code, code) for code in sorted(holidays.list_supported_countries())]
)
Country.__doc__ = "An ISO 3166-1 country code (alpha-2, or alpha-3) whose public holidays and weekend days are known."


def _upper(value: object) -> object:
    # The policy has always taken country codes in any case, and stores them upper-cased.
    return value.upper() if isinstance(value, str) else value


CountryCode = Annotated[Country, BeforeValidator(_upper)]

DESCRIPTIONS: dict[str, str] = {
    "timezone": "The candidate's clock: dates and the send hour are read in it, unless the interview has its own.",
    "country": "Public holidays and weekend days of this country (ISO 3166-1) move dates off them; null: "
    "Saturday and Sunday only.",
    "subdivision": "A state or region of `country` with holidays of its own (such as CA for the US); null: the "
    "country's holidays only.",
    "business_days_only": "No nudge lands on a weekend day or public holiday.",
    "send_hour": "The local hour (0-23) of `earliest_allowed_at` on the earliest date.",
    "thank_you_window_hours": "How long after the interview a thank-you stays timely.",
    "multi_contact_cooldown_hours": "Within this many hours of the interview, contact only one person.",
    "deadline_grace": "After a stated decision date, the first status check waits until the next day "
    "(`next_day`) or a week (`one_week`).",
    "no_timeline_wait_days": "With no decision date given, days to wait after the interview or the last reply "
    "before the first status check.",
    "min_days_between_nudges": "Days at least between two status checks.",
    "max_status_checks": "Status checks to the recruiter before escalating to the hiring manager or moving on.",
    "escalate_to_hiring_manager": "After the unanswered status checks, write once to the hiring manager.",
    "role_family_days": "Typical days to a decision for each role family, when the employer gave no date.",
}
POLICY_EXAMPLE: dict[str, Any] = {
    "timezone": "America/New_York",
    "country": "US",
    "subdivision": None,
    "business_days_only": True,
    "send_hour": 9,
    "thank_you_window_hours": 24,
    "multi_contact_cooldown_hours": 24,
    "deadline_grace": "one_week",
    "no_timeline_wait_days": 7,
    "min_days_between_nudges": 7,
    "max_status_checks": 2,
    "escalate_to_hiring_manager": True,
    "role_family_days": {
        "engineering": 49,
        "research": 48,
        "project_management": 47,
        "customer_service": 34,
        "administrative": 33,
        "other": 42,
    },
}


def _bounded(key: str) -> Any:
    low, high = INT_BOUNDS[key]
    return Field(default=None, description=f"{DESCRIPTIONS[key]} From {low} to {high}.")


# The whole-number check after the bounds, so that the schema says `minimum` and `maximum`
# (app.core.schemas.WHOLE_NUMBER).
SendHour = Annotated[int, Field(ge=INT_BOUNDS["send_hour"][0], le=INT_BOUNDS["send_hour"][1]), WHOLE_NUMBER]
ThankYouWindowHours = Annotated[
    int, Field(ge=INT_BOUNDS["thank_you_window_hours"][0], le=INT_BOUNDS["thank_you_window_hours"][1]), WHOLE_NUMBER
]
MultiContactCooldownHours = Annotated[
    int,
    Field(ge=INT_BOUNDS["multi_contact_cooldown_hours"][0], le=INT_BOUNDS["multi_contact_cooldown_hours"][1]),
    WHOLE_NUMBER,
]
NoTimelineWaitDays = Annotated[
    int, Field(ge=INT_BOUNDS["no_timeline_wait_days"][0], le=INT_BOUNDS["no_timeline_wait_days"][1]), WHOLE_NUMBER
]
MinDaysBetweenNudges = Annotated[
    int, Field(ge=INT_BOUNDS["min_days_between_nudges"][0], le=INT_BOUNDS["min_days_between_nudges"][1]), WHOLE_NUMBER
]
MaxStatusChecks = Annotated[
    int, Field(ge=INT_BOUNDS["max_status_checks"][0], le=INT_BOUNDS["max_status_checks"][1]), WHOLE_NUMBER
]


def _said(key: str) -> Any:
    return Field(description=DESCRIPTIONS[key])


FamilyDays = Annotated[int, Field(ge=ROLE_FAMILY_DAYS_BOUNDS[0], le=ROLE_FAMILY_DAYS_BOUNDS[1]), WHOLE_NUMBER]


class PolicyValues(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [POLICY_EXAMPLE]})

    timezone: str = Field(description=f"IANA time zone. {DESCRIPTIONS['timezone']}")
    country: str | None = _said("country")
    subdivision: str | None = _said("subdivision")
    business_days_only: bool = _said("business_days_only")
    send_hour: int = _said("send_hour")
    thank_you_window_hours: int = _said("thank_you_window_hours")
    multi_contact_cooldown_hours: int = _said("multi_contact_cooldown_hours")
    deadline_grace: DeadlineGrace = _said("deadline_grace")
    no_timeline_wait_days: int = _said("no_timeline_wait_days")
    min_days_between_nudges: int = _said("min_days_between_nudges")
    max_status_checks: int = _said("max_status_checks")
    escalate_to_hiring_manager: bool = _said("escalate_to_hiring_manager")
    role_family_days: dict[str, int] = Field(description=DESCRIPTIONS["role_family_days"] + " Every family.")


class PolicyPublic(PolicyValues):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **POLICY_EXAMPLE,
                    "policy_version": "1.1.0+3f9c2a7d41e0",
                    "overridden": ["country", "deadline_grace", "timezone"],
                }
            ]
        }
    )

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

    timezone: TimeZoneName | None = Field(default=None, description=f"{DESCRIPTIONS['timezone']} {TIMEZONE_RULE}")
    country: CountryCode | None = Field(
        default=None, description=DESCRIPTIONS["country"] + " Lower case is taken too.", examples=["US"]
    )
    # Whether a subdivision belongs to the country (this body's or the stored one) is checked
    # by the service: a schema would need one condition per country.
    subdivision: Text | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        examples=["CA"],
        description=DESCRIPTIONS["subdivision"] + " It must be one of that country's (checked by the service).",
    )
    business_days_only: StrictBool | None = Field(default=None, description=DESCRIPTIONS["business_days_only"])
    send_hour: SendHour | None = _bounded("send_hour")
    thank_you_window_hours: ThankYouWindowHours | None = _bounded("thank_you_window_hours")
    multi_contact_cooldown_hours: MultiContactCooldownHours | None = _bounded("multi_contact_cooldown_hours")
    deadline_grace: DeadlineGrace | None = Field(default=None, description=DESCRIPTIONS["deadline_grace"])
    no_timeline_wait_days: NoTimelineWaitDays | None = _bounded("no_timeline_wait_days")
    min_days_between_nudges: MinDaysBetweenNudges | None = _bounded("min_days_between_nudges")
    max_status_checks: MaxStatusChecks | None = _bounded("max_status_checks")
    escalate_to_hiring_manager: StrictBool | None = Field(
        default=None, description=DESCRIPTIONS["escalate_to_hiring_manager"]
    )
    role_family_days: dict[str, FamilyDays] | None = Field(
        default=None,
        # The service names an unknown family in its answer; the schema lists the known ones.
        json_schema_extra={"propertyNames": {"enum": [family.value for family in RoleFamily]}},
        description=f"{DESCRIPTIONS['role_family_days']} Only the families to change, each from "
        f"{ROLE_FAMILY_DAYS_BOUNDS[0]} to {ROLE_FAMILY_DAYS_BOUNDS[1]} days.",
        max_length=len(RoleFamily),
        examples=[{"engineering": 30}],
    )


class RuleInfoPublic(Public):
    id: str = Field(description="The rule's id (R0 to R9), as `rule` in next actions names it.")
    title: str = Field(description="Its name.")
    explanation: str = Field(description="What it does, in words.")
    policy_keys: list[str] = Field(description="The policy keys it reads.")


class CataloguePublic(Public):
    version: str = Field(description="The rules version (the start of every `policy_version`).")
    rules: list[RuleInfoPublic] = Field(description="Every rule, in the order they are tried.")
    defaults: PolicyValues = Field(description="The default policy.")
