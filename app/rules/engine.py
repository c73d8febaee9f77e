"""R0-R9 of RULES.md: the next follow-up action, and the outreach check.

Pure: the result depends only on the facts and `at`; nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.rules import drafts
from app.rules.calendar import Calendar
from app.rules.model import (
    OUTBOUND_TYPES,
    REPLY_TYPES,
    TERMINAL_EVENT_STATUS,
    TERMINAL_STATUSES,
    Action,
    Constraint,
    Contact,
    DeadlineGrace,
    DecisionBasis,
    Event,
    EventType,
    Facts,
    NextAction,
    OutreachProposal,
    Policy,
    Role,
    Status,
    Violation,
)
from app.rules.policy import policy_version

GRACE_DAYS = {DeadlineGrace.NEXT_DAY: 1, DeadlineGrace.ONE_WEEK: 7}
# A first nudge this long after the last word from the employer may say that other
# processes are moving (the "long silence" wording of the drafts).
LONG_SILENCE_DAYS = 21


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone offset")


def _format_day(day: date) -> str:
    return f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}, {day.year}"


@dataclass(frozen=True, slots=True)
class _History:
    """The facts as they stood at `at`, reduced to what the rules read."""

    calendar: Calendar
    concluded: Status | None
    round_number: int
    round_interview_at: datetime
    round_end: datetime
    thank_you_sent: bool
    last_reply: Event | None
    deadline: date | None
    nudges: tuple[Event, ...]
    escalations: int
    outbound: tuple[Event, ...]

    @property
    def last_nudge(self) -> Event | None:
        return self.nudges[-1] if self.nudges else None

    @property
    def plain_nudges(self) -> int:
        return len(self.nudges) - self.escalations


def _contacts_by_id(facts: Facts) -> dict[str, Contact]:
    return {contact.id: contact for contact in facts.contacts}


def _is_escalation(event: Event, contacts: dict[str, Contact]) -> bool:
    contact = contacts.get(event.contact_id) if event.contact_id else None
    return contact is not None and contact.role is Role.HIRING_MANAGER


def _history(facts: Facts, at: datetime) -> _History:
    _require_aware(at, "at")
    interview = facts.interview
    _require_aware(interview.interview_at, "interview_at")
    _require_aware(interview.snoozed_until, "snoozed_until")
    for event in facts.events:
        _require_aware(event.occurred_at, f"{event.type} occurred_at")
        _require_aware(event.interview_at, f"{event.type} interview_at")
    policy = facts.policy
    calendar = Calendar(interview.timezone or policy.timezone, policy.country, policy.subdivision)
    contacts = _contacts_by_id(facts)

    ordered = sorted(
        (pair for pair in enumerate(facts.events) if pair[1].occurred_at <= at),
        key=lambda pair: (pair[1].occurred_at, pair[1].seq, pair[0]),
    )
    concluded: Status | None = interview.status if interview.status in TERMINAL_STATUSES else None
    round_number = 1
    round_interview_at = interview.interview_at
    deadline = interview.decision_expected_by
    thank_you_sent = False
    last_reply: Event | None = None
    nudges: list[Event] = []
    escalations = 0
    outbound: list[Event] = []
    for _, event in ordered:
        kind = event.type
        if kind in TERMINAL_EVENT_STATUS:
            concluded = concluded or TERMINAL_EVENT_STATUS[kind]
        elif kind is EventType.ROUND_SCHEDULED and event.interview_at is not None:
            # R6: a new round; everything below starts again, the deadline included.
            round_number += 1
            round_interview_at = event.interview_at
            deadline = None
            thank_you_sent = False
            last_reply = None
            nudges, escalations, outbound = [], 0, []
            continue
        if kind in OUTBOUND_TYPES:
            outbound.append(event)
        if kind is EventType.THANK_YOU_SENT:
            thank_you_sent = True
        elif kind is EventType.STATUS_CHECK_SENT:
            nudges.append(event)
            escalations += _is_escalation(event, contacts)
        elif kind in REPLY_TYPES:
            # R5: a reply, a stated timeline or a stage change restarts the ladder.
            last_reply = event
            nudges, escalations = [], 0
            if kind is EventType.TIMELINE_SHARED and event.decision_expected_by is not None:
                deadline = event.decision_expected_by
    return _History(
        calendar=calendar,
        concluded=concluded,
        round_number=round_number,
        round_interview_at=round_interview_at,
        round_end=round_interview_at + timedelta(minutes=interview.duration_minutes),
        thank_you_sent=thank_you_sent,
        last_reply=last_reply,
        deadline=deadline,
        nudges=tuple(nudges),
        escalations=escalations,
        outbound=tuple(outbound),
    )


def _first(contacts: tuple[Contact, ...], *roles: Role) -> Contact | None:
    """The primary contact among `roles` (in the order given), else the first listed."""
    for role in roles:
        matching = [contact for contact in contacts if contact.role is role]
        for contact in matching:
            if contact.is_primary:
                return contact
        if matching:
            return matching[0]
    return None


def _thank_you_contact(contacts: tuple[Contact, ...]) -> Contact | None:
    for contact in contacts:
        if contact.is_primary:
            return contact
    return _first(contacts, Role.INTERVIEWER, Role.RECRUITER, Role.HIRING_MANAGER, Role.COORDINATOR, Role.OTHER)


def _status_check_contact(contacts: tuple[Contact, ...]) -> Contact | None:
    return _first(contacts, Role.RECRUITER, Role.COORDINATOR, Role.INTERVIEWER, Role.OTHER)


def _expected_decision(facts: Facts, history: _History) -> tuple[date, DecisionBasis]:
    if history.deadline is not None:
        return history.deadline, DecisionBasis.STATED
    start = facts.interview.applied_on or history.calendar.local_date(history.round_interview_at)
    days = facts.policy.role_family_days[facts.interview.role_family]
    return start + timedelta(days=days), DecisionBasis.TYPICAL_FOR_ROLE_FAMILY


CONCLUDED_REASONS = {
    Status.OFFER: "You have an offer, so there is nothing to chase: reply to the offer itself.",
    Status.HIRED: "You were hired: congratulations. No follow-up is needed.",
    Status.REJECTED: "The employer has closed your application; put your energy into other openings.",
    Status.WITHDRAWN: "You withdrew from this process, so no follow-up is needed.",
    Status.CLOSED: "This process is closed, so no follow-up is needed.",
}


def next_action(facts: Facts, at: datetime) -> NextAction:
    """The next follow-up action for `facts` as of `at` (R0-R9)."""
    history = _history(facts, at)
    policy = facts.policy
    expected, basis = _expected_decision(facts, history)
    nudges_sent = len(history.nudges)
    remaining = max(0, policy.max_status_checks - history.plain_nudges)
    common = {
        "interview_id": facts.interview.id,
        "as_of": at,
        "expected_decision_by": expected,
        "decision_basis": basis,
        "nudges_sent": nudges_sent,
        "nudges_remaining": remaining,
        "policy_version": policy_version(policy),
    }
    if history.concluded is not None:
        return NextAction(
            action=Action.NONE,
            earliest_allowed_date=None,
            earliest_allowed_at=None,
            latest_recommended_at=None,
            due=False,
            contact=None,
            rule="R0",
            reason=CONCLUDED_REASONS[history.concluded],
            constraints=(),
            draft=None,
            **common,  # type: ignore[arg-type]
        )
    window = timedelta(hours=policy.thank_you_window_hours)
    if not history.thank_you_sent and at < history.round_end + window:
        return _thank_you(facts, history, at, window, common)
    return _nudge_ladder(facts, history, at, common)


def _thank_you(
    facts: Facts, history: _History, at: datetime, window: timedelta, common: dict[str, object]
) -> NextAction:
    calendar = history.calendar
    end = history.round_end.astimezone(calendar.zone)
    latest = (history.round_end + window).astimezone(calendar.zone)
    earliest = end
    constraints: list[Constraint] = []
    snoozed = facts.interview.snoozed_until
    if snoozed is not None and snoozed > earliest:
        earliest = snoozed.astimezone(calendar.zone)
        constraints.append(Constraint("R8", "snoozed until then", earliest.date()))
    contact = _thank_you_contact(facts.contacts)
    hours = facts.policy.thank_you_window_hours
    reason = (
        f"Send a short thank-you once the interview ends: the best moment is within {hours} hours, "
        f"by {latest.strftime('%A %H:%M')} your time. It is optional, but it keeps you in mind."
    )
    if contact is None:
        reason += " Add the people you met as contacts to address it."
    if history.deadline is None:
        reason += " Ask about their timeline, since none was given."
    return NextAction(
        action=Action.SEND_THANK_YOU,
        earliest_allowed_date=earliest.date(),
        earliest_allowed_at=earliest,
        latest_recommended_at=latest,
        due=at >= earliest,
        contact=contact,
        rule="R1",
        reason=reason,
        constraints=tuple(constraints),
        draft=drafts.thank_you(
            facts.interview, contact, history.round_interview_at.astimezone(calendar.zone), history.deadline
        ),
        **common,  # type: ignore[arg-type]
    )


def _nudge_ladder(facts: Facts, history: _History, at: datetime, common: dict[str, object]) -> NextAction:
    policy = facts.policy
    calendar = history.calendar
    constraints: list[Constraint] = []
    last_nudge = history.last_nudge
    reply = history.last_reply
    # A reply before the interview (confirming it, say) does not start the wait early.
    after_interview = reply is not None and reply.occurred_at > history.round_end
    anchor_date = calendar.local_date(reply.occurred_at if reply and after_interview else history.round_end)
    if last_nudge is not None:
        # R3: never several nudges in a row.
        nudge_date = calendar.local_date(last_nudge.occurred_at)
        base = nudge_date + timedelta(days=policy.min_days_between_nudges)
        rule = "R3"
        why = f"{policy.min_days_between_nudges} days after your last status check on {_format_day(nudge_date)}"
    elif history.deadline is not None and (reply is None or calendar.local_date(reply.occurred_at) < history.deadline):
        # R2 with a stated date that has not been answered on or after it.
        grace = GRACE_DAYS[policy.deadline_grace]
        base = history.deadline + timedelta(days=grace)
        rule = "R2"
        when = "the day" if grace == 1 else "a week"
        why = f"{when} after the decision date they gave, {_format_day(history.deadline)}"
    else:
        base = anchor_date + timedelta(days=policy.no_timeline_wait_days)
        rule = "R2"
        since = "their last reply" if after_interview else "the interview"
        why = f"{policy.no_timeline_wait_days} days after {since} on {_format_day(anchor_date)}"
        if history.deadline is not None:
            why += f", since they already answered on or after their stated date {_format_day(history.deadline)}"
    constraints.append(Constraint(rule, why, base))
    # A date stated, or a nudge sent, before the interview never puts the next step
    # before it: the ladder starts the day after the interview at the soonest.
    day_after_interview = calendar.local_date(history.round_end) + timedelta(days=1)
    if base < day_after_interview:
        base = day_after_interview
        why += f", and not before the day after the interview, {_format_day(base)}"
        constraints.append(Constraint(rule, "not before the day after the interview", base))

    day = base
    if policy.business_days_only:
        day, skipped = calendar.next_business_day(base)
        if skipped:
            constraints.append(Constraint("R7", "; ".join(skipped) + ": moved to the next business day", day))
    earliest = calendar.at_hour(day, policy.send_hour)
    day = earliest.date()  # differs only on a local day the zone skipped entirely
    snoozed = facts.interview.snoozed_until
    if snoozed is not None and snoozed > earliest:
        earliest, day = _after_snooze(calendar, policy, snoozed)
        constraints.append(Constraint("R8", "snoozed until then", day))

    action, contact, rule, reason = _ladder_step(facts, history, rule, why)
    silence = (base - anchor_date).days
    draft = drafts.for_ladder(
        action,
        facts.interview,
        contact,
        history.round_interview_at.astimezone(calendar.zone),
        history.deadline,
        later=history.plain_nudges >= 1 or silence >= LONG_SILENCE_DAYS,
    )
    return NextAction(
        action=action,
        earliest_allowed_date=day,
        earliest_allowed_at=earliest,
        latest_recommended_at=None,
        due=at >= earliest,
        contact=contact,
        rule=rule,
        reason=f"{reason} Earliest: {_format_day(day)} at {earliest.strftime('%H:%M')} your time.",
        constraints=tuple(constraints),
        draft=draft,
        **common,  # type: ignore[arg-type]
    )


def _after_snooze(calendar: Calendar, policy: Policy, snoozed: datetime) -> tuple[datetime, date]:
    """R8: not before the snooze ends, still at or after the send hour, on a business day."""
    local = snoozed.astimezone(calendar.zone)
    day = local.date()
    if policy.business_days_only:
        open_day, _ = calendar.next_business_day(day)
        if open_day != day:
            return calendar.at_hour(open_day, policy.send_hour), open_day
    return max(local, calendar.at_hour(day, policy.send_hour)), day


def _ladder_step(facts: Facts, history: _History, rule: str, why: str) -> tuple[Action, Contact | None, str, str]:
    """R4: k plain status checks and h escalations since the last reply."""
    policy = facts.policy
    plain, escalations = history.plain_nudges, history.escalations
    if plain < policy.max_status_checks and escalations == 0:
        contact = _status_check_contact(facts.contacts)
        ordinal = plain + 1
        reason = f"Send status check {ordinal} of {policy.max_status_checks}: {why}."
        if history.deadline is None:
            reason += " Ask for their timeline, since none was given."
        if contact is None:
            reason += " Add the recruiter as a contact to address it."
        return Action.SEND_STATUS_CHECK, contact, rule, reason
    if escalations == 0 and policy.escalate_to_hiring_manager:
        contact = _first(facts.contacts, Role.HIRING_MANAGER)
        reason = (
            f"You have sent {plain} status check{'s' if plain != 1 else ''} without an answer; "
            f"try the hiring manager once ({why})."
        )
        if contact is None:
            reason += " Add the hiring manager as a contact to address it."
        return Action.ESCALATE_TO_HIRING_MANAGER, contact, "R4", reason
    reason = (
        "You have followed up as far as is useful; silence is an answer too. "
        f"Stop following up and keep applying elsewhere ({why})."
    )
    return Action.MOVE_ON, None, "R4", reason


def check_outreach(facts: Facts, proposal: OutreachProposal, at: datetime) -> list[Violation]:
    """Every rule that sending `proposal` at `at` would break, with when it stops applying."""
    history = _history(facts, at)
    policy = facts.policy
    calendar = history.calendar
    contacts = _contacts_by_id(facts)
    violations: list[Violation] = []
    if history.concluded is not None:
        violations.append(Violation("concluded", CONCLUDED_REASONS[history.concluded], None))
    cooldown_end = history.round_end + timedelta(hours=policy.multi_contact_cooldown_hours)
    others = {
        event.contact_id
        for event in history.outbound
        if event.contact_id is not None and event.contact_id != proposal.contact_id and event.occurred_at < cooldown_end
    }
    if at < cooldown_end and others:
        names = ", ".join(sorted(contacts[c].name if c in contacts else c for c in others))
        violations.append(
            Violation(
                "multi_contact_cooldown",
                f"You already contacted {names} after this interview; reach only one person "
                f"in the first {policy.multi_contact_cooldown_hours} hours.",
                cooldown_end.astimezone(calendar.zone),
            )
        )
    if proposal.type is EventType.STATUS_CHECK_SENT:
        violations.extend(_nudge_violations(facts, history, proposal, at, contacts))
    return violations


def _nudge_violations(
    facts: Facts, history: _History, proposal: OutreachProposal, at: datetime, contacts: dict[str, Contact]
) -> list[Violation]:
    policy = facts.policy
    calendar = history.calendar
    violations: list[Violation] = []
    last_nudge = history.last_nudge
    if last_nudge is not None:
        open_day = calendar.local_date(last_nudge.occurred_at) + timedelta(days=policy.min_days_between_nudges)
        until = calendar.start_of(open_day)
        if at < until:
            violations.append(
                Violation(
                    "min_days_between_nudges",
                    f"Your last status check was less than {policy.min_days_between_nudges} days ago; "
                    "several in a row read as impatience.",
                    until,
                )
            )
    target = contacts.get(proposal.contact_id)
    to_manager = target is not None and target.role is Role.HIRING_MANAGER
    plain, escalations = history.plain_nudges, history.escalations
    if to_manager:
        if not policy.escalate_to_hiring_manager:
            violations.append(
                Violation("escalate_to_hiring_manager", "Your policy does not escalate to the hiring manager.", None)
            )
        elif escalations > 0:
            violations.append(
                Violation("max_status_checks", "You already wrote to the hiring manager once; move on instead.", None)
            )
        elif plain < policy.max_status_checks:
            violations.append(
                Violation(
                    "escalate_to_hiring_manager",
                    f"Try the recruiter first: {plain} of {policy.max_status_checks} status checks sent so far.",
                    None,
                )
            )
    elif plain >= policy.max_status_checks or escalations > 0:
        instead = (
            "escalate to the hiring manager instead"
            if policy.escalate_to_hiring_manager and escalations == 0
            else "move on instead"
        )
        violations.append(
            Violation(
                "max_status_checks",
                f"You have sent {plain} status checks since the last reply, the most your policy allows; {instead}.",
                None,
            )
        )
    if policy.business_days_only:
        today = calendar.local_date(at)
        open_day, skipped = calendar.next_business_day(today)
        if skipped:
            violations.append(
                Violation("business_days_only", f"{skipped[0]}; send on a business day.", calendar.start_of(open_day))
            )
    return violations
