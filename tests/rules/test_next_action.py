"""Table-driven tests of R0-R9. Each expected date was worked out by hand from a
calendar (weekdays, US/GB/DE public holidays, daylight saving changes) and RULES.md."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest
from rules_support import ANA, BEN, COL, IVY, THANKED, event, facts, interview, local, ny

from app.rules import Action, Contact, DecisionBasis, Event, EventType, Interview, Role, Status, next_action


@dataclass
class Case:
    id: str
    at: datetime
    events: tuple[Event, ...] = ()
    expect_action: Action = Action.SEND_STATUS_CHECK
    expect_at: str | None = None  # earliest_allowed_at, RFC 3339
    expect_rule: str | None = None
    expect_contact: Contact | str | None = "unchecked"
    options: dict[str, object] = field(default_factory=dict)


def timeline(when: datetime, decided_by: date) -> Event:
    return event("timeline_shared", when, ANA, decision_expected_by=decided_by)


def nudge(when: datetime, contact: Contact = ANA) -> Event:
    return event("status_check_sent", when, contact)


def away(when: datetime, contact: Contact, returns_on: date | None) -> Event:
    return event("auto_reply_received", when, contact, returns_on=returns_on)


def bounce(when: datetime, contact: Contact | None, address: str | None = None) -> Event:
    """A permanent bounce; the address defaults to the contact's current one."""
    failed = address if address is not None else (contact.email if contact else None)
    return event("message_bounced", when, contact, address=failed, status="5.1.1")


def scheduled(when: datetime, starts: datetime, uid: str | None = None, minutes: int | None = None) -> Event:
    return event("round_scheduled", when, COL, interview_at=starts, invite_uid=uid, duration_minutes=minutes)


def cancelled(when: datetime, uid: str | None) -> Event:
    return event("round_cancelled", when, COL, invite_uid=uid)


# Ana's address before she gave a new one: a bounce to it leaves her reachable.
OLD_ANA = "ana@old-acme.example"


