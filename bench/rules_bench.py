"""Benchmark of the rules engine: `next_action` over histories of 10, 100 and 1,000 events.

Run from the repository root:

    python bench/rules_bench.py [--profile]

It prints evaluations per second for each history and the growth ratio (time per
evaluation with 1,000 events divided by the time with 10 events). Growth is linear when the
ratio stays at or below 150. The exit status is non-zero only when the benchmark could not
run; a slow result is reported, not failed (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import timeit
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rules import (
    Contact,
    Event,
    EventType,
    Facts,
    Interview,
    Role,
    RoleFamily,
    build_policy,
    next_action,
)

SIZES = (10, 100, 1_000)
LINEAR_RATIO = 150  # 1,000 events may cost at most 150 times 10 events (100x the events)
REPEATS = 7  # timing rounds per history; the median is reported
NEW_YORK = ZoneInfo("America/New_York")

CONTACTS = (
    Contact("ana", "Ana Silva", Role.RECRUITER, "ana@acme.example", is_primary=True),
    Contact("ben", "Ben Okafor", Role.HIRING_MANAGER, "ben@acme.example"),
    Contact("ivy", "Ivy Chen", Role.INTERVIEWER, "ivy@acme.example"),
    Contact("col", "Col Reyes", Role.COORDINATOR, "col@acme.example"),
)
# What a long process looks like, event by event after the first interview: mostly
# nudges, answers and notes, now and then a stated timeline or another round.
STEPS = (
    (EventType.STATUS_CHECK_SENT, 26),
    (EventType.REPLY_RECEIVED, 14),
    (EventType.NOTE, 14),
    (EventType.TIMELINE_SHARED, 10),
    (EventType.AUTO_REPLY_RECEIVED, 8),
    (EventType.VALUE_ADD_SENT, 8),
    (EventType.STAGE_CHANGED, 6),
    (EventType.THANK_YOU_SENT, 6),
    (EventType.ROUND_SCHEDULED, 4),
)


def history(size: int, seed: int = 2026) -> tuple[Facts, datetime]:
    """A realistic, still active process of `size` events, listed out of order (as a client
    may send them), and an evaluation time just after the last one."""
    rng = random.Random(seed + size)  # noqa: S311 - reproducible sample data, not secrets
    first_interview = datetime(2026, 3, 2, 10, tzinfo=NEW_YORK)
    kinds, weights = zip(*STEPS, strict=True)
    moment = first_interview + timedelta(hours=5)
    events: list[Event] = []
    for seq in range(1, size + 1):
        kind = rng.choices(kinds, weights)[0]
        contact = rng.choice(CONTACTS[:1] * 3 + CONTACTS)
        extra: dict[str, object] = {}
        if kind is EventType.TIMELINE_SHARED:
            extra["decision_expected_by"] = (moment + timedelta(days=rng.randint(3, 21))).date()
        elif kind is EventType.ROUND_SCHEDULED:
            extra["interview_at"] = (moment + timedelta(days=rng.randint(2, 10))).replace(hour=10, minute=0)
        events.append(Event(kind, moment, contact_id=contact.id, seq=seq, id=f"ev-{seq}", **extra))  # type: ignore[arg-type]
        # Several things can happen at the same instant (an ATS batch); otherwise hours to days pass.
        if rng.random() > 0.1:
            moment += timedelta(minutes=rng.randint(30, 3 * 24 * 60))
    rng.shuffle(events)
    facts = Facts(
        interview=Interview(
            id="iv-bench",
            company="Acme",
            role_title="Backend Engineer",
            role_family=RoleFamily.ENGINEERING,
            interview_at=first_interview,
            timezone="America/New_York",
            candidate_name="Sam Lee",
        ),
        contacts=CONTACTS,
        events=tuple(events),
        policy=build_policy({"timezone": "America/New_York", "country": "US", "subdivision": "CA"}),
    )
    return facts, moment + timedelta(hours=1)


def seconds_per_evaluation(facts: Facts, at: datetime) -> float:
    """The median over REPEATS rounds of the time of one evaluation."""
    timer = timeit.Timer(lambda: next_action(facts, at))
    timer.timeit(number=3)  # warm the calendar and holiday caches
    number, _ = timer.autorange()  # enough evaluations for a round of at least 0.2 s
    rounds = timer.repeat(repeat=REPEATS, number=number)
    return statistics.median(rounds) / number


def profile(facts: Facts, at: datetime, evaluations: int = 200) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(evaluations):
        next_action(facts, at)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the largest history")
    args = parser.parse_args(argv)

    timings: dict[int, float] = {}
    cases = {size: history(size) for size in SIZES}
    for size, (facts, at) in cases.items():
        result = next_action(facts, at)
        timings[size] = seconds_per_evaluation(facts, at)
        print(f"history of {size:>5} events: next action {result.action} (rule {result.rule})")

    smallest = timings[SIZES[0]]
    print()
    print(f"{'events':>7} | {'evaluations/s':>14} | {'us/evaluation':>14} | {'x time of 10':>12}")
    print(f"{'-' * 7}-+-{'-' * 14}-+-{'-' * 14}-+-{'-' * 12}")
    for size in SIZES:
        seconds = timings[size]
        print(f"{size:>7} | {1 / seconds:>14,.0f} | {seconds * 1e6:>14,.1f} | {seconds / smallest:>12.1f}")

    ratio = timings[1_000] / timings[10]
    print()
    print(f"ratio 1,000 / 10 events: {ratio:.1f} (linear if <= {LINEAR_RATIO}; the events grew 100x)")
    print(f"ratio 1,000 / 100 events: {timings[1_000] / timings[100]:.1f} (the events grew 10x)")
    if ratio > LINEAR_RATIO:
        print(f"NOT LINEAR: the ratio exceeds {LINEAR_RATIO}; where the time goes, for 1,000 events:")
    if args.profile or ratio > LINEAR_RATIO:
        print(profile(*cases[1_000]))
    return 0


if __name__ == "__main__":
    sys.exit(main())  # an exception (could not run) exits with status 1 and its traceback
