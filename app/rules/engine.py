"""R0-R9 of RULES.md: the next follow-up action, and the outreach check.

Pure: the result depends only on the facts and `at`; nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.rules import drafts
from app.rules.calendar import Calendar
from app.rules.model import (
    INBOUND_TYPES,
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
    Round,
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
    cancelled: bool  # R6: the interview's own invite was cancelled and no other round stands
    round_interview_at: datetime
    round_end: datetime
    thank_you_sent: bool
    last_reply: Event | None
    deadline: date | None
    nudges: tuple[Event, ...]  # those that arrived (R5b)
    escalations: int
    outbound: tuple[Event, ...]
    unreachable: frozenset[str]  # contact ids
    # The latest inbound event of each contact since the last reply in the current round (R5a).
    last_heard: dict[str, Event]

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


def _schedules(event: Event) -> bool:
    return event.type is EventType.ROUND_SCHEDULED and event.interview_at is not None


def _standing_schedules(ordered: list[Event]) -> tuple[set[int], dict[str, Event]]:
    """R6: the positions of the round_scheduled events that count, and the latest
    round_scheduled or round_cancelled of each invite."""
    latest: dict[str, tuple[int, Event]] = {}
    for position, event in enumerate(ordered):
        if event.invite_uid is not None and (_schedules(event) or event.type is EventType.ROUND_CANCELLED):
            latest[event.invite_uid] = (position, event)
    standing = {
        position
        for position, event in enumerate(ordered)
        if _schedules(event) and (event.invite_uid is None or latest[event.invite_uid][0] == position)
    }
    return standing, {uid: event for uid, (_, event) in latest.items()}


def _bounced_addresses(ordered: list[Event]) -> set[str]:
    return {event.address.casefold() for event in ordered if event.type is EventType.MESSAGE_BOUNCED and event.address}


def _unreachable(contacts: tuple[Contact, ...], bounced: set[str]) -> frozenset[str]:
    return frozenset(contact.id for contact in contacts if contact.email and contact.email.casefold() in bounced)


def _about_contact(event: Event, contacts: tuple[Contact, ...]) -> str | None:
    """The contact an event is about: its own, else for a bounce the contact whose
    current email is the address that failed."""
    if event.contact_id is not None or event.type is not EventType.MESSAGE_BOUNCED or not event.address:
        return event.contact_id
    address = event.address.casefold()
    return next((c.id for c in contacts if c.email and c.email.casefold() == address), None)


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

    ordered = [
        event
        for _, event in sorted(
            (pair for pair in enumerate(facts.events) if pair[1].occurred_at <= at),
            key=lambda pair: (pair[1].occurred_at, pair[1].seq, pair[0]),
        )
    ]
    standing, latest_of_invite = _standing_schedules(ordered)
    own_invite = latest_of_invite.get(interview.invite_uid) if interview.invite_uid is not None else None
    cancelled = own_invite is not None and own_invite.type is EventType.ROUND_CANCELLED and not standing
    concluded: Status | None = interview.status if interview.status in TERMINAL_STATUSES else None
    round_interview_at = interview.interview_at
    round_minutes = interview.duration_minutes
    deadline = interview.decision_expected_by
    thank_you_sent = False
    last_reply: Event | None = None
    # Status checks since the last reply, and the positions among them of those that bounced.
    sent: list[Event] = []
    bounced: set[int] = set()
    outbound: list[Event] = []
    last_heard: dict[str, Event] = {}
    for position, event in enumerate(ordered):
        kind = event.type
        if kind in TERMINAL_EVENT_STATUS:
            concluded = concluded or TERMINAL_EVENT_STATUS[kind]
        elif position in standing:
            # R6: a new round, or a rescheduled one anew; everything below starts again,
            # the deadline included.
            assert event.interview_at is not None  # _schedules checked it
            round_interview_at = event.interview_at
            round_minutes = interview.duration_minutes if event.duration_minutes is None else event.duration_minutes
            deadline = None
            thank_you_sent = False
            last_reply = None
            sent, bounced, outbound, last_heard = [], set(), [], {}
            continue
        elif _schedules(event):
            continue  # R6: replaced by a later invite of the same uid, or cancelled
        about = _about_contact(event, facts.contacts)
        if kind in OUTBOUND_TYPES:
            outbound.append(event)
        elif kind in INBOUND_TYPES and about is not None:
            last_heard[about] = event
        if kind is EventType.THANK_YOU_SENT:
            thank_you_sent = True
        elif kind is EventType.STATUS_CHECK_SENT:
            sent.append(event)
        elif kind is EventType.MESSAGE_BOUNCED and about is not None:
            # R5b: the bounce is for the latest status check to that contact, if any
            # since the last reply; that one never arrived.
            hit = next((i for i in reversed(range(len(sent))) if sent[i].contact_id == about), None)
            if hit is not None:
                bounced.add(hit)
        elif kind in REPLY_TYPES:
            # R5: a reply, a stated timeline or a stage change restarts the ladder.
            last_reply = event
            sent, bounced, last_heard = [], set(), {}
            if kind is EventType.TIMELINE_SHARED and event.decision_expected_by is not None:
                deadline = event.decision_expected_by
    nudges = tuple(event for position, event in enumerate(sent) if position not in bounced)
    return _History(
        calendar=calendar,
        concluded=concluded,
        cancelled=cancelled,
        round_interview_at=round_interview_at,
        round_end=round_interview_at + timedelta(minutes=round_minutes),
        thank_you_sent=thank_you_sent,
        last_reply=last_reply,
        deadline=deadline,
        nudges=nudges,
        escalations=sum(_is_escalation(event, contacts) for event in nudges),
        outbound=tuple(outbound),
        unreachable=_unreachable(facts.contacts, _bounced_addresses(ordered)),
        last_heard=last_heard,
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


@dataclass(frozen=True, slots=True)
class _Choice:
    """Who an action goes to; `blocked` lists the contacts of the roles it looks for
    when every one of them is unreachable (R5b)."""

    contact: Contact | None
    blocked: tuple[Contact, ...] = ()


def _choose(facts: Facts, history: _History, *roles: Role, primary_first: bool = False) -> _Choice:
    """The first reachable contact of `roles`; unreachable contacts are never chosen."""
    wanted = tuple(contact for contact in facts.contacts if contact.role in roles)
    reachable = tuple(contact for contact in wanted if contact.id not in history.unreachable)
    primary = next((c for c in reachable if c.is_primary), None) if primary_first else None
    contact = primary or _first(reachable, *roles)
    return _Choice(contact, wanted if contact is None else ())


def _thank_you_contact(facts: Facts, history: _History) -> _Choice:
    roles = (Role.INTERVIEWER, Role.RECRUITER, Role.HIRING_MANAGER, Role.COORDINATOR, Role.OTHER)
    return _choose(facts, history, *roles, primary_first=True)


def _status_check_contact(facts: Facts, history: _History) -> _Choice:
    return _choose(facts, history, Role.RECRUITER, Role.COORDINATOR, Role.INTERVIEWER, Role.OTHER)


def _names(contacts: tuple[Contact, ...]) -> str:
    names = [contact.name for contact in contacts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fix_address(blocked: tuple[Contact, ...]) -> str:
    return f" Mail to {_names(blocked)} bounced: correct the email address to send it."


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


CANCELLED_REASON = (
    "The interview was cancelled; nothing to send until a new date is set. Record the new round when it is scheduled."
)


def current_round(facts: Facts, at: datetime) -> Round:
    """The current round as of `at` (R6: rescheduled and cancelled invites applied)."""
    history = _history(facts, at)
    return Round(starts_at=history.round_interview_at, ends_at=history.round_end, thank_you_sent=history.thank_you_sent)


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
    if history.concluded is not None or history.cancelled:
        rule, reason = ("R0", CONCLUDED_REASONS[history.concluded]) if history.concluded else ("R6", CANCELLED_REASON)
        return NextAction(
            action=Action.NONE,
            earliest_allowed_date=None,
            earliest_allowed_at=None,
            latest_recommended_at=None,
            due=False,
            contact=None,
            rule=rule,
            reason=reason,
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
    choice = _thank_you_contact(facts, history)
    contact = choice.contact
    hours = facts.policy.thank_you_window_hours
    reason = (
        f"Send a short thank-you once the interview ends: the best moment is within {hours} hours, "
        f"by {latest.strftime('%A %H:%M')} your time. It is optional, but it keeps you in mind."
    )
    if choice.blocked:
        reason += _fix_address(choice.blocked)
    elif contact is None:
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


def _away_until(history: _History, contact: Contact | None) -> date | None:
    """R5a: the day `contact` said they are back, when their latest word since the last
    reply in the current round is an automatic reply that names it."""
    heard = history.last_heard.get(contact.id) if contact is not None else None
    if heard is None or heard.type is not EventType.AUTO_REPLY_RECEIVED:
        return None
    return heard.returns_on


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
    # Time the person is away is not silence: the later draft's wording counts from here.
    silence = (base - anchor_date).days

    action, choice = _ladder_target(facts, history)
    returns_on = _away_until(history, choice.contact)
    welcome_back = False
    if choice.contact is not None and returns_on is not None and base <= returns_on:
        # R5a: they get a day to catch up after they are back.
        base = returns_on + timedelta(days=1)
        welcome_back = True
        why += f", and the day after {choice.contact.name} is back on {_format_day(returns_on)}"
        constraints.append(Constraint("R5a", f"{choice.contact.name} is away until {returns_on.isoformat()}", base))

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

    rule, reason = _ladder_reason(facts, history, action, choice, rule, why)
    draft = drafts.for_ladder(
        action,
        facts.interview,
        choice.contact,
        history.round_interview_at.astimezone(calendar.zone),
        history.deadline,
        later=history.plain_nudges >= 1 or silence >= LONG_SILENCE_DAYS,
        welcome_back=welcome_back,
    )
    return NextAction(
        action=action,
        earliest_allowed_date=day,
        earliest_allowed_at=earliest,
        latest_recommended_at=None,
        due=at >= earliest,
        contact=choice.contact,
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


def _ladder_target(facts: Facts, history: _History) -> tuple[Action, _Choice]:
    """R4: the step for k plain status checks and h escalations since the last reply."""
    policy = facts.policy
    if history.plain_nudges < policy.max_status_checks and history.escalations == 0:
        return Action.SEND_STATUS_CHECK, _status_check_contact(facts, history)
    if history.escalations == 0 and policy.escalate_to_hiring_manager:
        return Action.ESCALATE_TO_HIRING_MANAGER, _choose(facts, history, Role.HIRING_MANAGER)
    return Action.MOVE_ON, _Choice(None)


def _ladder_reason(
    facts: Facts, history: _History, action: Action, choice: _Choice, rule: str, why: str
) -> tuple[str, str]:
    policy = facts.policy
    plain = history.plain_nudges
    if action is Action.SEND_STATUS_CHECK:
        reason = f"Send status check {plain + 1} of {policy.max_status_checks}: {why}."
        if history.deadline is None:
            reason += " Ask for their timeline, since none was given."
        if choice.blocked:
            reason += _fix_address(choice.blocked)
        elif choice.contact is None:
            reason += " Add the recruiter as a contact to address it."
        return rule, reason
    if action is Action.ESCALATE_TO_HIRING_MANAGER:
        reason = (
            f"You have sent {plain} status check{'s' if plain != 1 else ''} without an answer; "
            f"try the hiring manager once ({why})."
        )
        if choice.blocked:
            reason += _fix_address(choice.blocked)
        elif choice.contact is None:
            reason += " Add the hiring manager as a contact to address it."
        return "R4", reason
    reason = (
        "You have followed up as far as is useful; silence is an answer too. "
        f"Stop following up and keep applying elsewhere ({why})."
    )
    return "R4", reason


def check_outreach(facts: Facts, proposal: OutreachProposal, at: datetime) -> list[Violation]:
    """Every rule that sending `proposal` at `at` would break, with when it stops applying."""
    history = _history(facts, at)
    policy = facts.policy
    calendar = history.calendar
    contacts = _contacts_by_id(facts)
    violations: list[Violation] = []
    if history.concluded is not None:
        violations.append(Violation("concluded", CONCLUDED_REASONS[history.concluded], None))
    if proposal.contact_id in history.unreachable:
        target = contacts[proposal.contact_id]
        violations.append(
            Violation(
                "unreachable",
                f"Mail to {target.name} at {target.email} bounced; correct the email address before writing again.",
                None,
            )
        )
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
