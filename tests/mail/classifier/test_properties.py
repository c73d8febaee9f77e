"""Properties over arbitrary bytes and damaged corpus messages: only NotAMessage is ever
raised, and a return date is always after the message and at most 60 days later.
Hypothesis runs derandomized, so every run sees the same examples."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.mail.classifier import NotAMessage, autoreplies, classify

CORPUS = sorted(
    p for p in (Path(__file__).resolve().parent.parent / "corpus").rglob("*") if p.suffix in (".eml", ".bin")
)
AT = datetime(2026, 3, 9, 12, tzinfo=UTC)
SETTINGS = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def classify_or_refuse(raw: bytes) -> None:
    with contextlib.suppress(NotAMessage):
        classify(raw, own_addresses=("me@example.com",), at=AT)


@pytest.mark.slow
@SETTINGS
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    classify_or_refuse(raw)


@pytest.mark.slow
@SETTINGS
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=0, max_size=8)), min_size=1, max_size=6),
)
def test_damaged_corpus_messages_never_raise_anything_else(path: Path, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(path.read_bytes()[:20_000])
    for position, replacement in edits:
        at = position % (len(raw) + 1)
        raw[at : at + len(replacement)] = replacement
    classify_or_refuse(bytes(raw))


PHRASES = st.sampled_from(
    [
        "I will be back on {d:%d %B}.",
        "I am out of the office until {d:%B %d}.",
        "Back on {d:%m/%d/%Y}.",
        "Ich bin ab dem {d:%d.%m.} wieder im Büro.",
        "Ich bin bis {d:%d.%m.%Y} nicht erreichbar.",
        "Je serai de retour le {d:%d/%m}.",
        "Estoy fuera hasta el {d:%d/%m/%Y}.",
        "Returning {d:%Y-%m-%d}.",
    ]
)


@pytest.mark.slow
@SETTINGS
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    st.integers(min_value=-400, max_value=400),
    PHRASES,
)
def test_returns_on_is_within_the_window(sent: datetime, offset: int, phrase: str) -> None:
    sent = sent.replace(tzinfo=UTC)
    written = (sent + timedelta(days=offset)).date()
    body = phrase.format(d=written)
    raw = (
        f"From: a@acme.example\r\nDate: {sent:%a, %d %b %Y %H:%M:%S} +0000\r\nSubject: Out of Office\r\n"
        f"Auto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    back = classify(raw, own_addresses=(), at=AT).returns_on
    if back is not None:
        assert isinstance(back, date)
        assert sent.date() < back <= sent.date() + timedelta(days=60)


def written(shape: str, *, day: int, month: str, year: int) -> str:
    """A date in a shape of autoreplies._PLAIN_SHAPES: d, m and y stand for the day, the
    month's name and the year; the letters of an ordinal ("2nd", "1er") stay."""
    values = {"d": str(day), "m": month, "y": str(year)}
    return re.sub(r"\bd(?=st|nd|rd|th|er|\.|\b)|\bm\b|\by\b", lambda found: values[found[0]], shape)


@pytest.mark.slow
@SETTINGS
@given(
    st.data(),
    st.sampled_from(autoreplies.LANGUAGES),
    st.integers(min_value=0, max_value=39),
    st.integers(min_value=2020, max_value=2030),
    st.sampled_from([str.lower, str.title, str.upper]),
)
def test_dates_written_the_usual_ways_are_read_as_dateparser_reads_them(
    data: st.DataObject, language: str, day: int, year: int, case: Callable[[str], str]
) -> None:
    months, _ = autoreplies._names(language)
    shape = data.draw(st.sampled_from(sorted(autoreplies._PLAIN_SHAPES[language])))
    text = written(shape, day=day, month=case(data.draw(st.sampled_from(sorted(months)))), year=year)
    match = autoreplies._expression(language).match(text)
    assert match is not None and match.group("text") == text
    today = date(2026, 3, 9)
    read_here = autoreplies._read(match, language, today)
    with patch.dict(autoreplies._PLAIN_SHAPES, {language: set()}):
        read_by_dateparser = autoreplies._read(match, language, today)
    assert read_here == read_by_dateparser
