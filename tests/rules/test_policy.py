"""Policy defaults, validation and versioning."""

import pytest

from app.rules import (
    RULES_VERSION,
    DeadlineGrace,
    Policy,
    PolicyError,
    RoleFamily,
    build_policy,
    is_valid_timezone,
    policy_to_dict,
    policy_version,
)


def test_defaults_are_those_of_the_specification() -> None:
    assert policy_to_dict(Policy()) == {
        "timezone": "UTC",
        "country": None,
        "subdivision": None,
        "business_days_only": True,
        "send_hour": 9,
        "thank_you_window_hours": 24,
        "multi_contact_cooldown_hours": 24,
        "deadline_grace": "next_day",
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


def test_valid_overrides_apply_over_a_base() -> None:
    first = build_policy({"timezone": "Asia/Kolkata", "country": "in", "deadline_grace": "one_week"})
    assert (first.timezone, first.country, first.deadline_grace) == ("Asia/Kolkata", "IN", DeadlineGrace.ONE_WEEK)
    second = build_policy({"max_status_checks": 3, "role_family_days": {"research": 60}}, base=first)
    assert second.timezone == "Asia/Kolkata" and second.max_status_checks == 3
    assert second.role_family_days[RoleFamily.RESEARCH] == 60
    assert second.role_family_days[RoleFamily.ENGINEERING] == 49
    assert build_policy({"country": "US", "subdivision": "ca"}).subdivision == "CA"
    assert build_policy({"country": None}).country is None


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"timezone": 5}, "timezone", "unknown time zone"),
        ({"country": "XX"}, "country", "unknown country code"),
        ({"country": 1}, "country", "must be a string or null"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision", "unknown subdivision"),
        ({"subdivision": "CA"}, "subdivision", "needs a country"),
        ({"max_status_checks": 11}, "max_status_checks", "between 0 and 10"),
        ({"max_status_checks": -1}, "max_status_checks", "between 0 and 10"),
        ({"thank_you_window_hours": 169}, "thank_you_window_hours", "between 1 and 168"),
        ({"send_hour": 24}, "send_hour", "between 0 and 23"),
        ({"send_hour": 9.5}, "send_hour", "whole number"),
        ({"send_hour": True}, "send_hour", "whole number"),
        ({"min_days_between_nudges": 0}, "min_days_between_nudges", "between 1 and 90"),
        ({"no_timeline_wait_days": 1000}, "no_timeline_wait_days", "between 1 and 90"),
        ({"multi_contact_cooldown_hours": -5}, "multi_contact_cooldown_hours", "between 0 and 168"),
        ({"business_days_only": "yes"}, "business_days_only", "true or false"),
        ({"deadline_grace": "someday"}, "deadline_grace", "next_day or one_week"),
        ({"role_family_days": [1, 2]}, "role_family_days", "must be an object"),
        ({"role_family_days": {"astronaut": 3}}, "role_family_days.astronaut", "unknown role family"),
        ({"role_family_days": {"research": 0}}, "role_family_days.research", "between 1 and 365"),
        ({"role_family_days": {"research": "many"}}, "role_family_days.research", "between 1 and 365"),
        ({"colour": "blue"}, "colour", "unknown policy key"),
    ],
)
def test_invalid_values_are_rejected_with_a_clear_message(values: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        build_policy(values)
    assert [problem[0] for problem in caught.value.problems] == [key]
    assert message in caught.value.problems[0][1]
    assert key in str(caught.value)


def test_every_problem_is_reported_and_nothing_applied() -> None:
    base = build_policy({"send_hour": 8})
    with pytest.raises(PolicyError) as caught:
        build_policy({"send_hour": 30, "max_status_checks": 99, "timezone": "Nowhere"}, base=base)
    assert sorted(key for key, _ in caught.value.problems) == ["max_status_checks", "send_hour", "timezone"]
    assert base.send_hour == 8


def test_policy_version_changes_with_any_value() -> None:
    default = policy_version(Policy())
    assert default.startswith(RULES_VERSION + "+")
    assert policy_version(Policy()) == default
    assert policy_version(build_policy({"send_hour": 10})) != default
    assert policy_version(build_policy({"role_family_days": {"other": 41}})) != default


def test_timezone_names() -> None:
    assert is_valid_timezone("America/St_Johns")
    assert not is_valid_timezone("EST5EDT/Nowhere")
    assert not is_valid_timezone(None)
