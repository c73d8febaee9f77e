"""Inputs and outputs of the rules engine: plain, immutable values.

Nothing here knows about HTTP or databases; the service layer converts its rows
into these values and the results back into its schemas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    """Who a contact is on the hiring team; status checks go to anyone but the hiring
    manager, who gets the one escalation."""

    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"
    COORDINATOR = "coordinator"
    OTHER = "other"


class RoleFamily(StrEnum):
    """The kind of role applied for; without a stated decision date, it decides how long a
    decision usually takes."""

    ENGINEERING = "engineering"
    RESEARCH = "research"
    PROJECT_MANAGEMENT = "project_management"
    CUSTOMER_SERVICE = "customer_service"
    ADMINISTRATIVE = "administrative"
    OTHER = "other"


class EventType(StrEnum):
    # outbound: candidate to employer
    THANK_YOU_SENT = "thank_you_sent"
    STATUS_CHECK_SENT = "status_check_sent"
    VALUE_ADD_SENT = "value_add_sent"
    # inbound: employer to candidate
    REPLY_RECEIVED = "reply_received"
    TIMELINE_SHARED = "timeline_shared"
    STAGE_CHANGED = "stage_changed"
    AUTO_REPLY_RECEIVED = "auto_reply_received"
    ROUND_SCHEDULED = "round_scheduled"
    ROUND_CANCELLED = "round_cancelled"
    MESSAGE_BOUNCED = "message_bounced"
    REJECTED = "rejected"
    OFFER_RECEIVED = "offer_received"
    HIRED = "hired"
    # candidate
    WITHDRAWN = "withdrawn"
    NOTE = "note"


OUTBOUND_TYPES = frozenset({EventType.THANK_YOU_SENT, EventType.STATUS_CHECK_SENT, EventType.VALUE_ADD_SENT})
# Events that restart the nudge ladder (R5); an auto-reply is deliberately absent.
REPLY_TYPES = frozenset({EventType.REPLY_RECEIVED, EventType.TIMELINE_SHARED, EventType.STAGE_CHANGED})
# Employer to candidate: after an away notice, any of these from the same person shows
# they are back (R5a).
INBOUND_TYPES = frozenset(
    {
        *REPLY_TYPES,
        EventType.AUTO_REPLY_RECEIVED,
        EventType.ROUND_SCHEDULED,
        EventType.ROUND_CANCELLED,
        EventType.MESSAGE_BOUNCED,
        EventType.REJECTED,
        EventType.OFFER_RECEIVED,
        EventType.HIRED,
    }
)


class Status(StrEnum):
    """Where the hiring process stands: `active` while it goes on; the others end it, and
    with them the follow-ups."""

    ACTIVE = "active"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


TERMINAL_STATUSES = frozenset({Status.OFFER, Status.HIRED, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED})
# Events that conclude the process, and the interview status each one implies.
TERMINAL_EVENT_STATUS: dict[EventType, Status] = {
    EventType.REJECTED: Status.REJECTED,
    EventType.OFFER_RECEIVED: Status.OFFER,
    EventType.HIRED: Status.HIRED,
    EventType.WITHDRAWN: Status.WITHDRAWN,
}


class Action(StrEnum):
    """What to do next: `send_thank_you` (thank the people met in this round),
    `send_status_check` (ask for news), `escalate_to_hiring_manager` (write once to the
    hiring manager after unanswered checks), `move_on` (stop following up), `none`
    (nothing to send: the process ended, or the round waits for a new date)."""

    SEND_THANK_YOU = "send_thank_you"
    SEND_STATUS_CHECK = "send_status_check"
    ESCALATE_TO_HIRING_MANAGER = "escalate_to_hiring_manager"
    MOVE_ON = "move_on"
    NONE = "none"


class DeadlineGrace(StrEnum):
    """How long after a stated decision date the first status check waits: the next
    business day, or a week."""

    NEXT_DAY = "next_day"
    ONE_WEEK = "one_week"


class DecisionBasis(StrEnum):
    """Where the decision date comes from: `stated` by the employer, or
    `typical_for_role_family` when none was given."""

    STATED = "stated"
    TYPICAL_FOR_ROLE_FAMILY = "typical_for_role_family"


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    role: Role
    email: str | None = None
    is_primary: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened. `seq` is the insertion order, used to break ties
    between events at the same instant; the position in the input is used after it."""

    type: EventType
    occurred_at: datetime
    contact_id: str | None = None
    decision_expected_by: date | None = None  # timeline_shared
    interview_at: datetime | None = None  # round_scheduled
    seq: int = 0
    id: str | None = None
    returns_on: date | None = None  # auto_reply_received: the day the sender is back
    duration_minutes: int | None = None  # round_scheduled; the interview's duration when absent
    invite_uid: str | None = None  # round_scheduled, round_cancelled: the calendar invite
    address: str | None = None  # message_bounced: the address that failed
    status: str | None = None  # message_bounced: the delivery status, such as 5.1.1


