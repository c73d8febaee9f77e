from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from conftest import Api, alembic_config
from sqlalchemy import column, inspect, table, text
from sqlalchemy.engine import Engine
from webhook_support import Receiver, subscribe

from app.core.columns import UTCDateTime

REMINDERS_REVISION = "28cf061112a6"


def test_the_migration_schedules_a_notice_for_every_dated_action(database_url: str, engine: Engine, api: Api) -> None:
    dated = api.interview()
    concluded = api.interview(company="Initech")
    api.event(concluded["id"], type="rejected", occurred_at="2026-03-04T12:00:00-05:00")
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision(REMINDERS_REVISION).down_revision
    command.downgrade(config, str(before))  # the schema before reminders
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, due_notice_at, next_action_at FROM interviews")).all()
    notices = {row.id: (row.due_notice_at, row.next_action_at) for row in rows}
    due_notice_at, next_action_at = notices[dated["id"]]
    assert due_notice_at is not None
    assert due_notice_at == next_action_at
    assert notices[concluded["id"]] == (None, None)


ATTEMPT_STATES_REVISION = "6f97c4ffb154"


@pytest.mark.usefixtures("allow_private")
def test_attempts_stored_before_attempt_states_are_settled(
    database_url: str, engine: Engine, api: Api, receiver: Receiver
) -> None:
    endpoint = subscribe(api, receiver)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    answered, unanswered = (api.post(f"{url}/test").json()["id"] for _ in range(2))
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision(ATTEMPT_STATES_REVISION).down_revision
    command.downgrade(config, str(before))
    assert "state" not in {column["name"] for column in inspect(engine).get_columns("webhook_attempts")}
    # Attempts as the previous release writes them: once answered, with no state.
    attempts = table(
        "webhook_attempts",
        column("id"),
        column("delivery_id"),
        column("attempted_at", UTCDateTime()),
        column("status_code"),
        column("error"),
        column("duration_ms"),
        column("manual"),
    )
    with engine.begin() as connection:
        for attempt_id, delivery_id, status_code, error in (
            ("a1", answered, 200, None),
            ("a2", unanswered, None, "timed out (ReadTimeout)"),
        ):
            connection.execute(
                attempts.insert().values(
                    id=attempt_id,
                    delivery_id=delivery_id,
                    attempted_at=datetime.now(UTC),
                    status_code=status_code,
                    error=error,
                    duration_ms=10,
                    manual=False,
                )
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert set(connection.execute(text("SELECT state FROM webhook_attempts")).scalars()) == {"settled"}
    assert [a["status"] for a in api.get(f"{url}/deliveries/{answered}").json()["attempts"]] == ["succeeded"]
    assert [a["status"] for a in api.get(f"{url}/deliveries/{unanswered}").json()["attempts"]] == ["failed"]