US = {"country": "US"}
CASES = [
    # --- R2 with a stated decision date
    Case(
        "deadline-friday",
        ny(2026, 3, 7),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6))),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_rule="R2",
        expect_contact=ANA,
    ),
    Case(
        "deadline-thursday-next-day-is-a-business-day",
        ny(2026, 3, 5),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 5))),
        expect_at="2026-03-06T09:00:00-05:00",
    ),
    Case(
        "deadline-eve-of-labor-day",
        ny(2026, 9, 1),
        (event("thank_you_sent", ny(2026, 8, 31, 15), ANA), timeline(ny(2026, 9, 1), date(2026, 9, 6))),
        expect_at="2026-09-08T09:00:00-04:00",
        options={"iv": interview(ny(2026, 8, 31, 10))},
    ),
    Case(
        "deadline-before-thanksgiving-us",
        ny(2026, 11, 20),
        (event("thank_you_sent", ny(2026, 11, 16, 15), ANA), timeline(ny(2026, 11, 17), date(2026, 11, 25))),
        expect_at="2026-11-27T09:00:00-05:00",
        options={"iv": interview(ny(2026, 11, 16, 10))},
    ),
    Case(
        "deadline-before-thanksgiving-california-adds-the-day-after",
        ny(2026, 11, 20),
        (event("thank_you_sent", ny(2026, 11, 16, 15), ANA), timeline(ny(2026, 11, 17), date(2026, 11, 25))),
        expect_at="2026-11-30T09:00:00-05:00",
        options={"iv": interview(ny(2026, 11, 16, 10)), "pol": {"country": "US", "subdivision": "CA"}},
    ),
    Case(
        "new-year-us",
        ny(2026, 12, 30),
        (event("thank_you_sent", ny(2026, 12, 14, 15), ANA), timeline(ny(2026, 12, 15), date(2026, 12, 31))),
        expect_at="2027-01-04T09:00:00-05:00",
        options={"iv": interview(ny(2026, 12, 14, 10))},
    ),
    Case(
        "christmas-and-boxing-day-substitute-gb",
        local("Europe/London", 2026, 12, 20),
        (
            event("thank_you_sent", local("Europe/London", 2026, 12, 14, 15), ANA),
            timeline(local("Europe/London", 2026, 12, 15), date(2026, 12, 24)),
        ),
        expect_at="2026-12-29T09:00:00+00:00",
        options={
            "iv": interview(local("Europe/London", 2026, 12, 14, 10), timezone="Europe/London"),
            "pol": {"country": "GB"},
        },
    ),
    Case(
        "christmas-germany-two-holidays-then-the-weekend",
        local("Europe/Berlin", 2026, 12, 20),
        (
            event("thank_you_sent", local("Europe/Berlin", 2026, 12, 14, 15), ANA),
            timeline(local("Europe/Berlin", 2026, 12, 15), date(2026, 12, 24)),
        ),
        expect_at="2026-12-28T09:00:00+01:00",
        options={
            "iv": interview(local("Europe/Berlin", 2026, 12, 14, 10), timezone="Europe/Berlin"),
            "pol": {"country": "DE"},
        },
    ),
    Case(
        "one-week-grace",
        ny(2026, 3, 7),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6))),
        expect_at="2026-03-13T09:00:00-04:00",
        options={"pol": {"country": "US", "deadline_grace": "one_week"}},
    ),
    Case(
        "business-days-off-lands-on-saturday",
        ny(2026, 3, 7),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6))),
        expect_at="2026-03-07T09:00:00-05:00",
        options={"pol": {"business_days_only": False}},
    ),
    Case(
        "send-hour-14",
        ny(2026, 3, 7),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6))),
        expect_at="2026-03-09T14:00:00-04:00",
        options={"pol": {"send_hour": 14}},
    ),
    # --- replies around the deadline
    Case(
        "reply-before-the-deadline-keeps-it",
        ny(2026, 3, 5, 12),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6)), event("reply_received", ny(2026, 3, 5, 11), ANA)),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "reply-on-the-deadline-day-waits-a-week",
        ny(2026, 3, 6, 17),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6)), event("reply_received", ny(2026, 3, 6, 16), ANA)),
        expect_at="2026-03-13T09:00:00-04:00",
    ),
    Case(
        "reply-after-the-deadline-waits-a-week-from-it",
        ny(2026, 3, 9, 12),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 6)), event("reply_received", ny(2026, 3, 9, 11), ANA)),
        expect_at="2026-03-16T09:00:00-04:00",
    ),
    Case(
        "latest-timeline-wins-even-if-earlier",
        ny(2026, 3, 5),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 20)), timeline(ny(2026, 3, 4), date(2026, 3, 6))),
        expect_at="2026-03-09T09:00:00-04:00",
    ),
    Case(
        "latest-by-occurred-at-not-by-insertion",
        ny(2026, 3, 5),
        (THANKED, timeline(ny(2026, 3, 4), date(2026, 3, 6)), timeline(ny(2026, 3, 3), date(2026, 3, 20))),
        expect_at="2026-03-09T09:00:00-04:00",
    ),
    Case(
        "decision-date-set-on-the-interview",
        ny(2026, 3, 4),
        (THANKED,),
        expect_at="2026-03-09T09:00:00-04:00",
        options={"iv": interview(decision_expected_by=date(2026, 3, 6))},
    ),
    Case(
        "timeline-overrides-the-interview-date",
        ny(2026, 3, 4),
        (THANKED, timeline(ny(2026, 3, 3), date(2026, 3, 10))),
        expect_at="2026-03-11T09:00:00-04:00",
        options={"iv": interview(decision_expected_by=date(2026, 3, 6))},
    ),
    # --- no stated date: a week after the interview or the last reply
    Case(
        "no-timeline-a-week-after-the-interview-dst-spring",
        ny(2026, 3, 4),
        (THANKED,),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "window-passed-without-thank-you", ny(2026, 3, 4), (), expect_at="2026-03-09T09:00:00-04:00", expect_rule="R2"
    ),
    Case(
        "dst-fall-back-week",
        ny(2026, 10, 27),
        (event("thank_you_sent", ny(2026, 10, 26, 15), ANA),),
        expect_at="2026-11-02T09:00:00-05:00",
        options={"iv": interview(ny(2026, 10, 26, 10))},
    ),
    Case(
        "dst-fall-back-before-the-change",
        ny(2026, 10, 24),
        (event("thank_you_sent", ny(2026, 10, 23, 15), ANA),),
        expect_at="2026-10-30T09:00:00-04:00",
        options={"iv": interview(ny(2026, 10, 23, 10))},
    ),
    Case(
        "send-hour-in-the-spring-forward-gap",
        ny(2026, 3, 3),
        (THANKED, timeline(ny(2026, 3, 2, 16), date(2026, 3, 7))),
        expect_at="2026-03-08T03:00:00-04:00",
        options={"pol": {"business_days_only": False, "send_hour": 2}},
    ),
    Case(
        "kiritimati-local-date-is-a-day-ahead-of-utc",
        datetime.fromisoformat("2026-03-04T00:00:00+00:00"),
        (event("thank_you_sent", datetime.fromisoformat("2026-03-03T02:00:00+00:00"), ANA),),
        expect_at="2026-03-10T09:00:00+14:00",
        options={"iv": interview(datetime.fromisoformat("2026-03-02T20:00:00+00:00"), timezone="Pacific/Kiritimati")},
    ),
    Case(
        "kolkata-interview-ending-after-local-midnight",
        datetime.fromisoformat("2026-03-08T00:00:00+00:00"),
        (event("thank_you_sent", datetime.fromisoformat("2026-03-05T20:00:00+00:00"), ANA),),
        expect_at="2026-03-13T09:00:00+05:30",
        options={"iv": interview(datetime.fromisoformat("2026-03-05T18:00:00+00:00"), timezone="Asia/Kolkata")},
    ),
    Case(
        "st-johns-half-hour-offset-and-its-dst",
        local("America/St_Johns", 2026, 3, 2),
        (
            event("thank_you_sent", local("America/St_Johns", 2026, 2, 27, 18), ANA),
            timeline(local("America/St_Johns", 2026, 2, 27, 18), date(2026, 3, 6)),
        ),
        expect_at="2026-03-09T09:00:00-02:30",
        options={
            "iv": interview(local("America/St_Johns", 2026, 2, 27, 16), timezone="America/St_Johns"),
            "pol": {"country": "CA"},
        },
    ),
    Case(
        "policy-timezone-when-the-interview-has-none",
        datetime.fromisoformat("2026-03-04T00:00:00+00:00"),
        (THANKED,),
        expect_at="2026-03-09T09:00:00+01:00",
        options={"iv": interview(timezone=None), "pol": {"timezone": "Europe/Paris"}},
    ),
    # --- R3 and R5
    Case(
        "auto-reply-does-not-reset",
        ny(2026, 3, 10, 12),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), event("auto_reply_received", ny(2026, 3, 9, 9, 31), ANA)),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R3",
    ),
    Case(
        "reply-resets-the-ladder",
        ny(2026, 3, 10, 12),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), event("reply_received", ny(2026, 3, 10, 11), ANA)),
        expect_at="2026-03-17T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "stage-change-resets-the-ladder",
        ny(2026, 3, 10, 12),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), event("stage_changed", ny(2026, 3, 10, 11))),
        expect_at="2026-03-17T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "nudge-and-reply-at-the-same-instant-follow-insertion-order",
        ny(2026, 3, 10, 12),
        (THANKED, nudge(ny(2026, 3, 9, 10)), event("reply_received", ny(2026, 3, 9, 10), ANA)),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "nudge-spacing-configurable",
        ny(2026, 3, 10, 12),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30))),
        expect_at="2026-03-12T09:00:00-04:00",
        expect_rule="R3",
        options={"pol": {"min_days_between_nudges": 3}},
    ),
    Case(
        "note-and-value-add-change-nothing",
        ny(2026, 3, 10, 12),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            event("note", ny(2026, 3, 9, 12)),
            event("value_add_sent", ny(2026, 3, 9, 13), ANA),
        ),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R3",
    ),
    # --- R5a: away until a stated day
    Case(
        "away-raises-the-spacing-to-the-day-after-the-return",
        ny(2026, 3, 10),
        (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 16))),
        expect_at="2026-03-17T09:00:00-04:00",
        expect_rule="R3",
        expect_contact=ANA,
    ),
    Case(
        "away-back-before-the-step-changes-nothing",
        ny(2026, 3, 10),
        (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 15))),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R3",
    ),
    Case(
        "away-raises-the-first-nudge-then-r7-skips-the-weekend",
        ny(2026, 3, 5),
        (THANKED, away(ny(2026, 3, 3, 8), ANA, date(2026, 3, 20))),  # back Friday: Saturday, then Monday
        expect_at="2026-03-23T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "away-a-later-auto-reply-is-the-one-that-counts",
        ny(2026, 3, 10, 12),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 5)),
            away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 27)),
            away(ny(2026, 3, 10, 8), ANA, date(2026, 3, 18)),
        ),
        expect_at="2026-03-19T09:00:00-04:00",
    ),
    Case(
        "away-a-later-auto-reply-without-a-date-ends-it",
        ny(2026, 3, 10, 12),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 5)),
            away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 27)),
            away(ny(2026, 3, 10, 8), ANA, None),
        ),
        expect_at="2026-03-16T09:00:00-04:00",
    ),
    Case(
        "away-anything-inbound-from-them-afterwards-ends-it",
        ny(2026, 3, 10),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 5)),
            away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 27)),
            event("round_cancelled", ny(2026, 3, 9, 12), ANA, invite_uid="call"),
        ),
        expect_at="2026-03-16T09:00:00-04:00",
    ),
    Case(
        "away-a-note-of-yours-about-them-does-not-end-it",
        ny(2026, 3, 10),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 5)),
            away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 18)),
            event("note", ny(2026, 3, 9, 12), ANA),
        ),
        expect_at="2026-03-19T09:00:00-04:00",
    ),
    Case(
        "away-of-someone-the-step-does-not-go-to",
        ny(2026, 3, 10),
        (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), IVY, date(2026, 3, 27))),
        expect_at="2026-03-16T09:00:00-04:00",
        options={"contacts": (ANA, BEN, IVY)},
    ),
    Case(
        "away-before-the-last-reply-is-over",
        ny(2026, 3, 5),
        (THANKED, away(ny(2026, 3, 3, 8), ANA, date(2026, 3, 27)), event("reply_received", ny(2026, 3, 4, 12), BEN)),
        expect_at="2026-03-11T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "away-in-the-previous-round-is-over",
        ny(2026, 3, 20),
        (
            THANKED,
            away(ny(2026, 3, 3, 8), ANA, date(2026, 4, 10)),
            scheduled(ny(2026, 3, 4), ny(2026, 3, 10, 10)),
            event("thank_you_sent", ny(2026, 3, 10, 12), ANA),
        ),
        expect_at="2026-03-17T09:00:00-04:00",
    ),
    Case(
        "away-holds-the-escalation-too",
        ny(2026, 3, 17),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            nudge(ny(2026, 3, 16, 9, 30)),
            away(ny(2026, 3, 16, 12), BEN, date(2026, 3, 30)),
        ),
        expect_action=Action.ESCALATE_TO_HIRING_MANAGER,
        expect_at="2026-03-31T09:00:00-04:00",
        expect_contact=BEN,
    ),
    Case(
        "away-does-not-hold-move-on",
        ny(2026, 3, 24),
        (THANKED, nudge(ny(2026, 3, 23, 9, 30), BEN), away(ny(2026, 3, 23, 12), BEN, date(2026, 4, 10))),
        expect_action=Action.MOVE_ON,
        expect_at="2026-03-30T09:00:00-04:00",
        expect_contact=None,
    ),
    # --- R5b: bounced messages
    Case(
        "bounced-nudge-does-not-count-r2-again",
        ny(2026, 3, 9, 10),
        (
            THANKED,
            timeline(ny(2026, 3, 3), date(2026, 3, 6)),
            nudge(ny(2026, 3, 9, 9, 5)),
            bounce(ny(2026, 3, 9, 9, 6), ANA),
        ),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_rule="R2",
        expect_contact=None,
    ),
    Case(
        "bounced-second-nudge-spaces-from-the-first",
        ny(2026, 3, 17),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            nudge(ny(2026, 3, 16, 9, 30)),
            bounce(ny(2026, 3, 16, 9, 31), ANA, OLD_ANA),
        ),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R3",
        expect_contact=ANA,
    ),
    Case(
        "bounce-for-the-nudge-before-the-last-changes-nothing",
        ny(2026, 3, 17),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            bounce(ny(2026, 3, 9, 9, 31), ANA, OLD_ANA),
            nudge(ny(2026, 3, 16, 9, 30)),
        ),
        expect_action=Action.ESCALATE_TO_HIRING_MANAGER,
        expect_at="2026-03-23T09:00:00-04:00",
        expect_contact=BEN,
        options={"pol": {"country": "US", "max_status_checks": 1}},
    ),
    Case(
        "bounced-escalation-escalates-again",
        ny(2026, 3, 24),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            nudge(ny(2026, 3, 16, 9, 30)),
            nudge(ny(2026, 3, 23, 9, 30), BEN),
            bounce(ny(2026, 3, 23, 9, 31), BEN, "ben@old-acme.example"),
        ),
        expect_action=Action.ESCALATE_TO_HIRING_MANAGER,
        expect_at="2026-03-23T09:00:00-04:00",
        expect_rule="R4",
        expect_contact=BEN,
    ),
    Case(
        "unreachable-recruiter-the-coordinator-instead",
        ny(2026, 3, 10),
        (THANKED, bounce(ny(2026, 3, 3), ANA)),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=COL,
        options={"contacts": (ANA, BEN, COL)},
    ),
    Case(
        "unreachable-by-an-address-in-other-case",
        ny(2026, 3, 10),
        (THANKED, bounce(ny(2026, 3, 3), ANA, "ANA@Acme.Example")),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=None,
    ),
    Case(
        "bounce-of-an-earlier-round-still-makes-unreachable",
        ny(2026, 3, 20),
        (
            THANKED,
            bounce(ny(2026, 3, 3), ANA),
            scheduled(ny(2026, 3, 4), ny(2026, 3, 10, 10)),
            event("thank_you_sent", ny(2026, 3, 10, 12), IVY),
        ),
        expect_at="2026-03-17T09:00:00-04:00",
        expect_contact=IVY,
        options={"contacts": (ANA, BEN, IVY)},
    ),
    # --- R6: rescheduled and cancelled rounds
    Case(
        "cancelled-round-the-earlier-round-goes-on",
        ny(2026, 3, 13),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            scheduled(ny(2026, 3, 10), ny(2026, 3, 16, 10), "r2"),
            cancelled(ny(2026, 3, 12), "r2"),
        ),
        expect_at="2026-03-16T09:00:00-04:00",
        expect_rule="R3",
    ),
    Case(
        "cancelled-round-a-reply-during-it-stays",
        ny(2026, 3, 13),
        (
            THANKED,
            nudge(ny(2026, 3, 9, 9, 30)),
            scheduled(ny(2026, 3, 10), ny(2026, 3, 16, 10), "r2"),
            event("reply_received", ny(2026, 3, 11, 12), ANA),
            cancelled(ny(2026, 3, 12), "r2"),
        ),
        expect_at="2026-03-18T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "cancelled-round-the-stated-date-comes-back",
        ny(2026, 3, 5),
        (
            THANKED,
            timeline(ny(2026, 3, 3), date(2026, 3, 12)),
            scheduled(ny(2026, 3, 4), ny(2026, 3, 16, 10), "r2"),
            cancelled(ny(2026, 3, 5), "r2"),
        ),
        expect_at="2026-03-13T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "cancelled-then-invited-again-the-round-stands",
        ny(2026, 3, 20),
        (
            THANKED,
            scheduled(ny(2026, 3, 4), ny(2026, 3, 9, 10), "r2"),
            cancelled(ny(2026, 3, 5), "r2"),
            scheduled(ny(2026, 3, 6), ny(2026, 3, 11, 10), "r2"),
            event("thank_you_sent", ny(2026, 3, 11, 12), ANA),
        ),
        expect_at="2026-03-18T09:00:00-04:00",
        expect_rule="R2",
    ),
    Case(
        "a-cancellation-names-only-its-invite",
        ny(2026, 3, 20),
        (
            THANKED,
            scheduled(ny(2026, 3, 4), ny(2026, 3, 11, 10), "r2"),
            cancelled(ny(2026, 3, 5), "r3"),
            cancelled(ny(2026, 3, 5), None),
            event("thank_you_sent", ny(2026, 3, 11, 12), ANA),
        ),
        expect_at="2026-03-18T09:00:00-04:00",
    ),
    Case(
        "a-cancellation-after-at-is-ignored",
        ny(2026, 3, 20),
        (
            THANKED,
            scheduled(ny(2026, 3, 4), ny(2026, 3, 11, 10), "r2"),
            event("thank_you_sent", ny(2026, 3, 11, 12), ANA),
            cancelled(ny(2026, 3, 21), "r2"),
        ),
        expect_at="2026-03-18T09:00:00-04:00",
    ),
    # --- R4 ladder
    Case(
        "escalation-off-moves-on",
        ny(2026, 3, 17),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), nudge(ny(2026, 3, 16, 9, 30))),
        expect_action=Action.MOVE_ON,
        expect_at="2026-03-23T09:00:00-04:00",
        expect_rule="R4",
        expect_contact=None,
        options={"pol": {"country": "US", "escalate_to_hiring_manager": False}},
    ),
    Case(
        "no-hiring-manager-escalates-to-nobody",
        ny(2026, 3, 17),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), nudge(ny(2026, 3, 16, 9, 30))),
        expect_action=Action.ESCALATE_TO_HIRING_MANAGER,
        expect_at="2026-03-23T09:00:00-04:00",
        expect_rule="R4",
        expect_contact=None,
        options={"contacts": (ANA, IVY)},
    ),
    Case(
        "max-status-checks-zero-escalates-first",
        ny(2026, 3, 4),
        (THANKED,),
        expect_action=Action.ESCALATE_TO_HIRING_MANAGER,
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=BEN,
        options={"pol": {"max_status_checks": 0}},
    ),
    Case(
        "hiring-manager-nudged-first-moves-on",
        ny(2026, 3, 10),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30), BEN)),
        expect_action=Action.MOVE_ON,
        expect_at="2026-03-16T09:00:00-04:00",
    ),
    Case(
        "three-checks-allowed",
        ny(2026, 3, 17),
        (THANKED, nudge(ny(2026, 3, 9, 9, 30)), nudge(ny(2026, 3, 16, 9, 30))),
        expect_at="2026-03-23T09:00:00-04:00",
        expect_rule="R3",
        expect_contact=ANA,
        options={"pol": {"max_status_checks": 3}},
    ),
    # --- contacts
    Case(
        "no-contacts-at-all",
        ny(2026, 3, 4),
        (event("thank_you_sent", ny(2026, 3, 2, 15)),),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=None,
        options={"contacts": ()},
    ),
    Case(
        "status-check-prefers-the-primary-recruiter",
        ny(2026, 3, 4),
        (THANKED,),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=Contact("r2", "Rae", Role.RECRUITER, is_primary=True),
        options={
            "contacts": (
                Contact("r1", "Rob", Role.RECRUITER),
                Contact("r2", "Rae", Role.RECRUITER, is_primary=True),
                BEN,
            )
        },
    ),
    Case(
        "status-check-without-recruiter-goes-to-a-non-manager",
        ny(2026, 3, 4),
        (THANKED,),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=COL,
        options={"contacts": (BEN, COL)},
    ),
    Case(
        "status-check-never-to-the-hiring-manager",
        ny(2026, 3, 4),
        (THANKED,),
        expect_at="2026-03-09T09:00:00-04:00",
        expect_contact=None,
        options={"contacts": (Contact("b", "Bo", Role.HIRING_MANAGER, is_primary=True),)},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_next_action_table(case: Case) -> None:
    result = next_action(facts(*case.events, **case.options), case.at)  # type: ignore[arg-type]
    assert result.action is case.expect_action
    assert result.earliest_allowed_at is not None
    assert result.earliest_allowed_at.isoformat() == case.expect_at
    assert result.earliest_allowed_date == date.fromisoformat(case.expect_at[:10])
    if case.expect_rule:
        assert result.rule == case.expect_rule
    if case.expect_contact != "unchecked":
        assert result.contact == case.expect_contact
    assert result.due is (case.at >= result.earliest_allowed_at)


# --- R0: concluded processes


@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("rejected", "closed your application"),
        ("offer_received", "offer"),
        ("hired", "hired"),
        ("withdrawn", "withdrew"),
    ],
)
def test_each_terminal_event_concludes(kind: str, word: str) -> None:
    result = next_action(facts(THANKED, event(kind, ny(2026, 3, 5))), ny(2026, 3, 6))
    assert result.action is Action.NONE
    assert result.rule == "R0"
    assert word in result.reason
    assert (result.earliest_allowed_date, result.earliest_allowed_at, result.latest_recommended_at) == (
        None,
        None,
        None,
    )
    assert result.due is False and result.draft is None and result.contact is None


