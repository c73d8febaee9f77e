"""Validation, serialisation and versioning of the follow-up policy."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from functools import lru_cache
from zoneinfo import available_timezones

import holidays

from app.rules.model import DEFAULT_ROLE_FAMILY_DAYS, DeadlineGrace, Policy, RoleFamily

RULES_VERSION = "1.1.0"

# Inclusive bounds for the numeric keys: beyond them a value is a mistake, not a choice.
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "send_hour": (0, 23),
    "thank_you_window_hours": (1, 168),
    "multi_contact_cooldown_hours": (0, 168),
    "no_timeline_wait_days": (1, 90),
    "min_days_between_nudges": (1, 90),
    "max_status_checks": (0, 10),
}
ROLE_FAMILY_DAYS_BOUNDS = (1, 365)
BOOL_KEYS = ("business_days_only", "escalate_to_hiring_manager")
POLICY_KEYS = tuple(f.name for f in fields(Policy))


class PolicyError(ValueError):
    """One or more policy values are invalid; `problems` lists (key, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems))


@lru_cache(maxsize=1)
def _timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


EXAMPLE_PLACE = "America/New_York"
_NO_DST = "{name} has no daylight saving time; for {city} use {place}"
_RULE = "{name} is a daylight saving rule, not a place; for {city} use {place}"
_HOST = "{name} depends on the server, not on a place; use the IANA name of the place, such as " + EXAMPLE_PLACE
# Names in the time zone database that are not the clock of a place: fixed offsets (a New
# York interview in June under EST is an hour off), POSIX-style rules, and names whose
# meaning depends on the host. Each says which place a person writing it most likely
# means. GMT is among them: in the United Kingdom it names a clock that is BST all
# summer. UTC and its aliases (Etc/UTC, UCT, Universal, Zulu) mean universal time,
# which is what anyone writing them means: they are accepted.
_NOT_PLACES: dict[str, tuple[str, str, str]] = {
    "EST": (_NO_DST, "New York", "America/New_York"),
    "MST": (_NO_DST, "Denver", "America/Denver (Phoenix: America/Phoenix)"),
    "HST": (_NO_DST, "Honolulu", "Pacific/Honolulu"),
    "EST5EDT": (_RULE, "New York", "America/New_York"),
    "CST6CDT": (_RULE, "Chicago", "America/Chicago"),
    "MST7MDT": (_RULE, "Denver", "America/Denver"),
    "PST8PDT": (_RULE, "Los Angeles", "America/Los_Angeles"),
    "CET": (_RULE, "Paris", "Europe/Paris"),
    "MET": (_RULE, "Paris", "Europe/Paris"),
    "EET": (_RULE, "Athens", "Europe/Athens"),
    "WET": (_RULE, "Lisbon", "Europe/Lisbon"),
    **dict.fromkeys(
        (
            "GMT",
            "GMT0",
            "GMT+0",
            "GMT-0",
            "Greenwich",
            "Etc/GMT",
            "Etc/GMT0",
            "Etc/GMT+0",
            "Etc/GMT-0",
            "Etc/Greenwich",
        ),
        (_NO_DST, "London", "Europe/London (UTC for universal time)"),
    ),
    **dict.fromkeys(("localtime", "posixrules", "Factory"), (_HOST, "", "")),
}
_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def timezone_problem(name: object) -> str | None:
    """Why `name` cannot be the time zone of an interview or a policy; None when it can:
    the IANA name of a place (America/New_York), or UTC. The one check, and wording, for
    every time zone a person gives."""
    if not isinstance(name, str) or name not in _timezone_names():
        return f"unknown time zone {name!r}; use the IANA name of the place, such as {EXAMPLE_PLACE}"
    if name in _NOT_PLACES:
        template, city, place = _NOT_PLACES[name]
        return template.format(name=name, city=city, place=place)
    offset = _ETC_OFFSET.fullmatch(name)
    if offset is not None:
        # POSIX signs: Etc/GMT+5 is five hours behind UTC.
        sign = "-" if offset[1] == "+" else "+"
        return (
            f"{name} is the fixed offset UTC{sign}{int(offset[2]):02d}:00 (its sign is inverted) with no daylight "
            f"saving time; use the IANA name of the place, such as {EXAMPLE_PLACE}"
        )
    return None


