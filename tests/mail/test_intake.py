"""Mail intake through the API (MAIL.md): each row of the event table, the match rules in
order, duplicates, dry runs, assigning, and what is refused; on both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import Api, assert_problem
from sqlalchemy import Engine, text

from app.core.columns import utcnow

MESSAGES = "/v1/mail/messages"
RFC822 = {"Content-Type": "message/rfc822"}
ACME = [
    {"name": "Ana Silva", "email": "ana@acme.example", "role": "recruiter", "is_primary": True},
    {"name": "Ben Okafor", "email": "Ben@Acme.example", "role": "hiring_manager"},
]


def message(
    *,
    sender: str = "Ana Silva <ana@acme.example>",
    to: str = "me@example.com",
    date: str = "Tue, 03 Mar 2026 09:12:00 -0500",
    subject: str = "Re: Thank you",
    message_id: str | None = "<reply-1@mail.acme.example>",
    headers: str = "",
    body: str = "Thanks for your note. We will get back to you soon.\n",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Date: {date}", f"Subject: {subject}"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += [line for line in headers.splitlines() if line]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}", "", body]
    return "\r\n".join(lines).encode()


def post(api: Api, raw: bytes, **params: Any) -> Any:
    return api.client.post(MESSAGES, content=raw, headers=api.headers | RFC822, params=params)


def applied(api: Api, raw: bytes) -> dict[str, Any]:
    response = post(api, raw)
    assert response.status_code == 201, response.text
    outcome: dict[str, Any] = response.json()
    return outcome


def events_of(api: Api, interview_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.get(f"/v1/interviews/{interview_id}/events").json()["data"]
    return listed


def acme(api: Api, **fields: Any) -> dict[str, Any]:
    return api.interview(contacts=ACME, **fields)


# --- the event table -------------------------------------------------------------------


def test_an_inbound_reply_becomes_reply_received_from_its_contact(api: Api) -> None:
    interview = acme(api)
    outcome = applied(api, message())
    ana = interview["contacts"][0]["id"]
    assert outcome["outcome"] == "applied"
    assert (outcome["kind"], outcome["direction"], outcome["matched_by"]) == ("message", "inbound", "address")
    assert (outcome["interview_id"], outcome["contact_id"]) == (interview["id"], ana)
    assert outcome["from"] == "ana@acme.example"
    assert outcome["date"] == "2026-03-03T14:12:00Z"
    [event] = events_of(api, interview["id"])
    assert event["id"] in outcome["event_ids"]
    assert (event["type"], event["contact_id"], event["occurred_at"]) == ("reply_received", ana, "2026-03-03T14:12:00Z")
    assert (event["source"], event["message_id"]) == ("mail", "<reply-1@mail.acme.example>")


def test_an_auto_reply_carries_the_return_date(api: Api) -> None:
    interview = acme(api)
    raw = message(
        subject="Automatic reply: Checking in",
        headers="Auto-Submitted: auto-replied",
        date="Mon, 09 Mar 2026 09:06:00 -0400",
        body="I am out of the office and will be back on Monday, March 16, 2026.\n",
        message_id="<ooo-1@mail.acme.example>",
    )
    outcome = applied(api, raw)
    assert (outcome["kind"], outcome["returns_on"]) == ("auto_reply", "2026-03-16")
    [event] = events_of(api, interview["id"])
    assert (event["type"], event["returns_on"]) == ("auto_reply_received", "2026-03-16")
    assert event["contact_id"] == interview["contacts"][0]["id"]


def dsn(
    recipient: str, *, status: str = "5.1.1", action: str = "failed", returned_id: str = "<nudge-1@example.com>"
) -> bytes:
    boundary = "dsn-boundary"
    body = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient failed: {recipient}\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: me@example.com\r\nTo: {recipient}\r\nSubject: Checking in\r\nMessage-ID: {returned_id}\r\n\r\n"
        f"--{boundary}--\r\n"
    )
    return message(
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        subject="Undelivered Mail Returned to Sender",
        message_id=f"<bounce-{recipient}-{action}@mx.example.com>",
        date="Mon, 09 Mar 2026 09:06:00 -0400",
        content_type=f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
        body=body,
    )


def test_a_permanent_bounce_marks_the_contact_unreachable(api: Api) -> None:
    interview = acme(api)
    outcome = applied(api, dsn("ana@acme.example"))
    assert outcome["kind"] == "bounce"
    assert outcome["bounce"] == {"recipient": "ana@acme.example", "status": "5.1.1", "permanent": True}
    assert outcome["matched_by"] == "address"
    [event] = events_of(api, interview["id"])
    assert (event["type"], event["address"], event["status"]) == ("message_bounced", "ana@acme.example", "5.1.1")
    assert event["contact_id"] == interview["contacts"][0]["id"]


def test_a_delayed_delivery_changes_nothing(api: Api) -> None:
    interview = acme(api)
    outcome = applied(api, dsn("ana@acme.example", status="4.4.1", action="delayed"))
    assert (outcome["outcome"], outcome["bounce"]["permanent"], outcome["event_ids"]) == ("ignored", False, [])
    assert outcome["reason"]
    assert events_of(api, interview["id"]) == []


def invite(
    *,
    uid: str = "round2@google.com",
    sequence: int = 0,
    method: str = "REQUEST",
    start: str = "20260317T140000",
    end: str = "20260317T150000",
    message_id: str = "<invite-1@google.com>",
    sender: str = "Col Reyes <col@acme.example>",
) -> bytes:
    calendar = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            f"DTSTART;TZID=America/New_York:{start}",
            f"DTEND;TZID=America/New_York:{end}",
            "DTSTAMP:20260310T160000Z",
            "ORGANIZER;CN=Col Reyes:mailto:col@acme.example",
            f"UID:{uid}",
            "ATTENDEE;CN=Ivy Chen;ROLE=REQ-PARTICIPANT:mailto:ivy@acme.example",
            "ATTENDEE;CN=Me;ROLE=REQ-PARTICIPANT:mailto:me@example.com",
            "ATTENDEE;CN=Ana Silva;ROLE=REQ-PARTICIPANT:mailto:ana@acme.example",
            f"SEQUENCE:{sequence}",
            "SUMMARY:Interview: second round",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    return message(
        sender=sender,
        subject="Invitation: second round",
        message_id=message_id,
        date="Tue, 10 Mar 2026 12:00:00 -0400",
        content_type=f"text/calendar; charset=UTF-8; method={method}",
        body=calendar,
    )


def test_an_invite_schedules_a_round_and_adds_its_people(api: Api) -> None:
    interview = acme(api)
    outcome = applied(api, invite())
    assert outcome["kind"] == "invite"
    assert outcome["invite"]["uid"] == "round2@google.com"
    assert outcome["invite"]["timezone"] == "America/New_York"
    [event] = events_of(api, interview["id"])
    assert (event["type"], event["interview_at"], event["duration_minutes"], event["invite_uid"]) == (
        "round_scheduled",
        "2026-03-17T18:00:00Z",
        60,
        "round2@google.com",
    )
    contacts = {c["email"]: c["role"] for c in api.get(f"/v1/interviews/{interview['id']}").json()["contacts"]}
    # Col, the organizer, matched by address as the sender; Ivy is new; Ana and Ben were known.
    assert contacts == {
        "ana@acme.example": "recruiter",
        "Ben@Acme.example": "hiring_manager",
        "col@acme.example": "coordinator",
        "ivy@acme.example": "interviewer",
    }
    assert api.get(f"/v1/interviews/{interview['id']}").json()["interview_at"] == "2026-03-17T18:00:00Z"


def test_a_reschedule_with_a_higher_sequence_moves_the_round_and_a_lower_one_changes_nothing(api: Api) -> None:
    interview = acme(api)
    applied(api, invite(sequence=1))
    moved = applied(api, invite(sequence=2, start="20260318T100000", end="20260318T104500", message_id="<i-2@g>"))
    assert (moved["outcome"], moved["matched_by"]) == ("applied", "invite_uid")
    stale = applied(api, invite(sequence=0, start="20260319T100000", end="20260319T110000", message_id="<i-0@g>"))
    assert (stale["outcome"], stale["event_ids"]) == ("ignored", [])
    rounds = [e for e in events_of(api, interview["id"]) if e["type"] == "round_scheduled"]
    assert [(e["interview_at"], e["duration_minutes"]) for e in rounds] == [
        ("2026-03-17T18:00:00Z", 60),
        ("2026-03-18T14:00:00Z", 45),
    ]
    assert api.get(f"/v1/interviews/{interview['id']}").json()["interview_at"] == "2026-03-18T14:00:00Z"


def test_a_cancel_records_round_cancelled(api: Api) -> None:
    interview = acme(api)
    applied(api, invite(sequence=0))
    cancelled = applied(api, invite(sequence=1, method="CANCEL", message_id="<cancel@g>"))
    assert cancelled["outcome"] == "applied"
    last = events_of(api, interview["id"])[-1]
    assert (last["type"], last["invite_uid"]) == ("round_cancelled", "round2@google.com")
    # The round that stands again is the first one.
    assert api.get(f"/v1/interviews/{interview['id']}").json()["interview_at"] == "2026-03-02T15:00:00Z"


def test_an_invite_reply_is_ignored(api: Api) -> None:
    acme(api)
    outcome = applied(api, invite(method="REPLY", message_id="<accepted@g>"))
    assert (outcome["outcome"], outcome["event_ids"]) == ("ignored", [])


def sent(*, to: str = "ana@acme.example", date: str, message_id: str) -> bytes:
    return message(sender="Me <me@example.com>", to=to, date=date, subject="Thank you", message_id=message_id)


def test_outbound_mail_before_the_end_is_logistics_after_it_a_thank_you_then_a_status_check(api: Api) -> None:
    interview = acme(api)  # Mon 2026-03-02 10:00-11:00 New York
    before = applied(api, sent(date="Mon, 02 Mar 2026 09:00:00 -0500", message_id="<m-0@example.com>"))
    assert (before["direction"], before["outcome"], before["event_ids"]) == ("outbound", "ignored", [])
    assert before["interview_id"] == interview["id"]
    thanks = applied(api, sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<m-1@example.com>"))
    assert thanks["event_types"] == ["thank_you_sent"]
    nudge = applied(api, sent(date="Mon, 09 Mar 2026 09:05:00 -0400", message_id="<m-2@example.com>"))
    assert nudge["event_types"] == ["status_check_sent"]
    types = [(e["type"], e["contact_id"]) for e in events_of(api, interview["id"])]
    ana = interview["contacts"][0]["id"]
    assert types == [("thank_you_sent", ana), ("status_check_sent", ana)]


def test_a_first_message_after_the_thank_you_window_is_a_status_check(api: Api) -> None:
    interview = acme(api)
    # 3 x 24 h after the end (Mon 11:00) is Thu 11:00; Thu 11:01 is past it.
    late = applied(api, sent(date="Thu, 05 Mar 2026 11:01:00 -0500", message_id="<late@example.com>"))
    assert late["event_types"] == ["status_check_sent"]
    in_time = applied(api, sent(to="Ben@acme.example", date="Thu, 05 Mar 2026 10:59:00 -0500", message_id="<t@e>"))
    assert in_time["event_types"] == ["thank_you_sent"]
    assert in_time["contact_id"] == interview["contacts"][1]["id"]


def test_mail_to_the_hiring_manager_after_a_thank_you_is_an_escalation(api: Api) -> None:
    interview = acme(api)
    applied(api, sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<m-1@example.com>"))
    escalation = applied(api, sent(to="ben@acme.example", date="Mon, 16 Mar 2026 09:00:00 -0400", message_id="<e@e>"))
    assert escalation["event_types"] == ["status_check_sent"]
    assert escalation["contact_id"] == interview["contacts"][1]["id"]


# --- matching --------------------------------------------------------------------------


def test_a_reply_in_the_thread_matches_before_the_address(api: Api) -> None:
    first = acme(api)
    second = acme(api, company="Globex", interview_at="2026-03-05T10:00:00-05:00")
    applied(api, sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<thanks-first@example.com>"))
    # Ana is on both; by address the later round (Globex) would win, by thread the first.
    reply = applied(
        api, message(headers="In-Reply-To: <thanks-first@example.com>", date="Fri, 06 Mar 2026 09:00 -0500")
    )
    assert (reply["matched_by"], reply["interview_id"]) == ("thread", first["id"])
    by_address = applied(api, message(message_id="<other@acme>", date="Fri, 06 Mar 2026 10:00:00 -0500"))
    assert (by_address["matched_by"], by_address["interview_id"]) == ("address", second["id"])


def test_a_bounce_matches_by_the_returned_message(api: Api) -> None:
    first = acme(api)
    acme(api, company="Globex", interview_at="2026-03-05T10:00:00-05:00")
    applied(api, sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<nudge-1@example.com>"))
    outcome = applied(api, dsn("ana@acme.example"))
    assert (outcome["matched_by"], outcome["interview_id"]) == ("thread", first["id"])


def test_an_address_on_several_interviews_goes_to_the_latest_round_at_or_before_the_message(api: Api) -> None:
    early = acme(api, interview_at="2026-02-02T10:00:00-05:00")
    late = acme(api, company="Globex", interview_at="2026-04-02T10:00:00-04:00")
    outcome = applied(api, message(date="Tue, 03 Mar 2026 09:12:00 -0500"))
    assert (outcome["matched_by"], outcome["interview_id"]) == ("address", early["id"])
    outcome = applied(api, message(message_id="<later@acme>", date="Fri, 03 Apr 2026 09:12:00 -0400"))
    assert outcome["interview_id"] == late["id"]


def test_a_colleague_at_the_same_domain_becomes_a_contact(api: Api) -> None:
    interview = acme(api)
    outcome = applied(api, message(sender="Dee Park <dee@acme.example>", message_id="<dee@acme>"))
    assert (outcome["matched_by"], outcome["interview_id"]) == ("domain", interview["id"])
    contacts = api.get(f"/v1/interviews/{interview['id']}").json()["contacts"]
    dee = next(c for c in contacts if c["email"] == "dee@acme.example")
    assert (dee["name"], dee["role"], outcome["contact_id"]) == ("Dee Park", "other", dee["id"])
    [event] = events_of(api, interview["id"])
    assert (event["type"], event["contact_id"]) == ("reply_received", dee["id"])


def test_no_domain_match_for_free_mail_or_a_domain_on_two_interviews(api: Api) -> None:
    api.interview(contacts=[{"name": "Gil", "email": "gil@gmail.com", "role": "recruiter"}])
    free = applied(api, message(sender="Someone <someone@gmail.com>", message_id="<free@gmail.com>"))
    assert (free["outcome"], free["interview_id"], free["matched_by"]) == ("unmatched", None, None)
    acme(api)
    acme(api, company="Acme again")
    two = applied(api, message(sender="Dee Park <dee@acme.example>", message_id="<dee@acme>"))
    assert two["outcome"] == "unmatched"


def test_newsletters_stay_ignored_or_unmatched(api: Api) -> None:
    acme(api)
    news = applied(api, message(sender="News <news@acme.example>", headers="List-Id: <news.acme.example>"))
    assert (news["outcome"], news["event_ids"]) == ("ignored", [])
    other = applied(api, message(sender="Jobs <jobs@board.example>", message_id="<jobs@board>"))
    assert other["outcome"] == "unmatched"


# --- once, dry runs, assigning ---------------------------------------------------------


def test_the_same_message_again_is_a_duplicate_with_the_first_outcome(api: Api) -> None:
    interview = acme(api)
    first = applied(api, message())
    again = post(api, message())
    assert again.status_code == 200
    duplicate = again.json()
    assert duplicate["outcome"] == "duplicate"
    assert (duplicate["interview_id"], duplicate["contact_id"], duplicate["event_ids"]) == (
        interview["id"],
        first["contact_id"],
        first["event_ids"],
    )
    assert duplicate["duplicate_of"] == first["id"] and duplicate["id"] != first["id"]
    assert len(events_of(api, interview["id"])) == 1
    listed = api.get(MESSAGES, params={"outcome": "duplicate"}).json()["data"]
    assert [m["id"] for m in listed] == [duplicate["id"]]


def test_a_message_without_message_id_is_recognised_again(api: Api) -> None:
    interview = acme(api)
    first = applied(api, message(message_id=None))
    assert first["message_id"] and first["outcome"] == "applied"
    assert post(api, message(message_id=None)).json()["outcome"] == "duplicate"
    assert len(events_of(api, interview["id"])) == 1


def test_a_dry_run_stores_nothing(api: Api, engine: Engine) -> None:
    interview = acme(api)
    response = post(api, message(), dry_run="true")
    assert response.status_code == 200
    outcome = response.json()
    assert (outcome["id"], outcome["outcome"], outcome["event_types"], outcome["event_ids"]) == (
        None,
        "applied",
        ["reply_received"],
        [],
    )
    assert events_of(api, interview["id"]) == []
    assert api.get(MESSAGES).json()["data"] == []
    assert applied(api, message())["outcome"] == "applied"  # not a duplicate of the dry run


def test_an_unmatched_message_is_assigned_and_its_sender_becomes_a_contact(api: Api) -> None:
    interview = acme(api)
    unmatched = applied(api, message(sender="Kai <kai@recruiters.example>", message_id="<kai@r>"))
    assert unmatched["outcome"] == "unmatched"
    assigned = api.post(f"{MESSAGES}/{unmatched['id']}/assign", {"interview_id": interview["id"]})
    assert assigned.status_code == 200, assigned.text
    outcome = assigned.json()
    assert (outcome["outcome"], outcome["interview_id"], outcome["event_types"]) == (
        "applied",
        interview["id"],
        ["reply_received"],
    )
    contacts = api.get(f"/v1/interviews/{interview['id']}").json()["contacts"]
    kai = next(c for c in contacts if c["email"] == "kai@recruiters.example")
    assert (kai["role"], outcome["contact_id"]) == ("other", kai["id"])
    again = api.post(f"{MESSAGES}/{unmatched['id']}/assign", {"interview_id": interview["id"]})
    assert_problem(again, 409)


def test_a_reply_changes_the_next_action(api: Api) -> None:
    interview = acme(api)
    applied(api, sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<m-1@example.com>"))
    at = {"at": "2026-03-04T12:00:00Z"}
    before = api.get(f"/v1/interviews/{interview['id']}/next-action", params=at).json()
    # R2: a week after the interview (Mon 2 March) ...
    assert (before["action"], before["earliest_allowed_date"]) == ("send_status_check", "2026-03-09")
    applied(
        api,
        message(
            subject="Re: Thank you",
            date="Tue, 03 Mar 2026 12:00:00 -0500",
            headers="In-Reply-To: <m-1@example.com>",
            message_id="<r-1@acme>",
        ),
    )
    after = api.get(f"/v1/interviews/{interview['id']}/next-action", params=at).json()
    # ... and, once Ana answered on Tue 3 March, a week after her reply.
    assert (after["action"], after["earliest_allowed_date"]) == ("send_status_check", "2026-03-10")
    assert "last reply" in after["reason"]


# --- reading, settings, privacy, refusals ----------------------------------------------


def test_listing_is_newest_first_by_outcome_and_per_user(api: Api, other: Api) -> None:
    acme(api)
    first = applied(api, message())
    second = applied(api, message(sender="x <x@nowhere.example>", message_id="<x@n>"))
    listed = api.get(MESSAGES).json()["data"]
    assert [m["id"] for m in listed] == [second["id"], first["id"]]
    assert [m["id"] for m in api.get(MESSAGES, params={"outcome": "unmatched"}).json()["data"]] == [second["id"]]
    assert api.get(f"{MESSAGES}/{first['id']}").json() == first
    assert other.get(MESSAGES).json()["data"] == []
    assert_problem(other.get(f"{MESSAGES}/{first['id']}"), 404)
    assert_problem(other.post(f"{MESSAGES}/{second['id']}/assign", {"interview_id": "x"}), 404)
    # The other user's copy of the same message is theirs, not a duplicate of ours.
    assert post(other, message()).json()["outcome"] == "unmatched"


def test_settings_make_an_address_outbound(api: Api) -> None:
    acme(api)
    settings = api.get("/v1/mail/settings").json()
    assert (settings["account_email"], settings["addresses"]) == ("me@example.com", [])
    assert re.fullmatch(r"u-[0-9a-f]{24}@in\.followup\.example", settings["forwarding_address"])
    from_work = sent(date="Mon, 02 Mar 2026 15:00:00 -0500", message_id="<w@work>").replace(
        b"From: Me <me@example.com>", b"From: Me <Me@Work.example>"
    )
    assert post(api, from_work, dry_run="true").json()["direction"] == "inbound"
    changed = api.patch("/v1/mail/settings", {"addresses": ["Me@Work.example"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["addresses"] == ["me@work.example"]
    assert applied(api, from_work)["event_types"] == ["thank_you_sent"]
    assert_problem(api.patch("/v1/mail/settings", {"addresses": ["not an address"]}), 422, ("body", "addresses", 0))


def test_no_part_of_a_body_is_stored(api: Api, engine: Engine) -> None:
    acme(api)
    marker = "zebra-quartz-7781"
    applied(api, message(body=f"Here is the secret: {marker}\n" * 20))
    applied(api, message(sender="nobody <n@n.example>", message_id="<n@n>", body=f"{marker}\n"))
    with engine.connect() as connection:
        tables = [name for (name,) in connection.execute(text(_TABLES[engine.dialect.name]))]
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert marker not in repr(tuple(row)), table


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def test_unmatched_messages_are_forgotten_after_the_retention(api: Api, engine: Engine) -> None:
    from sqlmodel import Session

    from app.core.database import WRITE_OPTION
    from app.mail import service

    interview = acme(api)
    kept = applied(api, message())
    gone = applied(api, message(sender="x <x@nowhere.example>", message_id="<x@n>"))
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        assert service.forget_unmatched(session, now=utcnow() + timedelta(days=29), days=30) == 0
        assert service.forget_unmatched(session, now=utcnow() + timedelta(days=31), days=30) == 1
        session.commit()
    assert_problem(api.get(f"{MESSAGES}/{gone['id']}"), 404)
    assert api.get(f"{MESSAGES}/{kept['id']}").status_code == 200
    assert len(events_of(api, interview["id"])) == 1


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\x01\x02 not a message", b"just some words without any header\r\n"],
    ids=["empty", "binary", "no-headers"],
)
def test_bytes_that_are_not_a_message_are_a_422_and_store_nothing(api: Api, raw: bytes) -> None:
    assert_problem(post(api, raw), 422)
    assert api.get(MESSAGES).json()["data"] == []


def test_a_message_must_be_sent_as_message_rfc822(api: Api) -> None:
    response = api.client.post(MESSAGES, content=message(), headers=api.headers | {"Content-Type": "text/plain"})
    assert_problem(response, 415)
    assert_problem(api.post(MESSAGES, {"raw": "x"}), 415)


def test_a_message_over_the_limit_is_a_413(api: Api) -> None:
    from app.core.config import get_settings

    limit = get_settings().mail_max_bytes
    big = message(body="x" * (limit + 1))
    assert_problem(post(api, big), 413)
    assert api.get(MESSAGES).json()["data"] == []
    # Other routes keep their own, smaller limit.
    assert_problem(api.post("/v1/interviews", {"company": "x" * (2 * 1024 * 1024)}), 413)


def test_an_interview_is_created_from_an_unmatched_invite(api: Api) -> None:
    unmatched = applied(api, invite(uid="first@outlook.com", start="20260402T093000", end="20260402T101500"))
    assert unmatched["outcome"] == "unmatched"
    created = api.post("/v1/interviews", {"from_message_id": unmatched["id"], "role_title": "Data Engineer"})
    assert created.status_code == 201, created.text
    interview = created.json()
    assert (interview["company"], interview["role_title"], interview["role_family"]) == (
        "acme.example",
        "Data Engineer",
        "other",
    )
    assert (interview["interview_at"], interview["duration_minutes"], interview["timezone"]) == (
        "2026-04-02T13:30:00Z",
        45,
        "America/New_York",
    )
    people = sorted((c["email"], c["role"], c["name"]) for c in interview["contacts"])
    assert people == [
        ("ana@acme.example", "interviewer", "Ana Silva"),
        ("col@acme.example", "coordinator", "Col Reyes"),
        ("ivy@acme.example", "interviewer", "Ivy Chen"),
    ]
    record = api.get(f"{MESSAGES}/{unmatched['id']}").json()
    assert (record["outcome"], record["interview_id"]) == ("applied", interview["id"])
    # Its cancellation then matches by uid, and the interview waits for a new date (R6).
    cancel = applied(api, invite(uid="first@outlook.com", method="CANCEL", sequence=1, message_id="<c@outlook>"))
    assert (cancel["matched_by"], cancel["interview_id"], cancel["event_types"]) == (
        "invite_uid",
        interview["id"],
        ["round_cancelled"],
    )
    action = api.get(f"/v1/interviews/{interview['id']}/next-action").json()
    assert (action["action"], action["rule"]) == ("none", "R6")
    again = api.post("/v1/interviews", {"from_message_id": unmatched["id"]})
    assert_problem(again, 422, ("body", "from_message_id"))


def test_creating_without_an_invite_names_each_missing_field(api: Api) -> None:
    response = api.post("/v1/interviews", {"role_title": "x"})
    assert_problem(response, 422, ("body", "company"))
    reply = applied(api, message(sender="kai <kai@elsewhere.example>", message_id="<k@e>"))
    not_invite = api.post("/v1/interviews", {"from_message_id": reply["id"]})
    assert_problem(not_invite, 422, ("body", "from_message_id"))
    unknown = api.post("/v1/interviews", {"from_message_id": "00000000-0000-4000-8000-000000000000"})
    assert_problem(unknown, 422, ("body", "from_message_id"))
    assert api.get("/v1/interviews").json()["data"] == []
