"""A user's own data: GET /v1/me, the export and the erasure, counted table by table."""

from __future__ import annotations

import json
import tracemalloc
import uuid
from datetime import UTC, datetime
from typing import Any

from conftest import Api, assert_problem, new_user
from fastapi import FastAPI
from mailboxes.support import stored_mailbox
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.me import repository, service
from app.models import metadata
from app.users.models import User

RFC822 = {"Content-Type": "message/rfc822"}
# The only table that holds nobody's rows: the inbound providers' tokens, kept to refuse replays.
NOBODYS_TABLES = {"inbound_mail_tokens"}


def user_id(engine: Engine, email: str) -> str:
    with Session(engine) as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def counts(engine: Engine, owner: str) -> dict[str, int]:
    """The rows of `owner` in every table that holds users' rows."""
    found = {}
    with engine.connect() as connection:
        for table in repository.user_tables():
            condition = repository.owned_by(table, owner)
            found[table.name] = connection.execute(
                select(func.count()).select_from(table).where(condition)
            ).scalar_one()
    return found


def populate(api: Api, engine: Engine, email: str) -> dict[str, Any]:
    """Something of `api`'s user in every table that holds users' rows: through the API
    where it makes them, as the service writes them where only the worker or a provider does."""
    interview = api.interview()
    event = api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    assert api.patch("/v1/policy", {"country": "US"}).status_code == 200
    integration = api.post("/v1/integrations", {"provider": "standard", "company": "Acme"}).json()
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/followup"}).json()
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    idempotent = api.headers | {"Idempotency-Key": str(uuid.uuid4())}
    key = api.client.post("/v1/api-keys", json={"name": "second"}, headers=idempotent)
    assert key.status_code == 201, key.text
    assert api.get("/v1/calendar").status_code == 200
    assert api.get("/v1/mail/settings").status_code == 200
    raw = b"From: kai@elsewhere.example\r\nTo: me@example.com\r\nMessage-ID: <hi@elsewhere>\r\n\r\nHi\r\n"
    assert api.client.post("/v1/mail/messages", content=raw, headers=api.headers | RFC822).status_code == 201
    mailbox_id = stored_mailbox(engine, email=email)
    now = datetime.now(UTC)
    tables = metadata.tables
    with engine.begin() as connection:
        connection.execute(
            insert(tables["mailbox_folders"]).values(
                mailbox_id=mailbox_id, role="inbox", name="INBOX", uidvalidity=1, last_uid=7, updated_at=now
            )
        )
        connection.execute(
            insert(tables["webhook_attempts"]).values(
                id=str(uuid.uuid4()), delivery_id=delivery["id"], attempted_at=now, state="succeeded", manual=False
            )
        )
        connection.execute(
            insert(tables["follow_up_notices"]).values(
                interview_id=interview["id"], action="send_status_check", earliest_allowed_at=now, created_at=now
            )
        )
        connection.execute(
            insert(tables["integration_deliveries"]).values(
                id=str(uuid.uuid4()),
                integration_id=integration["id"],
                provider="standard",
                delivery_key=str(uuid.uuid4()),
                dedupe_key=str(uuid.uuid4()),
                action="stage_changed",
                result="applied",
                event_id=event["id"],
                interview_id=interview["id"],
                headers={"webhook-signature": "v1,secret-looking"},
                body=b"{}",
                received_at=now,
            )
        )
    return {"key": key.json()["key"], "integration": integration, "endpoint": endpoint}


def test_me_says_who_you_are(api: Api) -> None:
    second = api.post("/v1/api-keys", {"name": "laptop"}).json()

    me = api.get("/v1/me")

    assert me.status_code == 200, me.text
    body = me.json()
    assert body["email"] == "me@example.com"
    assert body["oidc"] is None
    assert len(body["api_key_prefixes"]) == 2 and second["prefix"] in body["api_key_prefixes"]
    assert set(body) == {"id", "email", "created_at", "oidc", "api_key_prefixes"}


def test_every_table_is_a_users_or_nobodys() -> None:
    assert {table.name for table in repository.user_tables()} | NOBODYS_TABLES == set(metadata.tables)