def is_valid_timezone(name: object) -> bool:
    """True for a time zone a person may give (see `timezone_problem`)."""
    return timezone_problem(name) is None


def is_known_timezone(name: object) -> bool:
    """True for any name zoneinfo can load: what a value stored before `timezone_problem`
    refused it (EST, say) needs to be read and evaluated."""
    return isinstance(name, str) and name in _timezone_names()


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    return dict(holidays.list_supported_countries())


def _check_int(key: str, value: object, problems: list[tuple[str, str]]) -> None:
    low, high = INT_BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append((key, "must be a whole number"))
    elif not low <= value <= high:
        problems.append((key, f"must be between {low} and {high}"))


def _check_role_family_days(value: object, problems: list[tuple[str, str]]) -> dict[RoleFamily, int] | None:
    if not isinstance(value, Mapping):
        problems.append(("role_family_days", "must be an object of role family to days"))
        return None
    merged = dict(DEFAULT_ROLE_FAMILY_DAYS)
    low, high = ROLE_FAMILY_DAYS_BOUNDS
    for family, days in value.items():
        if family not in RoleFamily.__members__.values():
            known = ", ".join(RoleFamily)
            problems.append((f"role_family_days.{family}", f"unknown role family; use one of {known}"))
        elif isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            problems.append((f"role_family_days.{family}", f"must be a whole number of days between {low} and {high}"))
        else:
            merged[RoleFamily(family)] = days
    return merged


def build_policy(values: Mapping[str, object], base: Policy | None = None, *, stored: bool = False) -> Policy:
    """Apply `values` (JSON-like: strings, numbers, booleans) over `base` (the
    defaults when omitted) and validate the result as a whole. `stored` values were
    accepted when they were written: a time zone refused since (EST) still loads.

    Raises PolicyError listing every problem; nothing is partially applied.
    """
    policy = base if base is not None else Policy()
    problems: list[tuple[str, str]] = []
    changes: dict[str, object] = {}
    for key, value in values.items():
        if key not in POLICY_KEYS:
            problems.append((key, "unknown policy key"))
        elif key in INT_BOUNDS:
            _check_int(key, value, problems)
            changes[key] = value
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                problems.append((key, "must be true or false"))
            changes[key] = value
        elif key == "timezone":
            problem = timezone_problem(value)
            if problem is not None and not (stored and is_known_timezone(value)):
                problems.append((key, problem))
            changes[key] = value
        elif key in ("country", "subdivision"):
            if value is not None and not isinstance(value, str):
                problems.append((key, "must be a string or null"))
            changes[key] = value.upper() if isinstance(value, str) else value
        elif key == "deadline_grace":
            if value not in DeadlineGrace.__members__.values():
                problems.append((key, "must be next_day or one_week"))
            else:
                changes[key] = DeadlineGrace(str(value))
        else:  # role_family_days: the only key left
            changes[key] = _check_role_family_days(value, problems)
    if not problems:
        policy = replace(policy, **changes)  # type: ignore[arg-type]
        _check_holiday_region(policy, problems)
    if problems:
        raise PolicyError(problems)
    return policy


def _check_holiday_region(policy: Policy, problems: list[tuple[str, str]]) -> None:
    countries = _supported_countries()
    if policy.country is None:
        if policy.subdivision is not None:
            problems.append(("subdivision", "needs a country"))
        return
    if policy.country not in countries:
        problems.append(("country", f"unknown country code {policy.country!r}; use ISO 3166-1 alpha-2 such as US"))
    elif policy.subdivision is not None and policy.subdivision not in countries[policy.country]:
        problems.append(("subdivision", f"unknown subdivision {policy.subdivision!r} of {policy.country}"))


def policy_to_dict(policy: Policy) -> dict[str, object]:
    """The policy as JSON-ready values, keys in declaration order."""
    result: dict[str, object] = {}
    for key in POLICY_KEYS:
        value = getattr(policy, key)
        if key == "role_family_days":
            value = {str(family): value[family] for family in RoleFamily}
        elif key == "deadline_grace":
            value = str(value)
        result[key] = value
    return result


def policy_version(policy: Policy) -> str:
    """Changes whenever the rules version or any policy value changes."""
    canonical = json.dumps(policy_to_dict(policy), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{RULES_VERSION}|{canonical}".encode()).hexdigest()[:12]
    return f"{RULES_VERSION}+{digest}"
