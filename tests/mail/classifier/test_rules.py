"""The classifier's rules one at a time, on small messages written for each case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import Message
from zoneinfo import ZoneInfo

import pytest
from icalendar.parser import Contentlines

from app.mail.classifier import Direction, Kind, NotAMessage, Person, classify, invites, parse

AT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
SENT = "Mon, 09 Mar 2026 09:00:00 +0000"


def mail(headers: str, body: str = "", *, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = headers.strip("\n")
    if content_type:
        head += f"\nContent-Type: {content_type}"
    return (head + "\n\n" + body).replace("\n", "\r\n").encode("utf-8")


def auto_reply(body: str, *, date: str = SENT) -> date | None:
    raw = mail(f"From: a@acme.example\nDate: {date}\nSubject: Out of Office\nAuto-Submitted: auto-replied", body)
    found = classify(raw, own_addresses=(), at=AT)
    assert found.kind is Kind.AUTO_REPLY
    return found.returns_on


# Not a message --------------------------------------------------------------------------


def test_not_bytes_and_no_origin() -> None:
    with pytest.raises(NotAMessage, match="bytes"):
        classify("From: a@b.example", own_addresses=(), at=AT)  # type: ignore[arg-type]
    with pytest.raises(NotAMessage, match="From, Sender"):
        classify(b"Subject: hello\r\n\r\nbody", own_addresses=(), at=AT)


def test_the_receiving_time_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        classify(mail("From: a@b.example"), own_addresses=(), at=datetime(2026, 3, 9))


def test_a_parser_failure_falls_back_to_compat32(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing:
        def parsebytes(self, data: bytes, headersonly: bool = False) -> Message:
            raise ValueError("boom")

    monkeypatch.setattr(parse, "_PARSER", Failing())
    found = classify(mail("From: a@b.example\nMessage-ID: <x@y>"), own_addresses=(), at=AT)
    assert found.message_id == "<x@y>"
    assert parse.parse_headers(b"Subject: x\r\n") is not None
    assert parse.parse_headers(b"") is None


class Broken(Message):
    """A part whose every accessor raises, as the standard library's can on hostile input."""

    def raw_items(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        raise ValueError("boom")

    def get_param(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ValueError("boom")

    def get_filename(self, failobj: object = None) -> None:  # type: ignore[override]
        raise ValueError("boom")

    def get_payload(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ValueError("boom")

    def get_content_disposition(self) -> None:
        raise ValueError("boom")


def test_accessors_that_raise_give_neutral_values() -> None:
    part = Broken()
    assert parse.content_type(part) == "application/octet-stream"
    assert parse.param(part, "charset") is None
    assert parse.filename(part) is None
    assert parse.payload_bytes(part) == b""
    assert parse.children(part) == []
    assert parse.is_attachment(part) is False


def test_rfc2231_parameters_and_unknown_charsets() -> None:
    raw = mail(
        "From: a@b.example\nMIME-Version: 1.0",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u1\nDTSTART:20260320T100000Z\nEND:VEVENT\nEND:VCALENDAR\n",
        content_type="text/calendar; method*=us-ascii''REQUEST",
    )
    invite = classify(raw, own_addresses=(), at=AT).invite
    assert invite is not None and invite.method == "REQUEST"
    assert parse.decode_text(b"caf\xc3\xa9", "no-such-charset") == "café"


# Headers --------------------------------------------------------------------------------


def test_a_header_object_is_built_once_per_message_and_never_shared() -> None:
    raw = mail("From: a@b.example\nMIME-Version: 1.0", content_type='multipart/mixed; boundary="b"')
    first, second = parse.parse_bytes(raw), parse.parse_bytes(raw)
    assert first["content-type"] is first["content-type"]
    assert first["content-type"] is not second["content-type"]
    assert first["content-type"] == second["content-type"] == 'multipart/mixed; boundary="b"'
    assert first.get_boundary() == "b"


def test_ids_dates_and_addresses() -> None:
    raw = mail(
        "From: =?utf-8?q?Jos=C3=A9?= <JOSE@Acme.Example>\n"
        "Sender: other@acme.example\n"
        "To: me@example.com, me@example.com, not an address\n"
        "Date: Mon, 01 Jan 1900 00:00:00 +0000\n"
        "Message-ID: bare@acme.example\n"
        "References: first@acme.example second@acme.example\n"
        "In-Reply-To: <second@acme.example>"
    )
    found = classify(raw, own_addresses=("Me@Example.com",), at=AT)
    assert found.sender == Person("jose@acme.example", "José")
    assert found.to == (Person("me@example.com"),)
    assert found.date == AT  # 1900 is no date a message of today was written on
    assert found.message_id == "<bare@acme.example>"
    assert found.references == ("<first@acme.example>", "<second@acme.example>")
    assert found.thread_ids == ("<second@acme.example>", "<first@acme.example>")
    assert found.direction is Direction.INBOUND


def test_a_date_without_zone_is_utc_and_outbound_follows_own_addresses() -> None:
    raw = mail("From: Me <ME@example.com>\nDate: Mon, 09 Mar 2026 09:00:00 -0000")
    found = classify(raw, own_addresses=("me@example.com",), at=AT)
    assert found.date == datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert found.direction is Direction.OUTBOUND
    assert parse.first_id(None) is None and parse.first_id("no id here") is None
    assert parse.all_ids(None) == ()


def test_html_only_bodies_and_8bit_headers() -> None:
    raw = (
        b"From: \xc3\x89lise <elise@acme.example>\r\nDate: " + SENT.encode() + b"\r\n"
        b"Subject: Automatic reply\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p {color: red}</style></head><body><p>I will be back on 16 March.</p>"
        b"<blockquote>back on 2 April</blockquote></body></html>"
    )
    found = classify(raw, own_addresses=(), at=AT)
    assert found.sender == Person("elise@acme.example", "Élise")
    assert found.returns_on == date(2026, 3, 16)


# Auto-replies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "X-Autorespond: on",
        "Precedence: auto_reply",
        "Subject: Automatische Antwort: Bewerbung",
        "Subject: Respuesta automática: Entrevista",
        "Subject: Auto: Re: hello",
    ],
)
def test_signs_of_an_auto_reply(headers: str) -> None:
    raw = mail(f"From: a@acme.example\n{headers}", "Hello")
    assert classify(raw, own_addresses=(), at=AT).kind is Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "headers", ["Auto-Submitted: no", "X-Auto-Response-Suppress: All", "X-Autoreply: no", "Precedence: first-class"]
)
def test_what_is_no_sign(headers: str) -> None:
    raw = mail(f"From: a@acme.example\nSubject: Re: hello\n{headers}", "Hello")
    assert classify(raw, own_addresses=(), at=AT).kind is Kind.MESSAGE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", None),
        ("I will be back tomorrow.", date(2026, 3, 10)),
        ("I'll be back on Monday.", date(2026, 3, 16)),  # Date is a Monday: the next one
        ("Back on Thursday", date(2026, 3, 12)),
        ("I am back on 3/16.", date(2026, 3, 16)),
        ("Back on 16/3/26", date(2026, 3, 16)),
        ("Ich bin wieder ab 16.03. im Büro.", date(2026, 3, 16)),
        ("Returning 2026-03-20.", date(2026, 3, 20)),
        ("Back on 2026-02-30.", None),
        ("Back on 31/19.", None),
        ("Back on 29 February.", None),  # no 29 February in 2026 or 2027
        ("Out until 1 March.", None),  # next 1 March is a year away
        ("Back on March 2nd, 2026.", None),  # before the message
        ("back on track soon", None),
        ("Back on 16 March, out until 13 March.", date(2026, 3, 16)),
        ("Out until 13 March. I'm back on 20 March.", date(2026, 3, 20)),
        ("De vuelta el 16 de marzo.", date(2026, 3, 16)),
        ("Back at 16.30 uhr", None),
        ("Until 7 May.", date(2026, 5, 8)),  # the 60th day counts
        ("Until 8 May.", None),
        ("Back on 31 February.", None),
        # Written otherwise than the usual ways: read by dateparser.
        ("I am back on the 16th of March, 2026.", date(2026, 3, 16)),
        ("Back on 16.March.", date(2026, 3, 16)),
        ("Back on 31st of February, 2026.", None),
    ],
)
def test_returns_on(body: str, expected: date | None) -> None:
    assert auto_reply(body) == expected