def test_terminal_event_after_at_is_ignored() -> None:
    result = next_action(facts(THANKED, event("rejected", ny(2026, 3, 20))), ny(2026, 3, 6))
    assert result.action is Action.SEND_STATUS_CHECK


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.ACTIVE])
def test_terminal_status_set_by_hand_concludes(status: Status) -> None:
    result = next_action(facts(iv=interview(status=status)), ny(2026, 3, 2, 10, 30))
    assert result.action is Action.NONE


# --- R1: the thank-you note


def test_thank_you_goes_to_the_primary_contact_of_any_role() -> None:
    primary_manager = Contact("b", "Bea", Role.HIRING_MANAGER, is_primary=True)
    result = next_action(facts(contacts=(IVY, primary_manager)), ny(2026, 3, 2, 11, 30))
    assert result.contact == primary_manager
    assert result.due is True


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        ((COL, IVY, Contact("r", "Rob", Role.RECRUITER)), IVY),
        ((COL, Contact("r", "Rob", Role.RECRUITER)), "r"),
        ((COL,), COL),
        ((), None),
    ],
)
def test_thank_you_falls_back_to_an_interviewer_then_the_recruiter(
    contacts: tuple[Contact, ...], expected: object
) -> None:
    result = next_action(facts(contacts=contacts), ny(2026, 3, 2, 11, 30))
    chosen = result.contact.id if result.contact and isinstance(expected, str) else result.contact
    assert chosen == expected
    if not contacts:
        assert "Add the people you met" in result.reason


