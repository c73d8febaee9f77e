"""Benchmark of the mailbox sync: the worker's own path (app.worker.Worker.sync_mailboxes:
the claim, app.mail.imap over TLS, mail intake, the folder's position) from a real Dovecot,
the tests' (tests/mail/dovecot.py: a throwaway configuration on free ports), into a SQLite
database migrated for the run.

Run from the repository root:

    python -m bench.imap_bench [--messages 500] [--rounds 3] [--json]

Each round connects a new mailbox through the API (POST /v1/mailboxes logs in), APPENDs
`--messages` messages to it (INBOX and the Sent folder: replies and auto-replies from an
interview's contacts, threads, newsletters and notifications that match nothing, the user's
own sent mail) and times the first sync: messages per second through it, and how many were
fetched whole and recorded. Then it counts the IMAP commands of a sync that finds nothing
new, by name, from imaplib's `_command` (every command a client sends goes through it).

The exit status is non-zero only when the benchmark could not run (no Dovecot: `apt-get
install dovecot-imapd`); a slow result is reported, not failed (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The tests' Dovecot: started the same way as for them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from mail.dovecot import DOVECOT, HOST, SECRET_KEY, SENT_SPECIAL_USE, Dovecot, MailUser
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.config import Settings
from app.mail.imap import BATCH_SIZE
from app.mailboxes import sync as mailbox_sync
from app.main import create_app
from app.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
OWN = "me@example.com"
CONTACTS = (("Ana Silva", "ana@acme.example"), ("Ben Okafor", "ben@acme.example"))
INTERVIEW = {
    "company": "Acme",
    "role_title": "Backend Engineer",
    "role_family": "engineering",
    "timezone": "America/New_York",
    "contacts": [
        {"name": CONTACTS[0][0], "email": CONTACTS[0][1], "role": "recruiter", "is_primary": True},
        {"name": CONTACTS[1][0], "email": CONTACTS[1][1], "role": "hiring_manager"},
    ],
}
# What a job seeker's mailbox holds besides the interview: (sender, subject, body size).
NOISE = (
    ("LinkedIn Job Alerts <jobalerts-noreply@linkedin.com>", "30 new jobs for backend engineer", 24_000),
    ("GitHub <notifications@github.com>", "Re: [acme/api] Fix pagination (PR #1234)", 6_000),
    ("The Pragmatic Engineer <pragmaticengineer@substack.com>", "The state of hiring", 40_000),
    ("Amazon.com <shipment-tracking@amazon.com>", "Your package was delivered", 12_000),
    ("Friend <sam@gmail.com>", "Dinner on Friday?", 1_500),
    ("Bank <alerts@bank.example>", "Your statement is ready", 8_000),
)
QUOTE = (
    "> Thanks again for taking the time to speak with us about the Backend Engineer role.\r\n"
    "> We enjoyed hearing about your work on the payments platform and the migration.\r\n"
)


def _headers(sender: str, to: str, subject: str, message_id: str, when: datetime, extra: list[str]) -> list[str]:
    """Headers as a provider delivers them: trace, authentication and list headers included
    (a real header is 1-3 KB: that is what the header fetch reads)."""
    domain = sender.rsplit("@", 1)[1].rstrip(">")
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return [
        f"Received: from mail-{len(subject)}.{domain} (mail.{domain} [203.0.113.{len(sender) % 250}])\r\n"
        f"\tby mx.example.com with ESMTPS id {message_id[1:13]} for <{OWN}>; {stamp}",
        f"Received: by mail.{domain} with SMTP id {message_id[1:9]}; {stamp}",
        f"ARC-Seal: i=1; a=rsa-sha256; t={int(when.timestamp())}; cv=none; d=example.com; s=arc-2026;\r\n"
        "\tb=" + "Qm9ndXMgc2lnbmF0dXJlIGZvciB0aGUgYmVuY2htYXJr" * 4,
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\r\n"
        "\th=from:to:subject:date:message-id:mime-version;\r\n"
        "\tbh=" + "Ym9keSBoYXNo" * 4 + ";\r\n\tb=" + "c2lnbmF0dXJl" * 20,
        f"Authentication-Results: mx.example.com; dkim=pass header.d={domain}; spf=pass; dmarc=pass",
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {stamp}",
        f"Message-ID: {message_id}",
        *extra,
        "MIME-Version: 1.0",
    ]


def _plain(headers: list[str], body: str) -> bytes:
    lines = [*headers, "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def _newsletter(headers: list[str], size: int) -> bytes:
    text_part = ("Read more about this week's news at https://example.com/articles. " * (size // 140))[: size // 2]
    html_part = f"<html><body><p>{text_part}</p></body></html>"
    lines = [
        *headers,
        'Content-Type: multipart/alternative; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text_part,
        "--b1",
        "Content-Type: text/html; charset=utf-8",
        "",
        html_part,
        "--b1--",
        "",
    ]
    return "\r\n".join(lines).encode()


def messages(count: int, *, tag: str, now: datetime) -> tuple[list[bytes], list[bytes]]:
    """`count` messages, the INBOX's then the Sent folder's: about a third from the interview's
    contacts (replies, some in a thread, some auto-replies), a tenth the user's own sent mail
    (to the contacts, and to others), the rest mail that matches nothing."""
    inbox: list[bytes] = []
    sent: list[bytes] = []
    for number in range(count):
        when = now - timedelta(days=7) + timedelta(minutes=10 * number)
        message_id = f"<{tag}.{number}.{os.getpid()}@mail.example>"
        kind = number % 10
        name, address = CONTACTS[number % 2]
        if kind in (0, 3, 6):  # a contact's reply, every other one in the thread of an earlier one
            extra = [f"In-Reply-To: <{tag}.{number - 3}.{os.getpid()}@mail.example>"] if number >= 3 else []
            body = f"Hi,\r\n\r\nThanks, we will get back to you by Friday.\r\n\r\n{name}\r\n\r\n" + QUOTE * 20
            inbox.append(_plain(_headers(f"{name} <{address}>", OWN, "Re: Next steps", message_id, when, extra), body))
        elif kind == 9 and number % 20 == 9:  # a contact's out-of-office reply
            extra = ["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"]
            body = "I am out of the office until next Monday with limited access to email."
            headers = _headers(f"{name} <{address}>", OWN, "Automatic reply: Thank you", message_id, when, extra)
            inbox.append(_plain(headers, body))
        elif kind == 9:  # the user's own mail, half of it to a contact
            to = address if number % 20 == 19 else "sam@gmail.com"
            body = "Thank you for the conversation today. I am very excited about the role.\r\n" * 5
            sent.append(_plain(_headers(f"Me <{OWN}>", to, "Thank you", message_id, when, []), body))
        else:
            sender, subject, size = NOISE[number % len(NOISE)]
            extra = ["List-Unsubscribe: <https://example.com/unsubscribe>", "Precedence: bulk"]
            inbox.append(_newsletter(_headers(sender, OWN, subject, message_id, when, extra), size))
    return inbox, sent


@contextmanager
def counted_commands() -> Iterator[Counter[str]]:
    """Every IMAP command the process sends meanwhile, by name (`UID FETCH`, `EXAMINE`):
    imaplib sends each one through IMAP4._command."""
    counter: Counter[str] = Counter()
    original = getattr(imaplib.IMAP4, "_command")  # noqa: B009 (private to imaplib, not to typeshed)

    def counting(self: imaplib.IMAP4, name: str, *args: Any) -> Any:
        counter[f"{name} {args[0]}" if name == "UID" and args else name] += 1
        return original(self, name, *args)

    setattr(imaplib.IMAP4, "_command", counting)  # noqa: B010
    try:
        yield counter
    finally:
        setattr(imaplib.IMAP4, "_command", original)  # noqa: B010


@contextmanager
def timed_sink() -> Iterator[dict[str, float]]:
    """Seconds spent meanwhile in the sink's two steps that reach the database: deciding from
    the headers (`may_matter`, a read) and taking a message in (`apply`, mail intake and the
    position, one transaction). The rest of a sync is IMAP and the claim."""
    spent = {"may_matter": 0.0, "apply": 0.0}
    originals = {name: getattr(mailbox_sync.DatabaseSink, name) for name in spent}

    def timed(name: str) -> Callable[..., Any]:
        original = originals[name]

        def step(self: mailbox_sync.DatabaseSink, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(self, *args)
            finally:
                spent[name] += time.perf_counter() - started

        return step

    for name in spent:
        setattr(mailbox_sync.DatabaseSink, name, timed(name))
    try:
        yield spent
    finally:
        for name, original in originals.items():
            setattr(mailbox_sync.DatabaseSink, name, original)


def migrated(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@dataclass
class FirstSync:
    messages: int
    seconds: float
    may_matter_seconds: float
    apply_seconds: float
    fetched_whole: int
    recorded: int
    events: int
    commands: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


@dataclass
class Report:
    messages: int
    rounds: list[FirstSync]
    idle_commands: dict[str, int]
    idle_ms: float

    def as_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "first_sync_messages_per_second": statistics.median(r.per_second for r in self.rounds),
            "rounds": [asdict(r) | {"per_second": r.per_second} for r in self.rounds],
            "idle_sync_commands": sum(self.idle_commands.values()),
            "idle_sync_commands_by_name": self.idle_commands,
            "idle_sync_ms": self.idle_ms,
        }


class Bench:
    def __init__(self, dovecot: Dovecot, engine: Engine, client: TestClient, settings: Settings) -> None:
        self.dovecot = dovecot
        self.engine = engine
        self.client = client
        self.settings = settings
        self.offset = timedelta(0)
        self.worker = Worker(engine, settings, clock=self.clock, jitter=lambda: 0.0)

    def clock(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def _count_recorded(self, user_id: str) -> int:
        with self.engine.connect() as connection:
            found = connection.execute(text("SELECT count(*) FROM mail_messages WHERE user_id = :u"), {"u": user_id})
            return int(found.scalar_one())

    def _count_events(self, user_id: str) -> int:
        query = (
            "SELECT count(*) FROM events JOIN interviews ON interviews.id = events.interview_id "
            "WHERE interviews.user_id = :u AND events.message_id IS NOT NULL"
        )
        with self.engine.connect() as connection:
            return int(connection.execute(text(query), {"u": user_id}).scalar_one())

    def round(self, number: int, count: int) -> FirstSync:
        mail_user = self.dovecot.add_user()
        self.dovecot.create(mail_user, SENT_SPECIAL_USE)
        with Session(self.engine) as session:
            user, key = auth_service.create_user(session, email=f"bench{number}@example.com")
            session.commit()
            user_id = user.id
        headers = {"Authorization": f"Bearer {key}"}
        interview_at = (datetime.now(UTC) - timedelta(days=8)).isoformat()
        created = self.client.post("/v1/interviews", json=INTERVIEW | {"interview_at": interview_at}, headers=headers)
        assert created.status_code == 201, created.text
        inbox, sent = messages(count, tag=f"r{number}", now=datetime.now(UTC))
        self.dovecot.append_many(mail_user, "INBOX", inbox)
        self.dovecot.append_many(mail_user, SENT_SPECIAL_USE, sent)
        self._connect(mail_user, headers)
        with counted_commands() as commands, timed_sink() as spent:
            started = time.perf_counter()
            assert self.worker.sync_mailboxes() == 1
            seconds = time.perf_counter() - started
        return FirstSync(
            messages=count,
            seconds=seconds,
            may_matter_seconds=spent["may_matter"],
            apply_seconds=spent["apply"],
            fetched_whole=commands["UID FETCH"] - _header_batches(len(inbox)) - _header_batches(len(sent)),
            recorded=self._count_recorded(user_id),
            events=self._count_events(user_id),
            commands=sum(commands.values()),
        )

    def _connect(self, mail_user: MailUser, headers: dict[str, str]) -> None:
        body = {
            "host": HOST,
            "port": self.dovecot.imaps_port,
            "username": mail_user.username,
            "password": mail_user.password,
        }
        response = self.client.post("/v1/mailboxes", json=body, headers=headers)
        assert response.status_code == 201, response.text

    def idle(self, repeats: int) -> tuple[dict[str, int], float]:
        """The commands of one sync that finds nothing new, and its median time."""
        counts: Counter[str] = Counter()
        times = []
        for _ in range(repeats):
            # Every mailbox is due again; none has anything new.
            self.offset += timedelta(seconds=self.settings.mail_sync_seconds + 1)
            with counted_commands() as commands:
                started = time.perf_counter()
                synced = self.worker.sync_mailboxes()
                times.append((time.perf_counter() - started) / synced)
            counts = Counter({name: n // synced for name, n in commands.items()})
        return dict(sorted(counts.items())), statistics.median(times) * 1000


def _header_batches(count: int) -> int:
    return -(-count // BATCH_SIZE)


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (DOVECOT if Path(DOVECOT).exists() else None)


def run(count: int, rounds: int, idle_repeats: int = 10, progress: Callable[[str], None] = print) -> Report:
    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("Dovecot is not installed: apt-get install dovecot-imapd")
    dovecot = Dovecot(binary)
    directory = Path(tempfile.mkdtemp(prefix="followup-imap-bench-"))
    trusted = os.environ.get("SSL_CERT_FILE")
    try:
        dovecot.start()
        # The mailboxes' server is trusted the way an operator trusts a private CA.
        os.environ["SSL_CERT_FILE"] = str(dovecot.ca_file)
        url = f"sqlite:///{directory / 'followup.db'}"
        migrated(url)
        settings = Settings(
            database_url=url,
            secret_key=SecretStr(SECRET_KEY),
            mail_allow_private=True,
            embedded_worker=False,
            gc_freeze=False,
            rate_limit_per_minute=0,
            allowed_hosts=["testserver"],
        )
        app = create_app(settings)
        with TestClient(app) as client:
            bench = Bench(dovecot, app.state.database.engine, client, settings)
            try:
                done = []
                for number in range(rounds):
                    first = bench.round(number, count)
                    progress(
                        f"round {number + 1}: {first.messages} messages in {first.seconds:.2f} s, "
                        f"{first.per_second:.0f}/s; {first.fetched_whole} fetched whole, {first.recorded} recorded, "
                        f"{first.events} events; may_matter {first.may_matter_seconds:.2f} s, "
                        f"apply {first.apply_seconds:.2f} s, {first.commands} IMAP commands"
                    )
                    done.append(first)
                idle_commands, idle_ms = bench.idle(idle_repeats)
            finally:
                bench.worker.close()
        return Report(messages=count, rounds=done, idle_commands=idle_commands, idle_ms=idle_ms)
    finally:
        if trusted is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = trusted
        dovecot.close()
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--messages", type=int, default=500, help="messages per mailbox (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="first syncs timed, each of a new mailbox (default 3)")
    parser.add_argument("--json", action="store_true", help="one JSON document on the last line")
    args = parser.parse_args(argv)
    report = run(args.messages, args.rounds, progress=(lambda _: None) if args.json else print)
    figures = report.as_json()
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"first sync: {figures['first_sync_messages_per_second']:.0f} messages/s (median of {args.rounds})")
    names = ", ".join(f"{name} {count}" for name, count in report.idle_commands.items())
    print(f"a sync with nothing new: {figures['idle_sync_commands']} IMAP commands ({names}), {report.idle_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
