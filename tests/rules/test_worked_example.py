"""RULES.md's worked example, step by step. Every expected value below is read off
the specification (and a calendar: 2026-03-02 is a Monday, US daylight saving time
starts on Sunday 2026-03-08). Steps 6 and 7 are the signals read from email."""

from dataclasses import replace
from datetime import date, datetime

from rules_support import ANA, BEN, event, facts, ny

from app.rules import Action, DecisionBasis, next_action

TIMELINE = event("timeline_shared", ny(2026, 3, 3, 12), ANA, decision_expected_by=date(2026, 3, 6))
THANKS = event("thank_you_sent", ny(2026, 3, 2, 15), ANA)
NUDGE_1 = event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA)
NUDGE_2 = event("status_check_sent", ny(2026, 3, 16, 9, 30), ANA)
ESCALATION = event("status_check_sent", ny(2026, 3, 23, 9, 30), BEN)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def test_step_1_thank_you_right_after_the_interview() -> None:
    result = next_action(facts(), ny(2026, 3, 2, 10, 30))
    assert result.action is Action.SEND_THANK_YOU
    assert iso(result.earliest_allowed_at) == "2026-03-02T11:00:00-05:00"
    assert iso(result.latest_recommended_at) == "2026-03-03T11:00:00-05:00"
    assert result.contact == ANA
    assert result.rule == "R1"
    assert result.due is False  # 10:30 is before the interview ends at 11:00


def test_step_2_first_nudge_the_business_day_after_the_stated_date() -> None:
    result = next_action(facts(THANKS, TIMELINE), ny(2026, 3, 7, 12))
    assert result.action is Action.SEND_STATUS_CHECK
    assert result.contact == ANA
    assert result.earliest_allowed_date == date(2026, 3, 9)
    assert iso(result.earliest_allowed_at) == "2026-03-09T09:00:00-04:00"
    assert result.rule == "R2"
    assert [(c.rule, c.date) for c in result.constraints] == [("R2", date(2026, 3, 7)), ("R7", date(2026, 3, 9))]
    assert (result.expected_decision_by, result.decision_basis) == (date(2026, 3, 6), DecisionBasis.STATED)
    assert (result.nudges_sent, result.nudges_remaining) == (0, 2)
    assert result.due is False


def test_step_3_second_nudge_a_week_after_the_first() -> None:
    result = next_action(facts(THANKS, TIMELINE, NUDGE_1), ny(2026, 3, 9, 10))
    assert result.action is Action.SEND_STATUS_CHECK
    assert result.contact == ANA
    assert iso(result.earliest_allowed_at) == "2026-03-16T09:00:00-04:00"
    assert (result.nudges_sent, result.nudges_remaining) == (1, 1)


def test_step_4_escalate_to_the_hiring_manager() -> None:
    result = next_action(facts(THANKS, TIMELINE, NUDGE_1, NUDGE_2), ny(2026, 3, 16, 10))
    assert result.action is Action.ESCALATE_TO_HIRING_MANAGER
    assert result.contact == BEN
    assert iso(result.earliest_allowed_at) == "2026-03-23T09:00:00-04:00"
    assert (result.nudges_sent, result.nudges_remaining) == (2, 0)


def test_step_5_move_on_after_the_escalation() -> None:
    result = next_action(facts(THANKS, TIMELINE, NUDGE_1, NUDGE_2, ESCALATION), ny(2026, 3, 23, 10))
    assert result.action is Action.MOVE_ON
    assert result.contact is None
    assert iso(result.earliest_allowed_at) == "2026-03-30T09:00:00-04:00"
    assert result.due is False
    assert next_action(facts(THANKS, TIMELINE, NUDGE_1, NUDGE_2, ESCALATION), ny(2026, 3, 30, 9)).due is True


def test_one_week_grace_gives_friday_the_13th() -> None:
    result = next_action(facts(THANKS, TIMELINE, pol={"country": "US", "deadline_grace": "one_week"}), ny(2026, 3, 7))
    assert iso(result.earliest_allowed_at) == "2026-03-13T09:00:00-04:00"


# Signals from email, same interview, after steps 1-2.
MAILED_NUDGE = event("status_check_sent", ny(2026, 3, 9, 9, 5), ANA)
AWAY = event("auto_reply_received", ny(2026, 3, 9, 9, 6), ANA, returns_on=date(2026, 3, 16))
BOUNCED = event("message_bounced", ny(2026, 3, 9, 9, 6), ANA, address="ana@acme.example", status="5.1.1")


def test_step_6_an_away_notice_moves_the_next_check_to_the_day_after_her_return() -> None:
    result = next_action(facts(THANKS, TIMELINE, MAILED_NUDGE, AWAY), ny(2026, 3, 9, 10))
    assert result.action is Action.SEND_STATUS_CHECK
    assert result.contact == ANA
    assert result.rule == "R3"
    assert [(c.rule, c.date) for c in result.constraints] == [("R3", date(2026, 3, 16)), ("R5a", date(2026, 3, 17))]
    assert iso(result.earliest_allowed_at) == "2026-03-17T09:00:00-04:00"
    assert "back on Monday, March 16, 2026" in result.reason
    # the auto-reply is no reply: the ladder is where step 3 left it
    assert (result.nudges_sent, result.nudges_remaining) == (1, 1)


def test_step_7_a_bounce_undoes_the_nudge_and_asks_to_fix_the_address() -> None:
    result = next_action(facts(THANKS, TIMELINE, MAILED_NUDGE, BOUNCED), ny(2026, 3, 9, 10))
    assert result.action is Action.SEND_STATUS_CHECK
    assert result.contact is None
    assert result.rule == "R2"
    assert [(c.rule, c.date) for c in result.constraints] == [("R2", date(2026, 3, 7)), ("R7", date(2026, 3, 9))]
    assert iso(result.earliest_allowed_at) == "2026-03-09T09:00:00-04:00"
    assert (result.nudges_sent, result.nudges_remaining) == (0, 2)
    assert "Mail to Ana Silva bounced: correct the email address" in result.reason
    assert result.due is True


def test_step_7_correcting_her_email_gives_the_same_action_to_ana() -> None:
    corrected = replace(ANA, email="ana.silva@acme.example")
    before = next_action(facts(THANKS, TIMELINE, MAILED_NUDGE, BOUNCED), ny(2026, 3, 9, 10))
    after = next_action(facts(THANKS, TIMELINE, MAILED_NUDGE, BOUNCED, contacts=(corrected, BEN)), ny(2026, 3, 9, 10))
    assert after.contact == corrected
    assert (after.action, after.rule, after.earliest_allowed_at, after.nudges_sent) == (
        before.action,
        before.rule,
        before.earliest_allowed_at,
        before.nudges_sent,
    )
    assert "bounced" not in after.reason
