"""Benchmark of the mail classifier, in process: `classify` over a 5 KB reply, a 50 KB
bounce, a calendar invite, an out-of-office reply with a return date and a 20 KB message.

Run from the repository root:

    python bench/mail_bench.py [--profile]

It prints classifications per second and the median time of one for each message; the aim
is a 20 KB message in under 2 ms. The exit status is non-zero only when the benchmark could
not run; a slow result is reported, not failed (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import timeit
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.mail.classifier import Classified, classify

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "mail" / "corpus"
AIM_MS = 2.0  # a 20 KB message
REPEATS = 7  # timing rounds per message; the median is reported
OWN = ("jordan.lee@example.com",)
AT = datetime(2026, 3, 20, 12, tzinfo=UTC)
LINE = "Thanks again for walking me through the platform team's roadmap and the on-call setup. "


def padded(lines: list[str], size: int) -> str:
    text = "\r\n".join(lines)
    quoted = []
    while len(text) + sum(len(q) for q in quoted) < size:
        quoted.append(f"> {LINE}\r\n")
    return text + "\r\n" + "".join(quoted)


def reply(size: int) -> bytes:
    """A threaded inbound reply, multipart/alternative, quoting the thread below it."""
    body = padded(["Hi Jordan,", "", "We will get back to you on Monday.", "", "On Tue, Ana wrote:"], size // 2)
    html = body.replace("\r\n", "<br>\r\n")
    return (
        "From: Ana Silva <ana.silva@acme.example>\r\nTo: Jordan Lee <jordan.lee@example.com>\r\n"
        "Subject: Re: Thank you\r\nDate: Wed, 11 Mar 2026 16:42:10 +0100\r\nMessage-ID: <reply-1@acme.example>\r\n"
        "In-Reply-To: <thanks-1@mail.gmail.com>\r\nReferences: <start-1@mail.gmail.com> <thanks-1@mail.gmail.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        f"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>{html}</div>\r\n--b1--\r\n"
    ).encode()


def bounce(size: int) -> bytes:
    """An RFC 3464 report returning a large message."""
    returned = padded(["Hi Ana,", "", "Following up on the role."], size)
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: jordan.lee@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 09 Mar 2026 09:06:00 -0400\r\n"
        "Message-ID: <bounce-1@mx.example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; "
        'report-type=delivery-status; boundary="r1"\r\n\r\n'
        "--r1\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.example.com.\r\n\r\n"
        "<ana@acme.example>: host mx.acme.example said: 550 5.1.1 User unknown\r\n\r\n"
        "--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; ana@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--r1\r\nContent-Type: message/rfc822\r\n\r\nFrom: Jordan Lee <jordan.lee@example.com>\r\n"
        "To: ana@acme.example\r\nSubject: Following up\r\nMessage-ID: <nudge-1@mail.gmail.com>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{returned}\r\n--r1--\r\n"
    ).encode()


def messages() -> dict[str, bytes]:
    return {
        "5 KB reply": reply(5_000),
        "50 KB bounce": bounce(50_000),
        "invite (Outlook)": (CORPUS / "invites" / "outlook-request-eastern.eml").read_bytes(),
        "auto-reply with a date": (CORPUS / "auto_replies" / "exchange-automatic-reply-en.eml").read_bytes(),
        "20 KB message": reply(20_000),
    }


def seconds_per_classification(raw: bytes) -> float:
    timer = timeit.Timer(lambda: classify(raw, own_addresses=OWN, at=AT))
    timer.timeit(number=3)  # warm the language data and the compiled patterns
    number, _ = timer.autorange()
    return statistics.median(timer.repeat(repeat=REPEATS, number=number)) / number


def profile(raw: bytes, runs: int = 300) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        classify(raw, own_addresses=OWN, at=AT)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
    return out.getvalue()


def describe(found: Classified) -> str:
    return f"{found.kind}" + (f", returns on {found.returns_on}" if found.returns_on else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the 20 KB message")
    args = parser.parse_args(argv)
    cases = messages()
    print(f"{'message':<24} | {'bytes':>7} | {'kind':<30} | {'classifications/s':>17} | {'ms each':>8}")
    print(f"{'-' * 24}-+-{'-' * 7}-+-{'-' * 30}-+-{'-' * 17}-+-{'-' * 8}")
    timings: dict[str, float] = {}
    for name, raw in cases.items():
        found = classify(raw, own_addresses=OWN, at=AT)
        seconds = timings[name] = seconds_per_classification(raw)
        print(f"{name:<24} | {len(raw):>7,} | {describe(found):<30} | {1 / seconds:>17,.0f} | {seconds * 1e3:>8.3f}")
    twenty = timings["20 KB message"] * 1e3
    verdict = "met" if twenty < AIM_MS else "NOT MET"
    print(f"\naim: a 20 KB message in under {AIM_MS} ms: {twenty:.3f} ms, {verdict}")
    if args.profile or twenty >= AIM_MS:
        print(profile(cases["20 KB message"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())  # an exception (could not run) exits with status 1 and its traceback
