"""Drafts: one for every action, filled in, positive, and written in our own words."""

import re
from dataclasses import replace
from datetime import date

import pytest
from conftest import shared_file
from rules_support import ANA, BEN, THANKED, event, facts, interview, ny

from app.rules import Action, Contact, NextAction, Role, next_action

TIMELINE = event("timeline_shared", ny(2026, 3, 3), ANA, decision_expected_by=date(2026, 3, 6))
NUDGES = [event("status_check_sent", ny(2026, 3, day, 9, 30), ANA) for day in (9, 16)]
ESCALATION = event("status_check_sent", ny(2026, 3, 23, 9, 30), BEN)
# Words that would tell the employer they failed to answer.
REPROACH = re.compile(
    r"haven.t heard|have not heard|no (response|reply|answer)|did(n.t| not) (reply|respond)|"
    r"silence|ignor|still waiting|chas",
    re.IGNORECASE,
)


def ladder() -> list[NextAction]:
    """Each step of the worked example, with and without a stated timeline."""
    results = [next_action(facts(), ny(2026, 3, 2, 11, 30))]
    for base in ((THANKED,), (THANKED, TIMELINE)):
        for count in range(3):
            results.append(next_action(facts(*base, *NUDGES[:count]), ny(2026, 3, 30)))
        results.append(next_action(facts(*base, *NUDGES, ESCALATION), ny(2026, 3, 30)))
    return results + away_and_bounced()


def away_and_bounced() -> list[NextAction]:
    """Status checks and an escalation held by an away notice, and steps whose contact bounced."""
    back = date(2026, 3, 25)
    ana_away = event("auto_reply_received", ny(2026, 3, 9, 9, 31), ANA, returns_on=back)
    ben_away = event("auto_reply_received", ny(2026, 3, 16, 9, 31), BEN, returns_on=back)
    bounced = [event("message_bounced", ny(2026, 2, 27), c, address=c.email) for c in (ANA, BEN)]
    return [
        next_action(facts(THANKED, NUDGES[0], ana_away), ny(2026, 3, 30)),
        next_action(facts(THANKED, *NUDGES, ben_away), ny(2026, 3, 30)),
        next_action(facts(THANKED, TIMELINE, *bounced), ny(2026, 3, 30)),
        next_action(facts(*bounced), ny(2026, 3, 2, 11, 30)),
        next_action(facts(THANKED, *NUDGES, *bounced), ny(2026, 3, 30)),
    ]


def test_a_draft_to_someone_back_from_time_away_welcomes_them_back() -> None:
    held = away_and_bounced()[:2]
    assert [r.action for r in held] == [Action.SEND_STATUS_CHECK, Action.ESCALATE_TO_HIRING_MANAGER]
    for result in held:
        assert result.draft is not None
        assert result.draft.body.split("\n\n")[1].startswith("Welcome back; I hope your time away went well.")
    for result in ladder()[:-5]:
        assert result.draft is not None and "Welcome back" not in result.draft.body


def test_every_action_but_none_has_a_filled_draft() -> None:
    results = ladder()
    assert {r.action for r in results} == set(Action) - {Action.NONE}
    for result in results:
        assert result.draft is not None
        text = result.draft.subject + result.draft.body
        assert "Backend Engineer" in text and "{" not in text and "}" not in text
        assert not REPROACH.search(result.draft.body), result.draft.body
        assert not REPROACH.search(result.reason.replace("silence is an answer", "")), result.reason


def test_drafts_greet_the_contact_by_first_name_and_sign_with_the_candidate() -> None:
    named = replace(interview(), candidate_name="Sam Rivera")
    result = next_action(facts(iv=named), ny(2026, 3, 2, 11, 30))
    assert result.draft is not None
    assert result.draft.body.startswith("Hi Ana,")
    assert result.draft.body.endswith("Best regards,\nSam Rivera")
    assert "Monday, March 2" in result.draft.body
    nameless = next_action(facts(contacts=(Contact("x", " ", Role.INTERVIEWER),)), ny(2026, 3, 2, 11, 30))
    assert nameless.draft is not None and nameless.draft.body.startswith("Hello,")


ASKS_TIMELINE = re.compile(r"when (do you expect|a decision is expected|you expect to decide)", re.IGNORECASE)


@pytest.mark.parametrize("stated", [False, True])
def test_drafts_ask_for_the_timeline_only_when_unknown(stated: bool) -> None:
    iv = interview(decision_expected_by=date(2026, 3, 6) if stated else None)
    results = [
        next_action(facts(iv=iv), ny(2026, 3, 2, 11, 30)),
        next_action(facts(THANKED, iv=iv), ny(2026, 3, 30)),
        next_action(facts(THANKED, *NUDGES, iv=iv), ny(2026, 3, 30)),
    ]
    assert [r.action for r in results] == [
        Action.SEND_THANK_YOU,
        Action.SEND_STATUS_CHECK,
        Action.ESCALATE_TO_HIRING_MANAGER,
    ]
    for result in results:
        assert result.draft is not None
        assert bool(ASKS_TIMELINE.search(result.draft.body)) is not stated, result.draft.body


def test_later_nudges_mention_other_processes_and_first_choice() -> None:
    first = next_action(facts(THANKED, TIMELINE), ny(2026, 3, 9))
    second = next_action(facts(THANKED, TIMELINE, NUDGES[0]), ny(2026, 3, 16))
    assert first.draft is not None and second.draft is not None
    assert "first choice" not in first.draft.body
    assert "Acme is still my first choice" in second.draft.body


def test_a_first_nudge_after_a_long_silence_mentions_other_processes() -> None:
    far = event("timeline_shared", ny(2026, 3, 3), ANA, decision_expected_by=date(2026, 3, 31))
    result = next_action(facts(THANKED, far), ny(2026, 4, 1))
    assert result.draft is not None and "first choice" in result.draft.body


def test_drafts_and_reasons_share_no_sentence_with_the_reference_article() -> None:
    article = shared_file("reference/seed-article.txt")
    words = re.findall(r"[a-z']+", article.read_text().lower().replace("\u2019", "'"))
    article_runs = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}
    for result in ladder():
        assert result.draft is not None
        for text in (result.draft.body, result.reason):
            ours = re.findall(r"[a-z']+", text.lower())
            shared = {" ".join(ours[i : i + 6]) for i in range(len(ours) - 5)} & article_runs
            assert not shared, shared


def test_time_away_is_not_silence() -> None:
    # Back on 03-25: the first check moves from 03-09 to 03-26, 24 days after the interview,
    # yet nobody was silent; the first-check wording stays.
    ana_away = event("auto_reply_received", ny(2026, 3, 3), ANA, returns_on=date(2026, 3, 25))
    result = next_action(facts(THANKED, ana_away), ny(2026, 3, 4))
    assert result.earliest_allowed_at == ny(2026, 3, 26, 9)
    assert result.draft is not None and "first choice" not in result.draft.body