def test_quoted_text_is_not_read() -> None:
    body = "Thanks for your note.\n\n-----Original Message-----\nFrom: x\nI am back on 16 March."
    assert auto_reply(body) is None
    body = "Thanks.\nOn Mon, 9 Mar 2026 at 09:00, Ana <a@x> wrote:\n> back on 16 March"
    assert auto_reply(body) is None


# Invites --------------------------------------------------------------------------------

CALENDAR = "BEGIN:VCALENDAR\nVERSION:2.0\n{method}{timezone}BEGIN:VEVENT\n{event}END:VEVENT\nEND:VCALENDAR\n"


def invite_of(event: str, *, method: str = "METHOD:REQUEST\n", timezone: str = "", name: str = "") -> Message:
    ics = CALENDAR.format(method=method, timezone=timezone, event=event)
    disposition = f'\nContent-Disposition: attachment; filename="{name}"' if name else ""
    return classify(
        mail(
            f"From: Org <org@acme.example>\nDate: Mon, 09 Mar 2026 09:00:00 -0500{disposition}",
            ics,
            content_type="application/octet-stream" if name else "text/calendar; charset=utf-8",
        ),
        own_addresses=("me@example.com",),
        at=AT,
    )  # type: ignore[return-value]


def test_an_invite_with_a_custom_zone_keeps_its_offsets() -> None:
    custom = (
        "BEGIN:VTIMEZONE\nTZID:GMT +0100 (Standard) / GMT +0200 (Daylight)\nBEGIN:STANDARD\n"
        "DTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\n"
        "END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )
    found = invite_of(
        'UID:c1\nSEQUENCE:x\nDTSTART;TZID="GMT +0100 (Standard) / GMT +0200 (Daylight)":20260320T100000\n'
        "ORGANIZER:mailto:org@acme.example\nORGANIZER:mailto:other@acme.example\n",
        timezone=custom,
    ).invite
    assert found is not None
    assert found.start is not None and found.start.utcoffset() == timedelta(hours=1)
    assert found.timezone is None and found.end is None
    assert found.sequence == 0  # unreadable
    assert found.organizer is None  # two organizers: none is believed


def test_a_custom_zone_is_read_from_the_message_itself() -> None:
    """icalendar keeps the first VTIMEZONE it sees for a name it does not know, for the
    life of the process; a message is read with its own, whatever came before."""

    def custom(offset: str) -> str:
        return (
            f"BEGIN:VTIMEZONE\nTZID:Company Time\nBEGIN:STANDARD\nDTSTART:16010101T000000\n"
            f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\nEND:STANDARD\nEND:VTIMEZONE\n"
        )

    event = "UID:z{n}\nDTSTART;TZID=Company Time:20260320T100000\n"
    first = invite_of(event.format(n=1), timezone=custom("+0100")).invite
    second = invite_of(event.format(n=2), timezone=custom("-0300")).invite
    without = invite_of(event.format(n=3)).invite
    assert first is not None and second is not None and without is not None
    assert first.start is not None and first.start.utcoffset() == timedelta(hours=1)
    assert second.start is not None and second.start.utcoffset() == timedelta(hours=-3)
    # No VTIMEZONE: a floating time, in the zone of the message's Date.
    assert without.start == datetime(2026, 3, 20, 10, tzinfo=timezone(timedelta(hours=-5)))


# icalendar warns that it guesses the zone of a vendor-prefixed TZID, as RFC 5545 3.2.19 allows.
@pytest.mark.filterwarnings("ignore::UserWarning:icalendar")
def test_floating_all_day_utc_and_global_zone_ids() -> None:
    minus5 = timezone(timedelta(hours=-5))
    floating = invite_of("UID:f1\nDTSTART:20260320T100000\nDTEND:20260320T110000\n").invite
    assert floating is not None and floating.start == datetime(2026, 3, 20, 10, tzinfo=minus5)
    all_day = invite_of("UID:d1\nDTSTART;VALUE=DATE:20260320\n", name="event.ics").invite
    assert all_day is not None and all_day.start == datetime(2026, 3, 20, tzinfo=minus5)
    assert all_day.method == "REQUEST"
    utc = invite_of("UID:u1\nDTSTART;TZID=UTC:20260320T100000\n").invite
    assert utc is not None and utc.timezone is None
    unique = invite_of("UID:g1\nDTSTART;TZID=/example.org/Europe/Paris:20260320T100000\n").invite
    assert unique is not None and unique.timezone == "Europe/Paris"
    assert unique.start == datetime(2026, 3, 20, 10, tzinfo=ZoneInfo("Europe/Paris"))


def text_read(calendar: str) -> str:
    """What icalendar is given of the calendar."""
    lines = [str(line) for line in Contentlines.from_ical(calendar.encode()) if line]
    return invites._without_unread_text(calendar.encode(), lines).decode()


def test_the_text_of_an_event_is_not_parsed() -> None:
    calendar = (
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nX-WR-CALNAME:Work\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
        "SUMMARY:Interview\r\nDESCRIPTION:Second round\r\n  with the team\r\nX-MICROSOFT-CDO-INSTTYPE:0\r\n"
        "X-ALT-DESC;VALUE=DURATION:PT1H\r\nDTSTART:20260320T100000Z\r\nBEGIN:VALARM\r\nSUMMARY:Soon\r\n"
        "END:VALARM\r\nLOCATION:Room 1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert text_read(calendar).split("\r\n") == [
        "BEGIN:VCALENDAR",
        "METHOD:REQUEST",
        "X-WR-CALNAME:Work",
        "BEGIN:VEVENT",
        "UID:u1",
        "X-ALT-DESC;VALUE=DURATION:PT1H",
        "DTSTART:20260320T100000Z",
        "BEGIN:VALARM",
        "SUMMARY:Soon",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    # Anything but a plain structure is left whole for icalendar to judge.
    for odd in ("BEGIN;X=1:VEVENT", "END:VEVENT\r\nEND:VCALENDAR\r\nEND:VCALENDAR", '"UID":u1'):
        whole = calendar.replace("BEGIN:VEVENT", odd)
        assert text_read(whole) == whole


def test_calendar_parts_that_are_no_invite() -> None:
    assert invite_of("UID:x\n", method="").invite is not None  # PUBLISH
    published = invite_of("UID:x\n", method="")
    assert published.invite is not None and published.ignored == "calendar PUBLISH"
    for event in ("DTSTART:20260320T100000Z\n", "UID:u\nDTSTART:garbage\n"):
        assert invite_of(event).kind is Kind.MESSAGE
    todo = mail(
        "From: a@b.example",
        "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nEND:VTODO\nEND:VCALENDAR\n",
        content_type="text/calendar",
    )
    assert classify(todo, own_addresses=(), at=AT).kind is Kind.MESSAGE


def test_attendees_without_mailto_and_without_address() -> None:
    found = invite_of(
        "UID:a1\nDTSTART:20260320T100000Z\nATTENDEE;CN=Bo:bo@acme.example\nATTENDEE:mailto:me@example.com\n"
        "ATTENDEE:not-an-address\nORGANIZER:nobody\n"
    ).invite
    assert found is not None
    assert found.organizer is None
    assert found.attendees == (Person("bo@acme.example", "Bo"),)


# Bounces --------------------------------------------------------------------------------

REPORT = (
    "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nSubject: Delivery Status Notification\nMIME-Version: 1.0"
)


def dsn(*blocks: str) -> bytes:
    parts = "\n\n".join(blocks)
    body = (
        "--b\nContent-Type: text/plain\n\nDelivery report.\n\n"
        f"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n{parts}\n\n--b--\n"
    )
    return mail(REPORT, body, content_type='multipart/report; report-type=delivery-status; boundary="b"')


def failures(raw: bytes) -> list[tuple[str, str | None, bool]] | None:
    found = classify(raw, own_addresses=(), at=AT)
    return None if found.bounce is None else [(f.recipient, f.status, f.permanent) for f in found.bounce.failed]


def test_dsn_statuses_replies_and_words() -> None:
    assert failures(
        dsn("Final-Recipient: rfc822; a@x.example\nAction: failed\nDiagnostic-Code: smtp; 550 5.1.1 no")
    ) == [("a@x.example", "5.1.1", True)]
    assert failures(dsn("Final-Recipient: rfc822; a@x.example\nAction: failed\nDiagnostic-Code: smtp; 452 full")) == [
        ("a@x.example", None, False)
    ]
    assert failures(dsn("Final-Recipient: rfc822; a@x.example\nAction: failed")) == [("a@x.example", None, True)]
    assert failures(dsn("Final-Recipient: rfc822; a@x.example\nDiagnostic-Code: x; user unknown")) == [
        ("a@x.example", None, True)
    ]
    assert failures(dsn("Final-Recipient: rfc822; a@x.example\nDiagnostic-Code: x; mailbox busy")) == [
        ("a@x.example", None, False)
    ]


def test_a_report_of_delivery_is_no_bounce() -> None:
    raw = dsn("Final-Recipient: rfc822; a@x.example\nAction: delivered\nStatus: 2.0.0")
    assert classify(raw, own_addresses=(), at=AT).kind is Kind.MESSAGE


def test_text_bounce_statuses() -> None:
    text = (
        "This message could not be delivered to one or more recipients.\n\n"
        "<a@x.example>: 250 2.1.5 ok, then 450 mailbox busy\n"
        "<b@x.example>: 550 user unknown\n"
    )
    raw = mail(REPORT, text)
    assert failures(raw) == [("a@x.example", None, False), ("b@x.example", None, True)]
    assert failures(mail("From: someone@x.example\nSubject: Undeliverable: hello", "Just a note.")) is None
