"""The current round as of a moment, which mail intake reads to tell a thank-you from a nudge."""

from __future__ import annotations

from rules_support import ANA, event, facts, ny

from app.rules import current_round


def test_the_first_round_before_anything_happened() -> None:
    state = current_round(facts(), ny(2026, 3, 2, 9))
    assert (state.starts_at, state.ends_at, state.thank_you_sent) == (ny(2026, 3, 2, 10), ny(2026, 3, 2, 11), False)


def test_a_thank_you_counts_from_when_it_was_sent() -> None:
    the_facts = facts(event("thank_you_sent", ny(2026, 3, 2, 15), ANA))
    assert current_round(the_facts, ny(2026, 3, 2, 14)).thank_you_sent is False
    assert current_round(the_facts, ny(2026, 3, 2, 15)).thank_you_sent is True


def test_a_new_round_starts_again_with_its_own_length() -> None:
    thanks = event("thank_you_sent", ny(2026, 3, 2, 15), ANA)
    second = event("round_scheduled", ny(2026, 3, 4, 9), interview_at=ny(2026, 3, 9, 14), duration_minutes=90)
    state = current_round(facts(thanks, second), ny(2026, 3, 9, 16))
    assert (state.starts_at, state.ends_at, state.thank_you_sent) == (ny(2026, 3, 9, 14), ny(2026, 3, 9, 15, 30), False)
