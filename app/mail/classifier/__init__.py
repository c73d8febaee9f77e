"""The pure mail classifier: raw bytes and the user's own addresses in, facts out."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from app.mail.classifier import autoreplies, bounces, invites, parse
from app.mail.classifier.facts import (
    Bounce,
    Classified,
    Direction,
    FailedRecipient,
    Invite,
    Kind,
    NotAMessage,
    Person,
)

__all__ = [
    "Bounce",
    "Classified",
    "Direction",
    "FailedRecipient",
    "Invite",
    "Kind",
    "NotAMessage",
    "Person",
    "classify",
]

_INVITE_METHODS = ("REQUEST", "CANCEL")
_BULK = ("bulk", "list", "junk")


def classify(raw: bytes, *, own_addresses: Collection[str], at: datetime) -> Classified:
    """Read one raw RFC 5322 message.

    ``own_addresses`` are the user's addresses (compared ignoring case); ``at`` is when the
    message was received (aware), its date when the Date header is missing or unreadable.
    No I/O and no clock: the same bytes and arguments always give the same facts.

    Raises ``NotAMessage`` when the bytes are empty, have no header section, or have none
    of From, Sender, Return-Path, Date and Message-ID (real bounces come without From, or
    with ``From: <>``: ``sender`` is then the Sender's address, or None). Anything else
    that real mail gets wrong is read as well as it can be, never raised.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be an aware datetime")
    message = parse.parse_bytes(raw)
    own = frozenset(address.strip().lower() for address in own_addresses)

    senders = parse.addresses(message, "from", local_ok=True) or parse.addresses(message, "sender", local_ok=True)
    sender = senders[0] if senders else None
    to = parse.addresses(message, "to")
    cc = parse.addresses(message, "cc")
    subject = parse.header_text(message, "subject")
    identifier, has_message_id = parse.message_id(message)
    date = parse.message_date(message, at)
    in_reply_to = parse.first_id(parse.raw_header(message, "in-reply-to"))
    references = parse.all_ids(" ".join(parse.raw_headers(message, "references")))
    direction = Direction.OUTBOUND if sender is not None and sender.address in own else Direction.INBOUND
    delivered_to = tuple(
        dict.fromkeys(
            person.address
            for person in parse.addresses(message, "delivered-to", "x-original-to")
            if "@" in person.address
        )
    )
    thread_ids = _newest_first(in_reply_to, references)

    kind = Kind.MESSAGE
    bounce = None
    invite = None
    returns_on = None
    ignored: str | None = None

    return_path = parse.raw_header(message, "return-path")
    envelope = sender or next(iter(parse.addresses(message, "return-path")), None)
    found = bounces.find(
        message, envelope, subject, own, null_sender=return_path is not None and "@" not in return_path
    )
    if found is not None:
        kind = Kind.BOUNCE
        bounce = found.bounce
        if found.returned is not None:
            returned = found.returned
            thread_ids = tuple(
                dict.fromkeys(
                    (
                        *filter(None, [parse.first_id(parse.raw_header(returned, "message-id"))]),
                        *_newest_first(
                            parse.first_id(parse.raw_header(returned, "in-reply-to")),
                            parse.all_ids(" ".join(parse.raw_headers(returned, "references"))),
                        ),
                        *thread_ids,
                    )
                )
            )
        if not bounce.first.permanent:
            ignored = "temporary delivery failure"
    else:
        zone = date.tzinfo
        assert zone is not None  # message_date answers aware times only
        invite = invites.find(message, own, zone)
        if invite is not None:
            kind = Kind.INVITE
            if invite.method not in _INVITE_METHODS:
                ignored = f"calendar {invite.method}"
        elif autoreplies.is_auto_reply(message, subject):
            kind = Kind.AUTO_REPLY
            returns_on = autoreplies.returns_on(message, date)
        elif direction is Direction.INBOUND:
            precedence = (parse.raw_header(message, "precedence") or "").strip().lower()
            if parse.raw_header(message, "list-id") is not None or precedence in _BULK:
                ignored = "list or bulk mail"

    return Classified(
        message_id=identifier,
        has_message_id=has_message_id,
        date=date,
        direction=direction,
        kind=kind,
        sender=sender,
        to=to,
        cc=cc,
        subject=subject,
        in_reply_to=in_reply_to,
        references=references,
        thread_ids=thread_ids,
        returns_on=returns_on,
        bounce=bounce,
        invite=invite,
        ignored=ignored,
        delivered_to=delivered_to,
    )


def _newest_first(in_reply_to: str | None, references: tuple[str, ...]) -> tuple[str, ...]:
    ordered = ([in_reply_to] if in_reply_to else []) + list(reversed(references))
    return tuple(dict.fromkeys(ordered))