def test_thank_you_window_is_configurable_and_then_skipped() -> None:
    within = next_action(facts(pol={"thank_you_window_hours": 48}), ny(2026, 3, 4, 10, 59))
    assert within.action is Action.SEND_THANK_YOU
    assert within.latest_recommended_at == ny(2026, 3, 4, 11)
    after = next_action(facts(pol={"thank_you_window_hours": 48}), ny(2026, 3, 4, 11))
    assert after.action is Action.SEND_STATUS_CHECK


def test_thank_you_is_not_moved_to_a_business_day() -> None:
    saturday = interview(ny(2026, 3, 7, 10))
    result = next_action(facts(iv=saturday), ny(2026, 3, 7, 12))
    assert result.earliest_allowed_at == ny(2026, 3, 7, 11)
    assert result.earliest_allowed_date == date(2026, 3, 7)


def test_thank_you_before_the_interview_is_not_yet_due() -> None:
    result = next_action(facts(), ny(2026, 3, 1))
    assert result.action is Action.SEND_THANK_YOU and result.due is False


def test_interview_ending_just_before_local_midnight() -> None:
    late = interview(ny(2026, 3, 2, 22, 59))
    result = next_action(facts(iv=late), ny(2026, 3, 2, 23, 30))
    assert result.earliest_allowed_at == ny(2026, 3, 2, 23, 59)
    assert result.latest_recommended_at == ny(2026, 3, 3, 23, 59)
    skipped = next_action(facts(iv=late), ny(2026, 3, 4))
    assert skipped.earliest_allowed_at == ny(2026, 3, 9, 9)  # Monday 03-02 + 7 days


