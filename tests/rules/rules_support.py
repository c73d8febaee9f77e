"""Builders for rules-engine tests: short names for interviews, contacts and events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.rules import (
    Contact,
    Event,
    EventType,
    Facts,
    Interview,
    NextAction,
    Policy,
    Role,
    RoleFamily,
    Status,
    build_policy,
    next_action,
)

NEW_YORK = ZoneInfo("America/New_York")

ANA = Contact("ana", "Ana Silva", Role.RECRUITER, "ana@acme.example", is_primary=True)
BEN = Contact("ben", "Ben Okafor", Role.HIRING_MANAGER, "ben@acme.example")
IVY = Contact("ivy", "Ivy Chen", Role.INTERVIEWER, "ivy@acme.example")
COL = Contact("col", "Col Reyes", Role.COORDINATOR, "col@acme.example")


def local(zone: str | ZoneInfo, *parts: int) -> datetime:
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime(*parts, tzinfo=tz)  # type: ignore[arg-type,misc]


def ny(*parts: int) -> datetime:
    return local(NEW_YORK, *parts)


def interview(
    at: datetime | None = None,
    *,
    timezone: str | None = "America/New_York",
    status: Status = Status.ACTIVE,
    decision_expected_by: date | None = None,
    applied_on: date | None = None,
    snoozed_until: datetime | None = None,
    duration_minutes: int = 60,
    role_family: RoleFamily = RoleFamily.ENGINEERING,
) -> Interview:
    return Interview(
        id="iv-1",
        company="Acme",
        role_title="Backend Engineer",
        role_family=role_family,
        interview_at=at or ny(2026, 3, 2, 10),
        duration_minutes=duration_minutes,
        timezone=timezone,
        decision_expected_by=decision_expected_by,
        applied_on=applied_on,
        status=status,
        snoozed_until=snoozed_until,
    )


def event(kind: EventType | str, occurred_at: datetime, contact: Contact | None = None, **extra: object) -> Event:
    return Event(
        type=EventType(kind),
        occurred_at=occurred_at,
        contact_id=contact.id if contact else None,
        **extra,  # type: ignore[arg-type]
    )


def numbered(*events: Event) -> tuple[Event, ...]:
    """Give events their insertion order, as the service does."""
    return tuple(replace(e, seq=index) for index, e in enumerate(events, start=1))


def policy(**values: object) -> Policy:
    return build_policy(values)


def facts(
    *events: Event,
    iv: Interview | None = None,
    contacts: tuple[Contact, ...] = (ANA, BEN),
    pol: Policy | Mapping[str, object] | None = None,
) -> Facts:
    built = pol if isinstance(pol, Policy) else build_policy(pol or {"country": "US"})
    return Facts(interview=iv or interview(), contacts=contacts, events=numbered(*events), policy=built)


def evaluate(at: datetime, *events: Event, **kwargs: object) -> NextAction:
    return next_action(facts(*events, **kwargs), at)  # type: ignore[arg-type]


THANKED = event("thank_you_sent", ny(2026, 3, 2, 15), ANA)
