"""Every message of the corpus (tests/mail/corpus, SOURCES.md says where each comes from)
and what a reader finds in it: the expectations were read off the messages themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.mail.classifier import Classified, Direction, Kind, NotAMessage, Person, classify

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ME = "jordan.lee@example.com"
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def read(name: str, *, own: tuple[str, ...] = (ME,)) -> Classified:
    return classify((CORPUS / name).read_bytes(), own_addresses=own, at=AT)


@dataclass(frozen=True)
class Failure:
    name: str
    failed: list[tuple[str, str | None, bool]]
    ignored: str | None = None
    thread: tuple[str, ...] = field(default=())


BOUNCES = [
    # RFC 3464 reports: the Original-Recipient wins over an internal Final-Recipient.
    Failure("flufl-dsn-01.eml", [("userx@example.com", "5.0.0", True)]),
    # An X.400 final recipient; Action failed with 4.4.7 (time expired) is class 4.
    Failure("flufl-dsn-02.eml", [("zzzzz@example.uk", "4.4.7", False)], "temporary delivery failure"),
    Failure("flufl-dsn-05.eml", [("userx@example.cz", "4.4.1", False)], "temporary delivery failure"),
    # Eleven blocks for one recipient: reported once.
    Failure("flufl-dsn-11.eml", [("joem@example.com", "5.1.1", True)]),
    Failure("flufl-dsn-12.eml", [("userx@example.jp", "5.1.1", True)], thread=()),
    Failure("flufl-dsn-17.eml", [("userx@example.fi", "4.3.0", False)], "temporary delivery failure"),
    Failure("sisimai-amazonses-03.eml", [("kijitora@example.jp", "5.0.0", True)]),
    Failure("mail-parser-malformed-2.eml", [("abh@netpar.com.br", "4.2.2", False)], "temporary delivery failure"),
    # Text bounces.
    Failure("flufl-postfix-01.eml", [("xxxxx@local.ie", "5.1.1", True)]),
    Failure("flufl-postfix-02.eml", [("yyyyy@digicool.com", None, True)]),
    Failure("flufl-exim-01.eml", [("userx@its.example.nl", "5.1.1", True)]),
    Failure("flufl-simple-16.eml", [("userx@example.com", None, True)]),  # Exim: "generated from"
    Failure("flufl-sendmail-01.eml", [("zzzzz@shaft.coal.nl", None, True), ("zzzzz@nfg.nl", None, True)]),
    Failure("flufl-qmail-01.eml", [("userx@example.de", None, True)]),
    Failure("flufl-qmail-03.eml", [("userx@example.jp", "5.1.1", True)]),
    # qmail's last error was 4.4.1 but it says it will not try again.
    Failure("flufl-yahoo-01.eml", [("userx@example.com", "4.4.1", True)]),
    Failure("flufl-yahoo-05.eml", [("userx@example.com", None, True), ("usery@example.com", None, True)]),
    # The address after "a copy of the message" is the returned text's, not a failure.
    Failure("flufl-yahoo-11.eml", [("bad_user@aol.com", "5.1.1", True)]),
    Failure("flufl-microsoft-02.eml", [("userx@example.com", None, True)]),
    Failure("flufl-groupwise-01.eml", [("userx@example.edu", None, True)]),
    Failure("flufl-simple-45.eml", [("subscriber@earthlink.net", None, True)]),
    Failure("sisimai-google-03.eml", [("kijitora@example.co.jp", "5.7.0", True)]),
    Failure("flufl-simple-03.eml", [("userx@example.za", None, False)], "temporary delivery failure"),
    Failure("flufl-simple-35.eml", [("calvin@example.com", None, False)], "temporary delivery failure"),
    Failure("flufl-simple-13.eml", [("userx@example.fr", None, True)]),  # no From: read by Return-Path
    Failure("flufl-simple-14.eml", [("usery@example.com", None, True), ("userx@example.com", None, True)]),
    Failure("flufl-simple-31.eml", [("userx@example.fr", None, True)]),  # report without recipient fields
    Failure(
        "flufl-smtp32-04.eml",
        [("after_another@example.net", "5.3.0", True), ("one_bad_address@example.net", "5.3.0", True)],
    ),
    Failure("flufl-netscape-01.eml", [("aaaaa@corel.com", None, True), ("bbbbb@corel.com", None, True)]),
    Failure("flufl-caiwireless-01.eml", [("userx@example.com", None, True)]),
    Failure("flufl-bounce-02.eml", [("userx@example.com", None, True)]),
]


@pytest.mark.parametrize("case", BOUNCES, ids=lambda case: case.name)
def test_bounces(case: Failure) -> None:
    folder = "malformed" if case.name.startswith("mail-parser") else "bounces"
    found = read(f"{folder}/{case.name}")
    assert found.kind is Kind.BOUNCE
    assert found.bounce is not None
    assert [(f.recipient, f.status, f.permanent) for f in found.bounce.failed] == case.failed
    assert found.bounce.first.recipient == case.failed[0][0]
    assert found.ignored == case.ignored
    assert found.direction is Direction.INBOUND


def test_a_bounce_threads_by_the_returned_message() -> None:
    found = read("bounces/sisimai-amazonses-03.eml")
    assert found.thread_ids[0] == "<00000132d6ca0cd4-ff6d8ee5-29a0-4501-a68a-3ff8695254bb-000000@email.amazonses.com>"
    headers_only = read("malformed/mail-parser-malformed-2.eml")  # message/rfc822-headers
    assert headers_only.thread_ids == ("<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>",)
    postfix = read("bounces/flufl-postfix-02.eml")
    assert postfix.thread_ids == ("<14915.64162.965657.699956@anthem.concentric.net>",)


def test_a_bounce_of_the_users_own_message_never_names_the_user() -> None:
    found = read("bounces/sisimai-google-03.eml", own=("this-local-part-does-not-exist-on-google-mail@gmail.com",))
    assert found.bounce is not None
    assert [f.recipient for f in found.bounce.failed] == ["kijitora@example.co.jp"]


def test_what_is_no_bounce() -> None:
    # A Microsoft gateway's "could not be delivered" that only quotes a list message.
    assert read("bounces/flufl-dumbass-01.eml").kind is Kind.MESSAGE
    assert read("auto_replies/flufl-qmail-08.eml").kind is Kind.AUTO_REPLY


@pytest.mark.parametrize(
    ("name", "returns_on"),
    [
        # "until Friday, 13 March" and "back on Monday, March 16th": the return phrase wins.
        ("exchange-automatic-reply-en.eml", date(2026, 3, 16)),
        # "until March 20" and no return phrase: the day after.
        ("gmail-vacation-en.eml", date(2026, 3, 21)),
        # "bis einschließlich 13.03.2026" and "Ab dem 16. März ... wieder erreichbar".
        ("abwesenheitsnotiz-de.eml", date(2026, 3, 16)),
        # "jusqu'au vendredi 13 mars inclus" and "de retour le lundi 16 mars".
        ("reponse-automatique-fr.eml", date(2026, 3, 16)),
        # "hasta el 20 de marzo"; the quoted "de vuelta el 3 de abril" is not read.
        ("respuesta-automatica-es.eml", date(2026, 3, 21)),
        # Exchange, 2009: "through May 29, 2009" and "back in the office on June 1".
        ("sisimai-rfc3834-01.eml", date(2009, 6, 1)),
        # 72 days after the message: not believed.
        ("rfc3834-vacation-beyond-window.eml", None),
        ("out-of-office-no-date.eml", None),
    ],
)
def test_auto_replies(name: str, returns_on: date | None) -> None:
    found = read(f"auto_replies/{name}")
    assert found.kind is Kind.AUTO_REPLY
    assert found.returns_on == returns_on
    assert found.ignored is None
    assert found.bounce is None and found.invite is None


def test_the_exchange_auto_reply_threads_to_the_nudge() -> None:
    found = read("auto_replies/exchange-automatic-reply-en.eml")
    assert found.in_reply_to == "<CAF=status-check-0309@mail.gmail.com>"
    assert found.thread_ids == ("<CAF=status-check-0309@mail.gmail.com>", "<CAF=thread-start@mail.gmail.com>")
    assert found.sender == Person("ana.silva@acme.example", "Ana Silva")
    assert found.date == datetime(2026, 3, 9, 13, 6, 12, tzinfo=UTC)


OUTLOOK_UID = (
    "040000008200E00074C5B7101A82E00800000000B0A9F3C8A1AEDC01000000000000000010000000F6C1E2D3B4A5968778695A4B3C2D1E0F"
)
ANA = Person("ana.silva@acme.example", "Ana Silva")
BEN = Person("ben.okafor@acme.example", "Ben Okafor")


@pytest.mark.parametrize(
    ("name", "sequence", "method", "start", "ignored"),
    [
        ("outlook-request-eastern.eml", 0, "REQUEST", datetime(2026, 3, 12, 14, tzinfo=NEW_YORK), None),
        ("outlook-reschedule-eastern.eml", 1, "REQUEST", datetime(2026, 3, 13, 10, 30, tzinfo=NEW_YORK), None),
        ("outlook-stale-sequence-eastern.eml", 0, "REQUEST", datetime(2026, 3, 12, 14, tzinfo=NEW_YORK), None),
        ("outlook-cancel-eastern.eml", 2, "CANCEL", datetime(2026, 3, 13, 10, 30, tzinfo=NEW_YORK), None),
    ],
)
def test_outlook_invites(name: str, sequence: int, method: str, start: datetime, ignored: str | None) -> None:
    found = read(f"invites/{name}")
    assert found.kind is Kind.INVITE
    invite = found.invite
    assert invite is not None
    assert (invite.uid, invite.sequence, invite.method) == (OUTLOOK_UID, sequence, method)
    assert invite.start == start and invite.start is not None
    assert invite.start.utcoffset() == timedelta(hours=-4 if start.day > 8 else -5)
    assert invite.end == start + timedelta(hours=1)
    assert invite.timezone == "America/New_York"
    assert invite.organizer == ANA
    assert invite.attendees == (BEN,)  # neither the user nor the organizer again
    assert found.ignored is ignored


def test_google_calendar_invite_and_reply() -> None:
    found = read("invites/google-calendar-request.eml")
    invite = found.invite
    assert invite is not None
    assert (invite.uid, invite.sequence, invite.method) == ("5k1q2mb4ru7oqg5ueq0vmgk0a8@google.com", 0, "REQUEST")
    assert invite.start == datetime(2026, 3, 17, 16, 0, tzinfo=UTC)
    assert invite.end == datetime(2026, 3, 17, 16, 45, tzinfo=UTC)
    assert invite.timezone is None
    assert invite.organizer == Person("priya@globex.example", "Priya Raman")
    assert invite.attendees == (Person("tom.weber@globex.example", "Tom Weber"),)
    assert found.ignored is None

    reply = read("invites/google-calendar-reply-accepted.eml")
    assert reply.kind is Kind.INVITE
    assert reply.invite is not None and reply.invite.method == "REPLY"
    assert reply.ignored == "calendar REPLY"
    assert reply.direction is Direction.OUTBOUND


def test_an_ics_attachment_with_an_iana_zone_and_a_duration() -> None:
    invite = read("invites/rfc5546-request-berlin-attachment.eml", own=("b@example.com",)).invite
    assert invite is not None
    berlin = ZoneInfo("Europe/Berlin")
    assert invite.start == datetime(2026, 3, 24, 15, tzinfo=berlin)
    assert invite.end == datetime(2026, 3, 24, 16, 30, tzinfo=berlin)
    assert invite.timezone == "Europe/Berlin"
    assert invite.organizer == Person("a@example.com")
    assert invite.attendees == (Person("c@example.com"),)


def test_threaded_reply_in_quoted_printable_utf8() -> None:
    found = read("messages/reply-threaded-qp-utf8.eml")
    assert found.kind is Kind.MESSAGE and found.direction is Direction.INBOUND
    assert found.sender == Person("maria.garcia@soylent.example", "María García")
    assert found.subject == "Re: Entrevista – próximos pasos"
    assert found.to == (Person(ME, "Jordan Lee"),)
    assert found.cc == (Person("ben.okafor@soylent.example", "Okafor, Ben"), Person("hiring@soylent.example"))
    assert found.message_id == "<CAH+reply-0311.ABC@mail.gmail.com>" and found.has_message_id
    assert found.in_reply_to == "<CAF=followup-0310.XYZ@mail.gmail.com>"
    assert found.references == (
        "<CAF=thread-start-0302@mail.gmail.com>",
        "<CAF=thanks-0305@mail.gmail.com>",
        "<CAF=followup-0310.XYZ@mail.gmail.com>",
    )
    assert found.thread_ids == (
        "<CAF=followup-0310.XYZ@mail.gmail.com>",
        "<CAF=thanks-0305@mail.gmail.com>",
        "<CAF=thread-start-0302@mail.gmail.com>",
    )
    assert found.delivered_to == ("u-7f3k2q@in.followup.example", "u-7f3k2q+fwd@in.followup.example")
    assert found.date == datetime(2026, 3, 11, 16, 42, 10, tzinfo=timezone(timedelta(hours=1)))
    assert found.ignored is None


def test_a_message_without_message_id_gets_a_stable_stand_in() -> None:
    first = read("messages/no-message-id.eml")
    assert not first.has_message_id
    assert first.message_id.endswith("@no-message-id.invalid>") and len(first.message_id) == 1 + 64 + 23
    assert read("messages/no-message-id.eml", own=()).message_id == first.message_id


@pytest.mark.parametrize("name", ["newsletter-list-id.eml", "notification-precedence-bulk.eml"])
def test_list_and_bulk_mail_is_ignored(name: str) -> None:
    found = read(f"messages/{name}")
    assert (found.kind, found.ignored) == (Kind.MESSAGE, "list or bulk mail")


def test_outbound_mail_of_the_user() -> None:
    found = read("messages/outbound-thank-you.eml")
    assert found.direction is Direction.OUTBOUND
    assert found.kind is Kind.MESSAGE  # X-Auto-Response-Suppress is no sign of an auto-reply
    assert found.to == (ANA,) and found.cc == (Person("ben.okafor@acme.example", "Ben Okafor"),)


@pytest.mark.parametrize(
    "name", ["talon-gmail.eml", "talon-outlook.eml", "talon-thunderbird.eml", "talon-apple-mail.eml"]
)
def test_replies_from_common_clients(name: str) -> None:
    found = read(f"replies/{name}")
    assert (found.kind, found.direction, found.ignored) == (Kind.MESSAGE, Direction.INBOUND, None)


def test_yahoo_reply_threads() -> None:
    found = read("replies/talon-yahoo.eml")
    assert found.thread_ids == ("<1333374262.7063.15.camel@mg5>",)
    assert found.sender == Person("xxx@yahoo.com", "Alex Q")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.eml", "empty"),
        ("only-body-text.eml", "no header section"),
        ("mail-parser-outlook-msg-head.bin", "no header section"),
    ],
)
def test_not_a_message(name: str, reason: str) -> None:
    with pytest.raises(NotAMessage, match=reason):
        read(f"malformed/{name}")


def test_broken_headers_are_read_as_well_as_they_can_be() -> None:
    found = read("malformed/broken-headers.eml")
    assert found.sender is None
    assert found.date == AT  # "not a date at all"
    assert found.message_id == "<no-closing-bracket@example.org>"
    assert found.in_reply_to is None
    assert found.references == ("<a@b>", "<c@d>")
    assert found.to == (Person("to@example.org", "Bad =ZZ word"),)
    malformed = read("malformed/mail-parser-malformed-3.eml")
    assert malformed.kind is Kind.MESSAGE


def test_every_corpus_file_has_a_source() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.name != "SOURCES.md":
            copied = path.name.split("-")[0] + "-*"
            assert path.name in sources or copied in sources or path.name.startswith("mail-parser"), path


def test_a_report_wrapped_by_a_gateway() -> None:
    found = read("bounces/flufl-dsn-15.eml")
    assert found.bounce is not None
    assert [(f.recipient, f.status, f.permanent) for f in found.bounce.failed] == [("userx@example.com", "5.1.1", True)]
