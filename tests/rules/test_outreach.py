"""The outreach check: every rule a proposed message would break, and until when."""

from dataclasses import replace
from datetime import datetime

import pytest
from rules_support import ANA, BEN, IVY, THANKED, event, facts, interview, ny

from app.rules import EventType, OutreachProposal, Violation, check_outreach

NUDGE = OutreachProposal("ana", EventType.STATUS_CHECK_SENT)
ESCALATE = OutreachProposal("ben", EventType.STATUS_CHECK_SENT)


def rules(violations: list[Violation]) -> list[str]:
    return [violation.rule for violation in violations]


def test_a_well_timed_nudge_is_allowed() -> None:
    assert check_outreach(facts(THANKED), NUDGE, ny(2026, 3, 9, 10)) == []


def test_second_person_within_the_cooldown() -> None:
    history = (event("thank_you_sent", ny(2026, 3, 2, 12), IVY),)
    found = check_outreach(
        facts(*history, contacts=(ANA, BEN, IVY)), OutreachProposal("ana", EventType.THANK_YOU_SENT), ny(2026, 3, 2, 18)
    )
    assert rules(found) == ["multi_contact_cooldown"]
    assert found[0].until == ny(2026, 3, 3, 11)  # interview end 11:00 + 24 hours
    assert "Ivy Chen" in found[0].detail


def test_same_person_again_or_after_the_cooldown_is_fine() -> None:
    history = (event("thank_you_sent", ny(2026, 3, 2, 12), IVY),)
    fx = facts(*history, contacts=(ANA, BEN, IVY))
    assert check_outreach(fx, OutreachProposal("ivy", EventType.VALUE_ADD_SENT), ny(2026, 3, 2, 18)) == []
    assert check_outreach(fx, OutreachProposal("ana", EventType.VALUE_ADD_SENT), ny(2026, 3, 3, 11)) == []


def test_cooldown_names_an_unknown_contact_by_id() -> None:
    history = (event("thank_you_sent", ny(2026, 3, 2, 12)),)
    stray = (history[0].__class__(type=EventType.THANK_YOU_SENT, occurred_at=ny(2026, 3, 2, 12), contact_id="old"),)
    found = check_outreach(facts(*stray), OutreachProposal("ana", EventType.THANK_YOU_SENT), ny(2026, 3, 2, 13))
    assert "old" in found[0].detail
    # an outbound event with no contact names nobody: no cooldown
    assert check_outreach(facts(*history), OutreachProposal("ana", EventType.THANK_YOU_SENT), ny(2026, 3, 2, 13)) == []


def test_nudge_too_soon_after_the_last() -> None:
    history = (THANKED, event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA))
    found = check_outreach(facts(*history), NUDGE, ny(2026, 3, 12, 10))
    assert rules(found) == ["min_days_between_nudges"]
    assert found[0].until == ny(2026, 3, 16)
    assert check_outreach(facts(*history), NUDGE, ny(2026, 3, 16, 10)) == []


def test_nudge_beyond_the_maximum_suggests_escalation() -> None:
    history = (
        THANKED,
        event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA),
        event("status_check_sent", ny(2026, 3, 16, 9, 30), ANA),
    )
    found = check_outreach(facts(*history), NUDGE, ny(2026, 3, 23, 10))
    assert rules(found) == ["max_status_checks"]
    assert "escalate to the hiring manager instead" in found[0].detail
    assert found[0].until is None
    assert check_outreach(facts(*history), ESCALATE, ny(2026, 3, 23, 10)) == []


def test_nudge_after_the_escalation_says_move_on() -> None:
    history = (THANKED, event("status_check_sent", ny(2026, 3, 9, 9, 30), BEN))
    found = check_outreach(facts(*history), NUDGE, ny(2026, 3, 23, 10))
    assert rules(found) == ["max_status_checks"]
    assert "move on instead" in found[0].detail
    found = check_outreach(facts(*history), ESCALATE, ny(2026, 3, 23, 10))
    assert rules(found) == ["max_status_checks"]
    assert "already wrote to the hiring manager" in found[0].detail


def test_escalation_too_early_or_turned_off() -> None:
    early = check_outreach(facts(THANKED), ESCALATE, ny(2026, 3, 9, 10))
    assert rules(early) == ["escalate_to_hiring_manager"]
    assert "0 of 2" in early[0].detail
    off = check_outreach(facts(THANKED, pol={"escalate_to_hiring_manager": False}), ESCALATE, ny(2026, 3, 9, 10))
    assert rules(off) == ["escalate_to_hiring_manager"]


