"""Validation, serialisation and versioning of the follow-up policy."""

from __future__ import annotations

import hashlib
import json
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


def is_valid_timezone(name: object) -> bool:
    """True for an IANA time zone name known to zoneinfo (from the system or tzdata)."""
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


def build_policy(values: Mapping[str, object], base: Policy | None = None) -> Policy:
    """Apply `values` (JSON-like: strings, numbers, booleans) over `base` (the
    defaults when omitted) and validate the result as a whole.

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
            if not is_valid_timezone(value):
                problems.append((key, f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"))
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
