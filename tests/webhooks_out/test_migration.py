from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from conftest import Api, alembic_config
from sqlalchemy import text
from sqlalchemy.engine import Engine

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