@pytest.mark.parametrize(
    ("at", "until"),
    [(ny(2026, 3, 7, 10), ny(2026, 3, 9)), (ny(2026, 9, 7, 10), ny(2026, 9, 8))],  # Saturday; Labor Day
)
def test_nudge_on_a_weekend_or_holiday(at: datetime, until: datetime) -> None:
    found = check_outreach(facts(THANKED), NUDGE, at)
    assert "business_days_only" in rules(found)
    assert found[-1].until == until


def test_thank_you_on_a_weekend_is_fine_and_business_days_can_be_off() -> None:
    assert check_outreach(facts(THANKED), OutreachProposal("ana", EventType.VALUE_ADD_SENT), ny(2026, 3, 7, 10)) == []
    assert check_outreach(facts(THANKED, pol={"business_days_only": False}), NUDGE, ny(2026, 3, 7, 10)) == []


def test_concluded_process() -> None:
    found = check_outreach(facts(THANKED, event("rejected", ny(2026, 3, 5))), NUDGE, ny(2026, 3, 9, 10))
    assert rules(found) == ["concluded"]
    assert found[0].until is None


def test_every_rule_at_once() -> None:
    friday = interview(ny(2026, 3, 6, 10))
    history = (
        event("thank_you_sent", ny(2026, 3, 6, 12), IVY),
        event("status_check_sent", ny(2026, 3, 6, 13), ANA),
        event("status_check_sent", ny(2026, 3, 6, 14), ANA),
        event("withdrawn", ny(2026, 3, 6, 15)),
    )
    found = check_outreach(facts(*history, iv=friday, contacts=(ANA, BEN, IVY)), NUDGE, ny(2026, 3, 7, 10))
    assert [(v.rule, v.until) for v in found] == [
        ("concluded", None),
        ("multi_contact_cooldown", ny(2026, 3, 7, 11)),
        ("min_days_between_nudges", ny(2026, 3, 13)),
        ("max_status_checks", None),
        ("business_days_only", ny(2026, 3, 9)),
    ]


def test_an_unreachable_contact_for_every_kind_of_message() -> None:
    bounced = event("message_bounced", ny(2026, 3, 3), ANA, address="ANA@acme.example", status="5.1.1")
    for kind in (EventType.THANK_YOU_SENT, EventType.STATUS_CHECK_SENT, EventType.VALUE_ADD_SENT):
        found = check_outreach(facts(THANKED, bounced), OutreachProposal("ana", kind), ny(2026, 3, 9, 10))
        assert [(v.rule, v.until) for v in found] == [("unreachable", None)]
        assert "ana@acme.example" in found[0].detail and "Ana Silva" in found[0].detail
    # Ben is still reachable, and so is Ana once her email is corrected
    assert "unreachable" not in rules(check_outreach(facts(THANKED, bounced), ESCALATE, ny(2026, 3, 23, 10)))
    corrected = replace(ANA, email="ana.silva@acme.example")
    assert check_outreach(facts(THANKED, bounced, contacts=(corrected, BEN)), NUDGE, ny(2026, 3, 9, 10)) == []


def test_a_bounced_nudge_neither_spaces_nor_counts() -> None:
    sent = event("status_check_sent", ny(2026, 3, 9, 9, 30), ANA)
    bounced = event("message_bounced", ny(2026, 3, 9, 9, 31), ANA, address="ana@old.example", status="5.1.1")
    assert rules(check_outreach(facts(THANKED, sent), NUDGE, ny(2026, 3, 10, 10))) == ["min_days_between_nudges"]
    assert check_outreach(facts(THANKED, sent, bounced), NUDGE, ny(2026, 3, 10, 10)) == []
    two = (sent, event("status_check_sent", ny(2026, 3, 16, 9, 30), ANA))
    assert "max_status_checks" in rules(check_outreach(facts(THANKED, *two), NUDGE, ny(2026, 3, 23, 10)))
    late_bounce = replace(bounced, occurred_at=ny(2026, 3, 16, 9, 31))
    assert check_outreach(facts(THANKED, *two, late_bounce), NUDGE, ny(2026, 3, 23, 10)) == []


def test_unreachable_comes_right_after_concluded() -> None:
    history = (
        THANKED,
        event("message_bounced", ny(2026, 3, 3), ANA, address="ana@acme.example"),
        event("status_check_sent", ny(2026, 3, 6, 10), ANA),
        event("rejected", ny(2026, 3, 6, 11)),
    )
    found = check_outreach(facts(*history), NUDGE, ny(2026, 3, 7, 10))
    assert rules(found) == ["concluded", "unreachable", "min_days_between_nudges", "business_days_only"]
