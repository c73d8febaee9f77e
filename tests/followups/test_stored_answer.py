"""GET next-action without `at` answers from the result stored on the interview while it
holds, and computes it otherwise; either way the answer is the engine's for that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Api
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import service as auth_service
from app.followups import service as followup_service
from app.interviews.models import Interview
from app.nextaction import refresh
from app.users.models import User


def user_of(api: Api, engine: Engine) -> User:
    with Session(engine) as session:
        found = auth_service.verify(session, key=api.headers["Authorization"].removeprefix("Bearer "))
    assert found is not None
    return found.user


class Computations:
    """Counts the answers computed from the facts (the stored result was not used)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        compute = refresh.compute

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return compute(*args, **kwargs)

        monkeypatch.setattr(refresh, "compute", counting)


def both(engine: Engine, user: User, interview_id: str, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer as of now (stored when it holds), and the one computed with `at=now`."""
    with Session(engine) as session:
        served = followup_service.next_action(session, user=user, interview_id=interview_id, at=None, now=now)
        computed = followup_service.next_action(session, user=user, interview_id=interview_id, at=now, now=now)
    return served, computed


def test_after_every_kind_of_write_the_stored_answer_is_the_computed_one(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_of(api, engine)
    computations = Computations(monkeypatch)
    interview = api.interview()
    interview_id = interview["id"]
    ana = interview["contacts"][0]["id"]
    writes = [
        lambda: None,
        lambda: api.patch(f"/v1/interviews/{interview_id}", {"decision_expected_by": "2026-03-10"}),
        lambda: api.event(
            interview_id, type="status_check_sent", occurred_at="2026-03-11T10:00:00-04:00", contact_id=ana
        ),
        lambda: api.post(
            f"/v1/interviews/{interview_id}/contacts", {"name": "Carol", "role": "recruiter", "is_primary": True}
        ),
        lambda: api.patch(f"/v1/interviews/{interview_id}/contacts/{ana}", {"name": "Ana B."}),
        lambda: api.patch("/v1/policy", {"min_days_between_nudges": 3}),
        lambda: api.event(interview_id, type="reply_received", occurred_at="2026-03-12T10:00:00-04:00"),
        lambda: api.patch(f"/v1/interviews/{interview_id}", {"status": "closed"}),
        lambda: api.patch(f"/v1/interviews/{interview_id}", {"status": "active"}),
        lambda: api.event(interview_id, type="rejected", occurred_at="2026-03-17T10:00:00-04:00"),
    ]
    answers = []
    for write in writes:
        write()
        before = computations.count
        served, computed = both(engine, user, interview_id, datetime.now(UTC))
        assert computations.count == before + 1  # the one with `at`: the stored result was used
        assert served == computed
        answers.append(served["action"])
    # The writes moved the answer through several actions, so the comparison saw them.
    assert {"send_status_check", "none"} <= set(answers)


def test_a_thank_you_is_stored_until_its_window_closes_then_computed(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_of(api, engine)
    start = datetime.now(UTC) + timedelta(hours=1)
    interview = api.interview(interview_at=start.isoformat(), timezone="UTC")
    computations = Computations(monkeypatch)

    inside = start + timedelta(hours=2)  # the window: the end of the interview + 24 h
    served, computed = both(engine, user, interview["id"], inside)
    assert (served["action"], served["due"], computations.count) == ("send_thank_you", True, 1)
    assert served == computed

    after = start + timedelta(days=3)
    served, computed = both(engine, user, interview["id"], after)
    assert computations.count == 3  # it ran out: computed both times
    assert served == computed
    assert served["action"] == "send_status_check"


def test_a_result_computed_ahead_of_now_is_not_served_early(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An event dated a little ahead: the stored result is as of that time, so a request
    # before it must not see the event yet.
    user = user_of(api, engine)
    interview = api.interview()
    ahead = datetime.now(UTC) + timedelta(minutes=3)
    api.event(interview["id"], type="rejected", occurred_at=ahead.isoformat())
    computations = Computations(monkeypatch)
    served, computed = both(engine, user, interview["id"], datetime.now(UTC))
    assert computations.count == 2
    assert served == computed
    assert served["action"] != "none"


def test_a_policy_changed_behind_the_service_is_not_served_from_the_stored_result(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_of(api, engine)
    interview = api.interview()
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO policies (user_id, overrides, updated_at, version) VALUES (:u, :o, :t, 1)"),
            {"u": user.id, "o": '{"min_days_between_nudges": 3}', "t": datetime(2026, 3, 1)},
        )
    computations = Computations(monkeypatch)
    served, computed = both(engine, user, interview["id"], datetime.now(UTC))
    assert computations.count == 2
    assert served == computed


def test_over_http_the_answer_now_equals_the_answer_at_its_as_of(api: Api) -> None:
    thank_you = api.interview(interview_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())["id"]
    ladder = api.interview()["id"]
    ended = api.interview()["id"]
    api.event(ended, type="offer_received", occurred_at="2026-03-20T10:00:00-04:00")
    for interview_id in (thank_you, ladder, ended):
        now = api.get(f"/v1/interviews/{interview_id}/next-action").json()
        at = api.get(f"/v1/interviews/{interview_id}/next-action", params={"at": now["as_of"]}).json()
        assert now == at


@pytest.mark.parametrize("change", ["a field more", "a field less", "a bad time"])
def test_a_stored_result_of_another_shape_is_computed_instead(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    user = user_of(api, engine)
    interview = api.interview()
    table = Interview.__table__
    with engine.begin() as connection:
        row = table.c.id == interview["id"]
        result = dict(connection.execute(select(table.c.next_action_result).where(row)).scalar_one())
        if change == "a field more":
            result["legacy"] = 1
        elif change == "a field less":
            del result["draft"]
        else:
            result["as_of"] = "yesterday"
        connection.execute(update(table).where(row).values(next_action_result=result))
    computations = Computations(monkeypatch)
    served, computed = both(engine, user, interview["id"], datetime.now(UTC))
    assert computations.count == 2
    assert served == computed


def test_every_agenda_item_is_the_engines_answer_for_its_interview(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each item of every page (stored results served as stored, or computed when they
    may not be) against the engine's answer for that interview at that moment, for every
    parameter, and over HTTP."""
    user = user_of(api, engine)
    start = datetime.now(UTC) + timedelta(hours=1)
    thank_yous = [  # windows that close at different times
        api.interview(interview_at=(start + timedelta(hours=hours)).isoformat(), timezone="UTC")["id"]
        for hours in (0, 5, 30)
    ]
    for day in (2, 3, 4):
        api.interview(interview_at=f"2026-03-0{day}T10:00:00-05:00")
    ended = api.interview()["id"]
    api.event(ended, type="rejected", occurred_at="2026-03-20T10:00:00-04:00")  # not on the agenda
    later = start + timedelta(hours=26)  # the first window has closed, not the others

    def page(**params: Any) -> dict[str, Any]:
        with Session(engine) as session:
            items, cursor = followup_service.agenda(session, user=user, now=later, **params)
            reference = params["due_by"] or later
            for item in items:
                expected = followup_service.next_action(
                    session, user=user, interview_id=item["interview"]["id"], at=later, now=later
                )
                expected["due"] = reference >= datetime.fromisoformat(expected["earliest_allowed_at"])
                assert item["next_action"] == expected
        return {"data": items, "next_cursor": cursor}

    everything = page(due_by=None, limit=20, cursor=None)
    assert len(everything["data"]) == 6
    actions = {item["interview"]["id"]: item["next_action"]["action"] for item in everything["data"]}
    # The first window has closed: computed afresh. The others are served as stored.
    assert [actions[i] for i in thank_yous] == ["send_status_check", "send_thank_you", "send_thank_you"]
    first = page(due_by=None, limit=4, cursor=None)
    assert first["next_cursor"]
    rest = page(due_by=None, limit=4, cursor=first["next_cursor"])
    assert [i["interview"]["id"] for i in first["data"] + rest["data"]] == [
        i["interview"]["id"] for i in everything["data"]
    ]
    due = page(due_by=later, limit=20, cursor=None)
    assert 0 < len(due["data"]) < 6
