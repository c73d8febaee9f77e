"""Reading INBOX and Sent from a real Dovecot: the first read of `since_days`, the next
reads from the position, a new UIDVALIDITY, headers first without setting \\Seen, and a
position that never moves past a message that was not applied."""

from __future__ import annotations

import email
import imaplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from app.mail import imap
from app.mail.imap import Folder, FolderRole, Position, Security, ServerUnavailable, SyncReport
from mail.dovecot import SENT_SPECIAL_USE, Dovecot, MailUser, message

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
RECENT = AT - timedelta(days=5)
OLD = AT - timedelta(days=40)


class Refused(Exception):
    """What a sink raises when it cannot apply a message (the database was away, say)."""


@dataclass
class Recorder:
    """A sink that keeps positions the way the worker does: each applied message with the
    position it reaches, and the positions of what needed nothing."""

    matters: Callable[[bytes], bool] = lambda headers: True
    refuse: Callable[[bytes], bool] = lambda raw: False
    on_apply: Callable[[bytes], None] = lambda raw: None
    positions: dict[FolderRole, tuple[str, Position]] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    headers_seen: list[bytes] = field(default_factory=list)

    def may_matter(self, headers: bytes) -> bool:
        self.headers_seen.append(headers)
        return self.matters(headers)

    def apply(self, folder: Folder, position: Position, raw: bytes) -> None:
        if self.refuse(raw):
            raise Refused(message_id(raw))
        self.on_apply(raw)
        self.applied.append(message_id(raw))
        self.positions[folder.role] = (folder.name, position)

    def advance(self, folder: Folder, position: Position) -> None:
        self.positions[folder.role] = (folder.name, position)

    def sync(self, dovecot: Dovecot, user: MailUser, *, at: datetime = AT, **options: int) -> SyncReport:
        return imap.sync(dovecot.account(user), positions=dict(self.positions), sink=self, at=at, **options)


def message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"])


def put(dovecot: Dovecot, user: MailUser, folder: str, name: str, *, arrived: datetime = RECENT, **fields: str) -> int:
    return dovecot.append(user, folder, message(message_id=f"<{name}@test>", **fields), arrived=arrived)


@pytest.fixture
def user(dovecot: Dovecot, mail_user: MailUser) -> MailUser:
    dovecot.create(mail_user, SENT_SPECIAL_USE)
    return mail_user


def test_the_first_sync_reads_since_days_back_in_inbox_and_sent(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "old-reply", arrived=OLD)
    put(dovecot, user, "INBOX", "reply", arrived=RECENT)
    put(dovecot, user, SENT_SPECIAL_USE, "old-thanks", arrived=OLD)
    last_sent = put(dovecot, user, SENT_SPECIAL_USE, "thanks", arrived=RECENT)
    last_inbox = put(dovecot, user, "INBOX", "older-but-last", arrived=AT - timedelta(days=31))
    sink = Recorder()
    report = sink.sync(dovecot, user)
    assert sorted(sink.applied) == ["<reply@test>", "<thanks@test>"]
    assert all(folder.reread for folder in report.folders)
    # Every message older than the period is behind the position, even the last one.
    assert sink.positions == {
        FolderRole.INBOX: ("INBOX", Position(dovecot.uidvalidity(user, "INBOX"), last_inbox)),
        FolderRole.SENT: (SENT_SPECIAL_USE, Position(dovecot.uidvalidity(user, SENT_SPECIAL_USE), last_sent)),
    }


def test_since_days_is_the_callers(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "old-reply", arrived=OLD)
    sink = Recorder()
    sink.sync(dovecot, user, since_days=60)
    assert sink.applied == ["<old-reply@test>"]


def test_an_empty_mailbox_gets_a_position_so_that_what_comes_later_is_new(dovecot: Dovecot, user: MailUser) -> None:
    sink = Recorder()
    sink.sync(dovecot, user)
    assert sink.positions[FolderRole.INBOX][1].last_uid == 0
    put(dovecot, user, "INBOX", "later", arrived=OLD)  # whatever its date, it came after
    sink.sync(dovecot, user)
    assert sink.applied == ["<later@test>"]


def test_incremental_syncs_read_only_what_came_since(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "first")
    sink = Recorder()
    sink.sync(dovecot, user)
    put(dovecot, user, "INBOX", "second")
    put(dovecot, user, SENT_SPECIAL_USE, "sent-second")
    report = sink.sync(dovecot, user)
    assert sink.applied == ["<first@test>", "<second@test>", "<sent-second@test>"]
    assert not any(folder.reread for folder in report.folders)
    assert [folder.headers_read for folder in report.folders] == [1, 1]
    again = sink.sync(dovecot, user)
    assert sink.applied == ["<first@test>", "<second@test>", "<sent-second@test>"]
    assert [folder.headers_read for folder in again.folders] == [0, 0]


