"""The rule catalogue served by GET /v1/rules."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.model import Policy
from app.rules.policy import RULES_VERSION, policy_to_dict


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    explanation: str
    policy_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    rules: tuple[RuleInfo, ...]
    defaults: dict[str, object]


RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "R0",
        "Concluded",
        "An offer, a hire, a rejection, a withdrawal or a closed status ends the process: nothing to send.",
        (),
    ),
    RuleInfo(
        "R1",
        "Thank-you note",
        "Until a thank-you is sent for the current round, suggest one from the end of the interview to the end "
        "of the window. Optional: once the window passes, the ladder starts. Not moved to business days.",
        ("thank_you_window_hours",),
    ),
    RuleInfo(
        "R2",
        "First status check",
        "With a stated decision date and no reply on or after it, check in the day (or a week) after it; "
        "otherwise wait a set number of days after the last reply, or after the interview.",
        ("deadline_grace", "no_timeline_wait_days"),
    ),
    RuleInfo(
        "R3",
        "Spacing",
        "After a status check, the next contact waits a minimum number of days: never several nudges in a row.",
        ("min_days_between_nudges",),
    ),
    RuleInfo(
        "R4",
        "Ladder",
        "A limited number of status checks to the recruiter, then one to the hiring manager (when enabled), "
        "then move on and keep applying elsewhere.",
        ("max_status_checks", "escalate_to_hiring_manager"),
    ),
    RuleInfo(
        "R5",
        "Replies reset",
        "A reply, a stated timeline or a stage change starts the ladder again; an automatic reply does not.",
        (),
    ),
    RuleInfo(
        "R6",
        "New round",
        "A scheduled round restarts the cycle: a new thank-you, the ladder at zero, the decision date cleared "
        "unless stated again. An invite sent again replaces its earlier time and restarts the round; a "
        "cancelled invite is set aside, and when it was the interview's own there is nothing to do until a "
        "new date is set.",
        (),
    ),
    RuleInfo(
        "R7",
        "Business days",
        "Status checks move off weekends and public holidays, and are suggested at the send hour in the "
        "interview's time zone.",
        ("business_days_only", "country", "subdivision", "send_hour", "timezone"),
    ),
    RuleInfo("R8", "Snooze", "A snoozed interview suggests nothing before the snooze ends.", ()),
    RuleInfo(
        "R9",
        "As of",
        "The action is computed as of a moment: later events are ignored, and it is due once that moment "
        "reaches the earliest allowed time.",
        (),
    ),
    # Listed after R9 so that R0-R9 keep their places for clients that read them in order.
    RuleInfo(
        "R5a",
        "Away",
        "When the person a step goes to has an out-of-office notice naming a return date, and has not written "
        "since, the step waits until the day after that date so that they can catch up first.",
        (),
    ),
    RuleInfo(
        "R5b",
        "Bounced",
        "A status check that bounced never reached anyone: it does not count toward the ladder or the spacing. "
        "A contact whose address bounced is skipped until the address is corrected; when nobody else fits, "
        "the step names no one and asks for the address to be fixed.",
        (),
    ),
    RuleInfo(
        "expected_decision",
        "Expected decision date",
        "The stated decision date, else the typical time to hire for the role family counted from the "
        "application (or the interview). It informs and never moves a date.",
        ("role_family_days",),
    ),
    RuleInfo(
        "multi_contact_cooldown",
        "One person at a time",
        "Outreach check: do not contact several people on the hiring team within a set number of hours of the "
        "interview.",
        ("multi_contact_cooldown_hours",),
    ),
    RuleInfo(
        "min_days_between_nudges",
        "No nudges in a row",
        "Outreach check: a status check sooner than the minimum spacing after the last one.",
        ("min_days_between_nudges",),
    ),
    RuleInfo(
        "max_status_checks",
        "Ladder limit",
        "Outreach check: a status check beyond the allowed number; escalate or move on instead.",
        ("max_status_checks",),
    ),
    RuleInfo(
        "escalate_to_hiring_manager",
        "Escalation",
        "Outreach check: a status check to the hiring manager before the recruiter was tried, or with escalation "
        "turned off.",
        ("escalate_to_hiring_manager", "max_status_checks"),
    ),
    RuleInfo(
        "business_days_only",
        "Weekends and holidays",
        "Outreach check: a status check on a weekend day or a public holiday.",
        ("business_days_only", "country", "subdivision"),
    ),
    RuleInfo("concluded", "Concluded", "Outreach check: the process has concluded.", ()),
    RuleInfo(
        "unreachable",
        "Bounced address",
        "Outreach check: mail to this contact's current address came back undelivered; correct it first.",
        (),
    ),
)


def catalogue() -> Catalogue:
    return Catalogue(version=RULES_VERSION, rules=RULES, defaults=policy_to_dict(Policy()))