@dataclass(frozen=True, slots=True)
class Interview:
    id: str
    company: str
    role_title: str
    role_family: RoleFamily
    interview_at: datetime  # first round; later rounds come from round_scheduled events
    duration_minutes: int = 60
    timezone: str | None = None  # overrides the policy time zone when set
    decision_expected_by: date | None = None
    applied_on: date | None = None
    status: Status = Status.ACTIVE
    snoozed_until: datetime | None = None
    candidate_name: str | None = None
    invite_uid: str | None = None  # the calendar invite the first round came from, if any


DEFAULT_ROLE_FAMILY_DAYS: dict[RoleFamily, int] = {
    # Median days to hire by role family (LinkedIn, 400,000 hires, 2020-21);
    # "other" is the mean of the five named families.
    RoleFamily.ENGINEERING: 49,
    RoleFamily.RESEARCH: 48,
    RoleFamily.PROJECT_MANAGEMENT: 47,
    RoleFamily.CUSTOMER_SERVICE: 34,
    RoleFamily.ADMINISTRATIVE: 33,
    RoleFamily.OTHER: 42,
}


@dataclass(frozen=True, slots=True)
class Policy:
    """The user's follow-up policy. Build validated instances with
    `app.rules.policy.build_policy`; the defaults here are RULES.md's."""

    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    business_days_only: bool = True
    send_hour: int = 9
    thank_you_window_hours: int = 24
    multi_contact_cooldown_hours: int = 24
    deadline_grace: DeadlineGrace = DeadlineGrace.NEXT_DAY
    no_timeline_wait_days: int = 7
    min_days_between_nudges: int = 7
    max_status_checks: int = 2
    escalate_to_hiring_manager: bool = True
    role_family_days: Mapping[RoleFamily, int] = field(default_factory=lambda: dict(DEFAULT_ROLE_FAMILY_DAYS))


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the engine needs about one interview."""

    interview: Interview
    contacts: tuple[Contact, ...] = ()
    events: tuple[Event, ...] = ()
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True, slots=True)
class Constraint:
    """A rule that moved the earliest date, and the date it produced."""

    rule: str
    detail: str
    date: date


@dataclass(frozen=True, slots=True)
class Draft:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class NextAction:
    interview_id: str
    as_of: datetime
    action: Action
    earliest_allowed_date: date | None
    earliest_allowed_at: datetime | None
    latest_recommended_at: datetime | None
    due: bool
    contact: Contact | None
    rule: str
    reason: str
    constraints: tuple[Constraint, ...]
    expected_decision_by: date
    decision_basis: DecisionBasis
    nudges_sent: int
    nudges_remaining: int
    draft: Draft | None
    policy_version: str


@dataclass(frozen=True, slots=True)
class Round:
    """The current round as it stood at a moment: when it started and ended (E), and
    whether a thank-you went out in it."""

    starts_at: datetime
    ends_at: datetime
    thank_you_sent: bool


@dataclass(frozen=True, slots=True)
class OutreachProposal:
    """A message the candidate is about to send (`type` is an outbound event type);
    the time it would be sent is the `at` given to `check_outreach`."""

    contact_id: str
    type: EventType


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    detail: str
    until: datetime | None  # when the rule stops applying; None if it never will