# --- R6: a new round


def test_round_scheduled_restarts_the_cycle() -> None:
    history = (
        THANKED,
        event("timeline_shared", ny(2026, 3, 3), ANA, decision_expected_by=date(2026, 3, 6)),
        event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA),
        event("status_check_sent", ny(2026, 3, 16, 9, 30), ANA),
        event("round_scheduled", ny(2026, 3, 17, 12), ANA, interview_at=ny(2026, 3, 23, 10)),
    )
    result = next_action(facts(*history), ny(2026, 3, 17, 13))
    assert result.action is Action.SEND_THANK_YOU
    assert result.earliest_allowed_at == ny(2026, 3, 23, 11)
    assert result.latest_recommended_at == ny(2026, 3, 24, 11)
    assert (result.nudges_sent, result.nudges_remaining) == (0, 2)
    # the stated date was cleared: 2026-03-23 + 49 days for engineering
    assert (result.expected_decision_by, result.decision_basis) == (
        date(2026, 5, 11),
        DecisionBasis.TYPICAL_FOR_ROLE_FAMILY,
    )

    thanked_again = event("thank_you_sent", ny(2026, 3, 23, 14), ANA)
    later = next_action(facts(*history, thanked_again), ny(2026, 3, 24, 12))
    assert later.action is Action.SEND_STATUS_CHECK
    assert later.earliest_allowed_at == ny(2026, 3, 30, 9)  # Monday 03-23 + 7 days
    assert later.rule == "R2"


def test_interview_decision_date_does_not_survive_a_new_round() -> None:
    iv = interview(decision_expected_by=date(2026, 3, 6))
    rounds = (
        THANKED,
        event("round_scheduled", ny(2026, 3, 3), ANA, interview_at=ny(2026, 3, 10, 10)),
        event("thank_you_sent", ny(2026, 3, 10, 12), ANA),
    )
    result = next_action(facts(*rounds, iv=iv), ny(2026, 3, 11))
    assert result.decision_basis is DecisionBasis.TYPICAL_FOR_ROLE_FAMILY
    assert result.earliest_allowed_at == ny(2026, 3, 17, 9)


# --- R8: snooze


@pytest.mark.parametrize(
    ("snoozed_until", "expected"),
    [
        (ny(2026, 3, 11, 14), ny(2026, 3, 11, 14)),  # a weekday afternoon: exactly then
        (ny(2026, 3, 10, 6), ny(2026, 3, 10, 9)),  # before the send hour: at the send hour
        (ny(2026, 3, 14, 12), ny(2026, 3, 16, 9)),  # a Saturday: the next business day
        (ny(2026, 3, 5), ny(2026, 3, 9, 9)),  # ends before the suggestion: no effect
    ],
)
def test_snooze(snoozed_until: datetime, expected: datetime) -> None:
    iv = interview(snoozed_until=snoozed_until)
    result = next_action(facts(THANKED, iv=iv), ny(2026, 3, 4))
    assert result.earliest_allowed_at == expected
    assert ("R8" in [c.rule for c in result.constraints]) is (expected != ny(2026, 3, 9, 9))


def test_snooze_on_a_weekend_without_business_days() -> None:
    iv = interview(snoozed_until=ny(2026, 3, 14, 12))
    result = next_action(facts(THANKED, iv=iv, pol={"business_days_only": False}), ny(2026, 3, 4))
    assert result.earliest_allowed_at == ny(2026, 3, 14, 12)


