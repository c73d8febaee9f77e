"""Policy defaults, validation and versioning."""

import pytest

from app.rules import (
    RULES_VERSION,
    DeadlineGrace,
    Policy,
    PolicyError,
    RoleFamily,
    build_policy,
    is_known_timezone,
    is_valid_timezone,
    policy_to_dict,
    policy_version,
    timezone_problem,
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


@pytest.mark.parametrize("name", ["America/New_York", "Europe/London", "US/Eastern", "Japan", "UTC", "Etc/UTC", "Zulu"])
def test_places_and_utc_are_time_zones_a_person_means(name: str) -> None:
    assert timezone_problem(name) is None
    assert is_valid_timezone(name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("EST", "EST has no daylight saving time; for New York use America/New_York"),
        ("MST", "MST has no daylight saving time; for Denver use America/Denver"),
        ("HST", "HST has no daylight saving time; for Honolulu use Pacific/Honolulu"),
        ("EST5EDT", "EST5EDT is a daylight saving rule, not a place; for New York use America/New_York"),
        ("CST6CDT", "CST6CDT is a daylight saving rule, not a place; for Chicago use America/Chicago"),
        ("CET", "for Paris use Europe/Paris"),
        ("GMT", "GMT has no daylight saving time; for London use Europe/London"),
        ("Etc/GMT", "for London use Europe/London"),
        # Known to zoneinfo or not depending on the host's database: refused either way.
        ("localtime", "localtime"),
        ("posixrules", "posixrules"),
        ("Factory", "Factory"),
        ("Etc/GMT+5", "Etc/GMT+5 is the fixed offset UTC-05:00 (its sign is inverted) with no daylight saving time"),
        ("Etc/GMT-14", "Etc/GMT-14 is the fixed offset UTC+14:00"),
        ("Nowhere", "unknown time zone 'Nowhere'; use the IANA name of the place, such as America/New_York"),
        (None, "unknown time zone None"),
    ],
)
def test_names_that_are_not_places_are_refused_with_the_place_to_use(name: str | None, message: str) -> None:
    problem = timezone_problem(name)
    assert problem is not None and message in problem
    assert not is_valid_timezone(name)


def test_known_timezones_include_those_refused_for_new_input() -> None:
    assert is_known_timezone("EST") and is_known_timezone("America/New_York")
    assert not is_known_timezone("Nowhere") and not is_known_timezone(3)


def test_a_policy_refuses_a_fixed_offset_with_the_same_words_as_an_interview() -> None:
    with pytest.raises(PolicyError) as caught:
        build_policy({"timezone": "EST"})
    assert caught.value.problems == [("timezone", timezone_problem("EST"))]


def test_a_stored_policy_with_a_fixed_offset_still_loads() -> None:
    assert build_policy({"timezone": "EST"}, stored=True).timezone == "EST"
    with pytest.raises(PolicyError) as caught:
        build_policy({"timezone": "Nowhere"}, stored=True)
    assert caught.value.problems == [("timezone", timezone_problem("Nowhere"))]