def test_the_export_has_everything_of_yours_and_no_secret(api: Api, other: Api, engine: Engine) -> None:
    mine = populate(api, engine, "me@example.com")
    populate(other, engine, "other@example.com")

    response = api.get("/v1/me/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    document = json.loads(response.content)
    assert document["format"] == "followup-export/1"
    me = user_id(engine, "me@example.com")
    expected = {name: count for name, count in counts(engine, me).items() if name not in repository.NOT_EXPORTED}
    assert {name: len(rows) for name, rows in document["tables"].items()} == expected
    assert document["tables"]["users"][0]["email"] == "me@example.com"
    assert document["tables"]["mailboxes"][0]["host"] == "imap.example.com"
    text = response.text
    assert "other@example.com" not in text
    for secret in (
        mine["key"],
        mine["key"].split("_", 2)[2],
        mine["integration"]["secret"],
        mine["endpoint"]["secret"],
        "key_hash",
        "password_encrypted",
        "secret-looking",
    ):
        assert secret not in text, secret


def test_erasing_removes_every_row_of_yours_and_nothing_of_others(
    app: FastAPI, api: Api, other: Api, engine: Engine
) -> None:
    mine = populate(api, engine, "me@example.com")
    populate(other, engine, "other@example.com")
    me, them = user_id(engine, "me@example.com"), user_id(engine, "other@example.com")
    before = counts(engine, me)
    theirs = counts(engine, them)
    empty = [name for name, count in before.items() if count == 0]
    assert empty == [], f"populate() left these tables empty, so the test would not see them erased: {empty}"
    # Both keys are remembered by the process.
    assert api.get("/v1/me").status_code == 200
    key = {"Authorization": f"Bearer {mine['key']}"}
    assert api.client.get("/v1/me", headers=key).status_code == 200

    assert api.delete("/v1/me").status_code == 204

    assert counts(engine, me) == dict.fromkeys(before, 0)
    assert counts(engine, them) == theirs
    assert api.get("/v1/me").status_code == 401
    assert api.client.get("/v1/interviews", headers=key).status_code == 401
    assert other.get("/v1/me").status_code == 200


def test_the_export_streams_in_bounded_memory(app: FastAPI, engine: Engine) -> None:
    new_user(engine, "many@example.com")
    owner = user_id(engine, "many@example.com")
    interviews = metadata.tables["interviews"]
    now = datetime.now(UTC)
    many = 20_000
    rows = [
        {
            "id": str(uuid.uuid4()),
            "user_id": owner,
            "company": f"Company {n}",
            "role_title": "Backend Engineer",
            "role_family": "engineering",
            "first_interview_at": now,
            "interview_at": now,
            "timezone": "UTC",
            "duration_minutes": 60,
            "status": "active",
            "status_source": "default",
            "version": 1,
            "next_action": "none",
            "next_action_policy_version": "",
            "next_action_result": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(many)
    ]
    with engine.begin() as connection:
        connection.execute(insert(interviews), rows)
    del rows

    tracemalloc.start()
    try:
        size = 0
        chunks = 0
        tail = b""
        for chunk in service.export(engine, user_id=owner):
            size += len(chunk)
            chunks += 1
            tail = chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert tail.endswith(b"]}}")
    assert chunks > 10
    # The document is several times larger than what producing it ever held.
    assert size > 8_000_000
    assert peak < size / 4, (peak, size)


def test_a_write_by_a_user_erased_meanwhile_is_a_409_not_a_server_error(api: Api, engine: Engine) -> None:
    # Another process erased the user while this one still remembers their key (for at
    # most FOLLOWUP_AUTH_CACHE_SECONDS): the write finds no user row to belong to.
    assert api.get("/v1/interviews").status_code == 200  # the key is now remembered
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users"))
    response = api.post(
        "/v1/interviews",
        {
            "company": "Acme",
            "role_title": "Engineer",
            "role_family": "engineering",
            "interview_at": "2026-03-02T10:00:00-05:00",
        },
    )
    assert_problem(response, 409)
