"""What the classifier reads from one raw message: plain values, no I/O.

The service matches these facts to an interview and turns them into events; nothing here
knows about the database or the clock (the receiving time is passed in as ``at``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Direction(StrEnum):
    """Which way a message went: to the user (`inbound`) or from them (`outbound`)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Kind(StrEnum):
    """The first that applies, in this order."""

    BOUNCE = "bounce"
    INVITE = "invite"
    AUTO_REPLY = "auto_reply"
    MESSAGE = "message"


class NotAMessage(ValueError):
    """The bytes are not an RFC 5322 message (the API answers 422 with ``str(error)``)."""


@dataclass(frozen=True, slots=True)
class Person:
    """A mailbox: ``address`` lower-cased, ``name`` as displayed (None when absent)."""

    address: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FailedRecipient:
    recipient: str  # lower-cased address
    status: str | None  # an RFC 3463 status such as "5.1.1", or None when the report gives none
    permanent: bool


@dataclass(frozen=True, slots=True)
class Bounce:
    """A delivery failure report. ``failed`` lists every failed recipient in the order of the
    report; the first is the one the outcome describes."""

    failed: tuple[FailedRecipient, ...]

    @property
    def first(self) -> FailedRecipient:
        return self.failed[0]


@dataclass(frozen=True, slots=True)
class Invite:
    """A calendar message (RFC 5546). ``method`` is upper-case ("REQUEST", "CANCEL", "REPLY"...).
    ``start``/``end`` are aware datetimes (None when the VEVENT has none, as in some CANCELs);
    ``timezone`` is the IANA name of the start's zone (Windows names resolved), None for UTC or
    floating times. ``attendees`` excludes the user's own addresses and the organizer."""

    uid: str
    sequence: int
    method: str
    start: datetime | None
    end: datetime | None
    timezone: str | None
    organizer: Person | None
    attendees: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Classified:
    """One message, classified.

    ``message_id`` is the Message-ID with its angle brackets, or, when the message has none,
    a stable stand-in derived from Date, From, To and Subject (``has_message_id`` False).
    ``date`` is the message's Date (aware), or ``at`` when it has none or it cannot be read.
    ``thread_ids`` are the Message-IDs to look up for a thread match, in order: In-Reply-To
    then References (newest first); for a bounce, the returned message's own Message-ID first,
    then its In-Reply-To and References.
    ``ignored`` gives why the message changes nothing whatever it matches (an invite REPLY,
    a temporary bounce, list or bulk mail); None otherwise.
    """

    message_id: str
    has_message_id: bool
    date: datetime
    direction: Direction
    kind: Kind
    sender: Person | None
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    subject: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    thread_ids: tuple[str, ...]
    returns_on: dt.date | None = None
    bounce: Bounce | None = None
    invite: Invite | None = None
    ignored: str | None = None
    delivered_to: tuple[str, ...] = field(default=())  # Delivered-To, X-Original-To: for routing forwarded mail