def test_snooze_delays_a_thank_you() -> None:
    iv = interview(snoozed_until=ny(2026, 3, 2, 18))
    result = next_action(facts(iv=iv), ny(2026, 3, 2, 12))
    assert result.earliest_allowed_at == ny(2026, 3, 2, 18)
    assert result.latest_recommended_at == ny(2026, 3, 3, 11)
    assert [c.rule for c in result.constraints] == ["R8"]


# --- R9: as of


def test_events_after_at_are_ignored_and_due_flips_at_the_earliest_time() -> None:
    future_reply = event("reply_received", ny(2026, 3, 12), ANA)
    before = next_action(facts(THANKED, future_reply), ny(2026, 3, 9, 8, 59))
    assert before.earliest_allowed_at == ny(2026, 3, 9, 9) and before.due is False
    assert next_action(facts(THANKED, future_reply), ny(2026, 3, 9, 9)).due is True


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="at must carry a time zone"):
        next_action(facts(), datetime(2026, 3, 2, 12))
    with pytest.raises(ValueError, match="occurred_at"):
        next_action(facts(event("note", datetime(2026, 3, 2, 12))), ny(2026, 3, 3))


# --- expected decision date


def test_expected_decision_counts_from_the_application_date() -> None:
    result = next_action(facts(iv=interview(applied_on=date(2026, 2, 1))), ny(2026, 3, 2, 12))
    assert (result.expected_decision_by, result.decision_basis) == (
        date(2026, 3, 22),
        DecisionBasis.TYPICAL_FOR_ROLE_FAMILY,
    )


def test_expected_decision_uses_the_policy_role_family_days() -> None:
    pol = {"role_family_days": {"engineering": 10}}
    result = next_action(facts(pol=pol), ny(2026, 3, 2, 12))
    assert result.expected_decision_by == date(2026, 3, 12)


def test_expected_decision_never_moves_a_date() -> None:
    quick = next_action(facts(THANKED, pol={"role_family_days": {"engineering": 1}}), ny(2026, 3, 4))
    slow = next_action(facts(THANKED, pol={"role_family_days": {"engineering": 300}}), ny(2026, 3, 4))
    assert quick.earliest_allowed_at == slow.earliest_allowed_at
    assert quick.policy_version != slow.policy_version


# --- counters and explanations


def test_escalations_count_as_nudges_but_not_against_the_recruiter_quota() -> None:
    history = (THANKED, event("status_check_sent", ny(2026, 3, 9, 9, 30), BEN))
    result = next_action(facts(*history), ny(2026, 3, 10))
    assert (result.nudges_sent, result.nudges_remaining) == (1, 2)


def test_nudge_to_an_unknown_contact_is_a_plain_nudge() -> None:
    history = (THANKED, Event(type=EventType.STATUS_CHECK_SENT, occurred_at=ny(2026, 3, 9, 9, 30), contact_id="gone"))
    result = next_action(facts(*history), ny(2026, 3, 10))
    assert (result.nudges_sent, result.nudges_remaining) == (1, 1)


def test_reason_names_the_rule_and_the_date() -> None:
    result = next_action(
        facts(THANKED, event("timeline_shared", ny(2026, 3, 3), ANA, decision_expected_by=date(2026, 3, 6))),
        ny(2026, 3, 7),
    )
    assert "Friday, March 6, 2026" in result.reason
    assert "Monday, March 9, 2026 at 09:00" in result.reason
    assert "Saturday is a weekend day" in result.constraints[1].detail


def test_no_timeline_reason_asks_for_it() -> None:
    result = next_action(facts(THANKED), ny(2026, 3, 4))
    assert "Ask for their timeline" in result.reason
    assert "when do you expect to reach a decision" in (result.draft.body if result.draft else "")


def test_a_reply_after_the_deadline_is_explained() -> None:
    history = (
        THANKED,
        event("timeline_shared", ny(2026, 3, 3), ANA, decision_expected_by=date(2026, 3, 6)),
        event("reply_received", ny(2026, 3, 9), ANA),
    )
    result = next_action(facts(*history), ny(2026, 3, 10))
    assert "on or after their stated date" in result.reason
    assert "7 days after their last reply on Monday, March 9, 2026" in result.reason


def test_one_day_of_nudges_reads_in_the_singular() -> None:
    history = (THANKED, event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA))
    result = next_action(facts(*history, pol={"max_status_checks": 1}), ny(2026, 3, 10))
    assert "You have sent 1 status check without" in result.reason


def test_holiday_name_in_the_constraint() -> None:
    history = (
        event("thank_you_sent", ny(2026, 8, 31, 15), ANA),
        event("timeline_shared", ny(2026, 9, 1), ANA, decision_expected_by=date(2026, 9, 6)),
    )
    result = next_action(facts(*history, iv=interview(ny(2026, 8, 31, 10))), ny(2026, 9, 2))
    assert "Monday 2026-09-07 is a public holiday (Labor Day)" in result.constraints[-1].detail
    assert result.earliest_allowed_at == ny(2026, 9, 7, 9) + timedelta(days=1)


def test_a_reply_before_the_interview_does_not_start_the_wait_early() -> None:
    confirmed = event("reply_received", ny(2026, 2, 20, 12), ANA)
    result = next_action(facts(confirmed), ny(2026, 3, 4))
    assert result.earliest_allowed_at == ny(2026, 3, 9, 9)  # interview Monday 03-02 + 7 days, not 02-20 + 7
    assert "after the interview on Monday, March 2, 2026" in result.reason


def test_a_local_day_the_zone_skipped() -> None:
    # Kiritimati jumped from 1994-12-30 to 1995-01-01: 1994-12-31 never happened there.
    kiritimati = interview(local("Pacific/Kiritimati", 1994, 12, 24, 10), timezone="Pacific/Kiritimati")
    thanked = event("thank_you_sent", local("Pacific/Kiritimati", 1994, 12, 24, 12), ANA)
    result = next_action(facts(thanked, iv=kiritimati, pol={"business_days_only": False}), local("UTC", 1994, 12, 26))
    assert result.earliest_allowed_at is not None
    assert result.earliest_allowed_date == result.earliest_allowed_at.date() == date(1995, 1, 1)