def test_a_new_uidvalidity_rereads_since_days(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, SENT_SPECIAL_USE, "thanks")
    sink = Recorder()
    sink.sync(dovecot, user)
    before = sink.positions[FolderRole.SENT][1]
    # The folder is made again: its UIDs now name other messages.
    dovecot.delete(user, SENT_SPECIAL_USE)
    dovecot.create(user, SENT_SPECIAL_USE)
    put(dovecot, user, SENT_SPECIAL_USE, "old-thanks", arrived=OLD)
    put(dovecot, user, SENT_SPECIAL_USE, "thanks")
    put(dovecot, user, SENT_SPECIAL_USE, "status-check")
    after_uidvalidity = dovecot.uidvalidity(user, SENT_SPECIAL_USE)
    assert after_uidvalidity != before.uidvalidity
    report = sink.sync(dovecot, user)
    # Read again: what was applied before comes again (the caller's message ids make it a
    # duplicate); what is older than the period does not.
    assert sink.applied == ["<thanks@test>", "<thanks@test>", "<status-check@test>"]
    assert [folder.reread for folder in report.folders] == [False, True]
    assert sink.positions[FolderRole.SENT][1] == Position(after_uidvalidity, 3)


def test_a_sent_folder_under_another_name_is_read_as_new(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.create(mail_user, "Sent")
    put(dovecot, mail_user, "Sent", "thanks")
    sink = Recorder()
    sink.sync(dovecot, mail_user)
    dovecot.create(mail_user, SENT_SPECIAL_USE)
    put(dovecot, mail_user, SENT_SPECIAL_USE, "status-check")
    report = sink.sync(dovecot, mail_user)
    assert sink.applied == ["<thanks@test>", "<status-check@test>"]
    assert report.folders[1].folder.name == SENT_SPECIAL_USE and report.folders[1].reread


def test_headers_first_and_nothing_is_marked_seen(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "newsletter", subject="Weekly digest", body="A long newsletter body.")
    put(dovecot, user, "INBOX", "reply", subject="Re: Thank you", body="Happy to chat again.")
    put(dovecot, user, SENT_SPECIAL_USE, "thanks", subject="Thank you", body="Thanks for today.")
    sink = Recorder(matters=lambda headers: b"Subject: Weekly digest" not in headers)
    report = sink.sync(dovecot, user)
    assert sink.applied == ["<reply@test>", "<thanks@test>"]
    assert [(folder.headers_read, folder.applied) for folder in report.folders] == [(2, 1), (1, 1)]
    # The predicate saw headers only, never a body.
    assert len(sink.headers_seen) == 3
    assert not any(b"newsletter body" in headers or b"chat again" in headers for headers in sink.headers_seen)
    assert all(headers.endswith(b"\r\n\r\n") for headers in sink.headers_seen)
    # Fetched whole or not, no message is marked read.
    for folder in ("INBOX", SENT_SPECIAL_USE):
        flags = dovecot.flags(user, folder)
        assert flags and all("\\Seen" not in found for found in flags.values()), flags
    # What needed nothing is behind the position all the same.
    assert sink.positions[FolderRole.INBOX][1].last_uid == 2


def test_a_message_already_read_stays_read(dovecot: Dovecot, user: MailUser) -> None:
    dovecot.append(user, "INBOX", message(message_id="<read@test>"), arrived=RECENT, flags="\\Seen")
    Recorder().sync(dovecot, user)
    assert dovecot.flags(user, "INBOX") == {1: {"\\Seen"}}


def test_a_failed_callback_keeps_the_position_before_its_message(dovecot: Dovecot, user: MailUser) -> None:
    for name in ("first", "skipped", "refused", "after"):
        put(dovecot, user, "INBOX", name, subject=name)
    refusing = True
    sink = Recorder(
        matters=lambda headers: b"Subject: skipped" not in headers,
        refuse=lambda raw: refusing and message_id(raw) == "<refused@test>",
    )
    with pytest.raises(Refused):
        sink.sync(dovecot, user)
    assert sink.applied == ["<first@test>"]
    # Past the message that needed nothing, not past the one that was not applied.
    assert sink.positions[FolderRole.INBOX][1].last_uid == 2
    refusing = False
    sink.sync(dovecot, user)
    assert sink.applied == ["<first@test>", "<refused@test>", "<after@test>"]
    assert sink.positions[FolderRole.INBOX][1].last_uid == 4


def test_a_failure_on_the_first_message_of_a_first_sync_rereads_the_period(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "old", arrived=OLD)
    put(dovecot, user, "INBOX", "recent")
    refusing = True
    sink = Recorder(refuse=lambda raw: refusing)
    with pytest.raises(Refused):
        sink.sync(dovecot, user)
    refusing = False
    sink.sync(dovecot, user)
    assert sink.applied == ["<recent@test>"]


def test_large_messages_are_never_fetched_whole(dovecot: Dovecot, user: MailUser) -> None:
    put(dovecot, user, "INBOX", "huge", body="x" * 5000)
    put(dovecot, user, "INBOX", "small")
    sink = Recorder()
    report = sink.sync(dovecot, user, max_bytes=2000)
    assert sink.applied == ["<small@test>"]
    assert report.folders[0].too_large == 1


def test_many_messages_in_batches(dovecot: Dovecot, user: MailUser) -> None:
    count = imap.BATCH_SIZE + 7
    for number in range(count):
        put(dovecot, user, "INBOX", f"m{number}")
    sink = Recorder(matters=lambda headers: b"<m1" in headers)  # m1, m10..m19, m100...
    sink.sync(dovecot, user)
    assert sink.applied == [f"<m{number}@test>" for number in range(count) if str(number).startswith("1")]
    assert sink.positions[FolderRole.INBOX][1].last_uid == count


def test_the_server_stopped_mid_sync_is_retryable_and_loses_nothing(dovecot: Dovecot, user: MailUser) -> None:
    names = ["one", "two", "three"]
    for name in names:
        put(dovecot, user, "INBOX", name)
    put(dovecot, user, SENT_SPECIAL_USE, "sent")
    stopped = False

    def stop_after_the_first(raw: bytes) -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            dovecot.stop()

    sink = Recorder(on_apply=stop_after_the_first)
    with pytest.raises(ServerUnavailable) as lost:
        sink.sync(dovecot, user)
    assert lost.value.retryable
    assert sink.applied == ["<one@test>"]
    assert sink.positions[FolderRole.INBOX][1].last_uid == 1
    with pytest.raises(ServerUnavailable):  # still down
        sink.sync(dovecot, user)
    dovecot.start()
    sink.sync(dovecot, user)
    assert sink.applied == ["<one@test>", "<two@test>", "<three@test>", "<sent@test>"]


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The IMAP commands this process sends, by name, as imaplib sends every one of them
    (IMAP4._command), passed on unchanged."""
    sent: list[str] = []
    send = imaplib.IMAP4._command

    def counted(self: imaplib.IMAP4, name: str, *args: object) -> object:
        sent.append(f"{name} {args[0]}" if name == "UID" and args else name)
        return send(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_command", counted)
    return sent


@pytest.mark.parametrize("security", list(Security))
def test_a_sync_that_finds_nothing_new_asks_no_search(
    dovecot: Dovecot, user: MailUser, commands: list[str], security: Security
) -> None:
    """The login's answer carries the capabilities (no CAPABILITY after it), and a folder
    whose UIDNEXT is where its position ends needs no SEARCH: one EXAMINE per folder."""
    sink = Recorder()
    put(dovecot, user, "INBOX", "first")
    account = dovecot.account(user, security=security)
    imap.sync(account, positions=sink.positions, sink=sink, at=AT)
    opening = ["CAPABILITY"] if security == Security.TLS else ["CAPABILITY", "STARTTLS", "CAPABILITY"]

    commands.clear()
    imap.sync(account, positions=sink.positions, sink=sink, at=AT)
    assert commands == [*opening, "AUTHENTICATE", "LIST", "EXAMINE", "EXAMINE", "LOGOUT"]

    # Something new in one folder: that folder is searched and read, the other is not.
    put(dovecot, user, SENT_SPECIAL_USE, "sent")
    commands.clear()
    imap.sync(account, positions=sink.positions, sink=sink, at=AT)
    assert commands == [
        *opening,
        *["AUTHENTICATE", "LIST", "EXAMINE", "EXAMINE", "UID SEARCH", "UID FETCH", "UID FETCH", "LOGOUT"],
    ]
    assert sink.applied == ["<first@test>", "<sent@test>"]