@pytest.mark.parametrize(
    "history",
    [
        (),  # a decision date before the interview (set on the interview below)
        (event("status_check_sent", ny(2026, 3, 10, 11), ANA),),  # a nudge before the interview
    ],
)
def test_the_ladder_never_starts_before_the_day_after_the_interview(history: tuple[Event, ...]) -> None:
    friday = interview(ny(2026, 3, 20, 10), decision_expected_by=date(2026, 3, 18) if not history else None)
    result = next_action(facts(*history, iv=friday), ny(2026, 3, 23, 12))
    assert result.action is Action.SEND_STATUS_CHECK
    # Saturday 03-21 is the day after the interview, moved to Monday 03-23 by R7
    assert result.earliest_allowed_at == ny(2026, 3, 23, 9)
    assert "not before the day after the interview" in [c.detail for c in result.constraints]


# --- R5a: the reason and the constraint say why the date moved


def test_an_away_notice_is_explained() -> None:
    history = (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 16)))
    result = next_action(facts(*history), ny(2026, 3, 10))
    assert "the day after Ana Silva is back on Monday, March 16, 2026" in result.reason
    assert [(c.rule, c.date) for c in result.constraints] == [("R3", date(2026, 3, 16)), ("R5a", date(2026, 3, 17))]


def test_an_away_notice_that_changes_nothing_is_not_mentioned() -> None:
    history = (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 10)))
    result = next_action(facts(*history), ny(2026, 3, 10))
    assert "back on" not in result.reason
    assert [c.rule for c in result.constraints] == ["R3"]


def test_an_away_notice_then_a_snooze_the_later_wins() -> None:
    history = (THANKED, nudge(ny(2026, 3, 9, 9, 5)), away(ny(2026, 3, 9, 9, 6), ANA, date(2026, 3, 16)))
    snoozed = next_action(facts(*history, iv=interview(snoozed_until=ny(2026, 3, 18, 14))), ny(2026, 3, 10))
    assert snoozed.earliest_allowed_at == ny(2026, 3, 18, 14)
    short = next_action(facts(*history, iv=interview(snoozed_until=ny(2026, 3, 16, 14))), ny(2026, 3, 10))
    assert short.earliest_allowed_at == ny(2026, 3, 17, 9)


# --- R5b: bounced messages and unreachable contacts


def counters(*history: Event, contacts: tuple[Contact, ...] = (ANA, BEN)) -> tuple[int, int]:
    result = next_action(facts(*history, contacts=contacts), ny(2026, 3, 30))
    return result.nudges_sent, result.nudges_remaining


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param((nudge(ny(2026, 3, 9, 9, 30)),), (1, 1), id="one-nudge"),
        pytest.param((nudge(ny(2026, 3, 9, 9, 30)), bounce(ny(2026, 3, 9, 9, 31), ANA)), (0, 2), id="bounced"),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30)), nudge(ny(2026, 3, 16, 9, 30)), bounce(ny(2026, 3, 16, 9, 31), ANA)),
            (1, 1),
            id="only-the-latest-nudge-bounces",
        ),
        pytest.param(
            (
                nudge(ny(2026, 3, 9, 9, 30)),
                nudge(ny(2026, 3, 16, 9, 30)),
                bounce(ny(2026, 3, 16, 9, 31), ANA),
                bounce(ny(2026, 3, 16, 9, 32), ANA),
            ),
            (1, 1),
            id="two-bounces-for-one-nudge",
        ),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30)), bounce(ny(2026, 3, 9, 9, 31), IVY)), (1, 1), id="bounce-for-someone-else"
        ),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30)), bounce(ny(2026, 3, 9, 9, 31), None, "Ana@acme.example")),
            (0, 2),
            id="bounce-naming-only-her-address",
        ),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30)), bounce(ny(2026, 3, 9, 9, 31), None, "nobody@acme.example")),
            (1, 1),
            id="bounce-for-an-address-of-nobody",
        ),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30)), bounce(ny(2026, 3, 9, 9, 31), None, "")), (1, 1), id="bounce-without-address"
        ),
        pytest.param(
            (
                nudge(ny(2026, 3, 9, 9, 30)),
                event("reply_received", ny(2026, 3, 10), ANA),
                nudge(ny(2026, 3, 17, 9, 30)),
                bounce(ny(2026, 3, 9, 9, 31), ANA),
            ),
            (1, 1),
            id="bounce-for-a-nudge-before-the-last-reply",
        ),
        pytest.param(
            (
                event("status_check_sent", ny(2026, 3, 9, 9, 30)),
                event("message_bounced", ny(2026, 3, 9, 9, 31), address="x@acme.example"),
            ),
            (1, 1),
            id="neither-names-a-contact",
        ),
        pytest.param(
            (nudge(ny(2026, 3, 9, 9, 30), BEN), bounce(ny(2026, 3, 9, 9, 31), BEN)), (0, 2), id="bounced-escalation"
        ),
    ],
)
def test_a_bounced_nudge_is_not_counted(history: tuple[Event, ...], expected: tuple[int, int]) -> None:
    assert counters(THANKED, *history, contacts=(ANA, BEN, IVY)) == expected


def test_every_contact_of_the_roles_unreachable_keeps_the_action_and_asks_to_fix_the_address() -> None:
    history = (THANKED, bounce(ny(2026, 3, 3), ANA), bounce(ny(2026, 3, 3), COL))
    result = next_action(facts(*history, contacts=(ANA, BEN, COL)), ny(2026, 3, 10))
    assert (result.action, result.contact) == (Action.SEND_STATUS_CHECK, None)
    assert "Mail to Ana Silva and Col Reyes bounced: correct the email address" in result.reason
    assert "Add the recruiter" not in result.reason
    assert result.draft is not None and result.draft.body.startswith("Hello,")


def test_three_unreachable_contacts_are_listed() -> None:
    history = (THANKED, *(bounce(ny(2026, 3, 3), c) for c in (ANA, COL, IVY)))
    result = next_action(facts(*history, contacts=(ANA, BEN, COL, IVY)), ny(2026, 3, 10))
    assert "Mail to Ana Silva, Col Reyes and Ivy Chen bounced" in result.reason


def test_an_unreachable_hiring_manager_keeps_the_escalation_with_nobody() -> None:
    history = (THANKED, nudge(ny(2026, 3, 9, 9, 30)), nudge(ny(2026, 3, 16, 9, 30)), bounce(ny(2026, 3, 5), BEN))
    result = next_action(facts(*history), ny(2026, 3, 17))
    assert (result.action, result.contact) == (Action.ESCALATE_TO_HIRING_MANAGER, None)
    assert "Mail to Ben Okafor bounced" in result.reason
    assert "Add the hiring manager" not in result.reason


def test_correcting_the_email_makes_the_contact_reachable_again() -> None:
    history = (THANKED, bounce(ny(2026, 3, 3), ANA))
    corrected = Contact(ANA.id, ANA.name, ANA.role, "ana.silva@acme.example", is_primary=True)
    assert next_action(facts(*history), ny(2026, 3, 10)).contact is None
    assert next_action(facts(*history, contacts=(corrected, BEN)), ny(2026, 3, 10)).contact == corrected


def test_a_contact_without_an_email_is_never_unreachable() -> None:
    silent = Contact("r", "Rae", Role.RECRUITER)
    history = (THANKED, event("message_bounced", ny(2026, 3, 3), silent, address="rae@acme.example"))
    assert next_action(facts(*history, contacts=(silent,)), ny(2026, 3, 10)).contact == silent


@pytest.mark.parametrize(
    ("contacts", "bounced", "expected"),
    [
        pytest.param((IVY, ANA), (ANA,), IVY, id="primary-unreachable-the-interviewer"),
        pytest.param(
            (ANA, Contact("p2", "Pat", Role.OTHER, "pat@acme.example", is_primary=True)),
            (ANA,),
            "p2",
            id="the-next-primary",
        ),
        pytest.param((ANA, BEN), (ANA, BEN), None, id="nobody-reachable"),
    ],
)
def test_a_thank_you_skips_unreachable_contacts(
    contacts: tuple[Contact, ...], bounced: tuple[Contact, ...], expected: object
) -> None:
    history = tuple(bounce(ny(2026, 2, 27), contact) for contact in bounced)
    result = next_action(facts(*history, contacts=contacts), ny(2026, 3, 2, 11, 30))
    assert result.action is Action.SEND_THANK_YOU
    chosen = result.contact.id if isinstance(expected, str) and result.contact else result.contact
    assert chosen == expected
    if expected is None:
        assert "Mail to Ana Silva and Ben Okafor bounced" in result.reason
        assert "Add the people you met" not in result.reason


# --- R6: a rescheduled or cancelled round


def test_a_reschedule_starts_the_round_anew_at_its_time_and_length() -> None:
    history = (
        THANKED,
        scheduled(ny(2026, 3, 3), ny(2026, 3, 10, 10), "r2", minutes=45),
        event("thank_you_sent", ny(2026, 3, 5), ANA),  # written ahead of the first date
        scheduled(ny(2026, 3, 6), ny(2026, 3, 12, 14), "r2", minutes=30),
    )
    result = next_action(facts(*history), ny(2026, 3, 11))
    assert result.action is Action.SEND_THANK_YOU
    assert (result.earliest_allowed_at, result.latest_recommended_at) == (
        ny(2026, 3, 12, 14, 30),
        ny(2026, 3, 13, 14, 30),
    )


def test_a_round_without_its_length_lasts_the_interview_duration() -> None:
    history = (THANKED, scheduled(ny(2026, 3, 3), ny(2026, 3, 10, 10)))
    result = next_action(facts(*history, iv=interview(duration_minutes=90)), ny(2026, 3, 4))
    assert result.earliest_allowed_at == ny(2026, 3, 10, 11, 30)
    zero = next_action(facts(THANKED, scheduled(ny(2026, 3, 3), ny(2026, 3, 10, 10), minutes=0)), ny(2026, 3, 4))
    assert zero.earliest_allowed_at == ny(2026, 3, 10, 10)


def own_invite() -> Interview:
    return replace(interview(), invite_uid="first-round")


def test_the_interview_own_invite_cancelled_waits_for_a_new_date() -> None:
    history = (THANKED, nudge(ny(2026, 3, 9, 9, 30)), cancelled(ny(2026, 3, 10), "first-round"))
    result = next_action(facts(*history, iv=own_invite()), ny(2026, 3, 11))
    assert (result.action, result.rule, result.contact, result.draft) == (Action.NONE, "R6", None, None)
    assert (result.earliest_allowed_at, result.earliest_allowed_date, result.due) == (None, None, False)
    assert "cancelled" in result.reason and "new date" in result.reason
    assert (result.nudges_sent, result.nudges_remaining) == (1, 1)
    # before the cancellation arrived the ladder went on
    assert next_action(facts(*history, iv=own_invite()), ny(2026, 3, 9, 12)).action is Action.SEND_STATUS_CHECK


def test_a_cancelled_first_round_comes_before_the_thank_you() -> None:
    result = next_action(facts(cancelled(ny(2026, 3, 1), "first-round"), iv=own_invite()), ny(2026, 3, 2, 11, 30))
    assert (result.action, result.rule) == (Action.NONE, "R6")


@pytest.mark.parametrize(
    "then",
    [
        pytest.param(scheduled(ny(2026, 3, 11), ny(2026, 3, 16, 10), "first-round"), id="the-same-invite-again"),
        pytest.param(scheduled(ny(2026, 3, 11), ny(2026, 3, 16, 10), "another"), id="another-invite"),
        pytest.param(scheduled(ny(2026, 3, 11), ny(2026, 3, 16, 10)), id="a-round-without-invite"),
    ],
)
def test_a_round_that_stands_after_the_cancellation_goes_on(then: Event) -> None:
    history = (THANKED, cancelled(ny(2026, 3, 10), "first-round"), then)
    result = next_action(facts(*history, iv=own_invite()), ny(2026, 3, 12))
    assert result.action is Action.SEND_THANK_YOU
    assert result.earliest_allowed_at == ny(2026, 3, 16, 11)


def test_a_cancelled_round_is_not_the_interview_own() -> None:
    history = (THANKED, scheduled(ny(2026, 3, 3), ny(2026, 3, 10, 10), "r2"), cancelled(ny(2026, 3, 4), "r2"))
    result = next_action(facts(*history, iv=own_invite()), ny(2026, 3, 5))
    assert (result.action, result.rule) == (Action.SEND_STATUS_CHECK, "R2")
    assert result.earliest_allowed_at == ny(2026, 3, 9, 9)


def test_a_concluded_process_is_r0_even_when_cancelled() -> None:
    history = (cancelled(ny(2026, 3, 3), "first-round"), event("rejected", ny(2026, 3, 4)))
    result = next_action(facts(*history, iv=own_invite()), ny(2026, 3, 5))
    assert (result.action, result.rule) == (Action.NONE, "R0")
