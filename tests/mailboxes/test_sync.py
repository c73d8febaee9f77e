"""The worker syncs connected mailboxes from a real Dovecot: what may matter goes through
mail intake, a refused login sets `error` with the server's answer and backs off, a server
that is down is retried, one worker at a time per mailbox; on both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import Api
from fastapi import FastAPI
from mail.dovecot import HOST, SECRET_KEY, SENT_SPECIAL_USE, Dovecot, MailUser, message
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlmodel import Session, select
from webhook_support import Clock

from app import cli
from app.core.config import Settings, get_settings
from app.core.session import unit_of_work
from app.mail.models import MailMessage
from app.mailboxes import sync as mailbox_sync
from app.worker import Worker
from mailboxes.support import stored_mailbox

AUTHENTICATION_FAILED = "[AUTHENTICATIONFAILED] Authentication failed."
MakeWorker = Callable[..., Worker]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_worker(engine: Engine, clock: Clock, mail_settings: Settings) -> Iterator[MakeWorker]:
    made: list[Worker] = []

    def make(**overrides: Any) -> Worker:
        worker = Worker(engine, mail_settings.model_copy(update=overrides), clock=clock, jitter=lambda: 0.0)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


@pytest.fixture
def user(dovecot: Dovecot, mail_user: MailUser) -> MailUser:
    dovecot.create(mail_user, SENT_SPECIAL_USE)
    return mail_user


def connect(api: Api, dovecot: Dovecot, user: MailUser) -> dict[str, Any]:
    body = {"host": HOST, "port": dovecot.imaps_port, "username": user.username, "password": user.password}
    response = api.post("/v1/mailboxes", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def reply(name: str, *, sender: str = "Ana <ana@example.com>", subject: str = "Re: Thank you") -> bytes:
    return message(message_id=f"<{name}@acme.example>", sender=sender, subject=subject)


def arrived(api: Api) -> dict[str, dict[str, Any]]:
    """What mail intake recorded, by Message-ID."""
    return {item["message_id"]: item for item in api.get("/v1/mail/messages").json()["data"]}


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_worker_takes_in_what_may_matter_and_keeps_the_position(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    interview = api.interview()
    dovecot.append(user, "INBOX", reply("reply"))
    dovecot.append(user, "INBOX", reply("digest", sender="news@shop.example", subject="Weekly digest"))
    thanks = message(
        message_id="<thanks@example.com>",
        sender="me@example.com",
        to=["ana@example.com"],
        subject="Thank you",
        date=datetime.fromisoformat("2026-03-02T15:00:00-05:00"),
    )
    dovecot.append(user, SENT_SPECIAL_USE, thanks)
    mailbox = connect(api, dovecot, user)
    worker = make_worker()

    assert worker.sync_mailboxes() == 1
    found = arrived(api)
    # The digest matched nothing by its headers: never fetched, never recorded.
    assert set(found) == {"<reply@acme.example>", "<thanks@example.com>"}
    assert found["<reply@acme.example>"]["via"] == "imap"
    assert found["<reply@acme.example>"]["interview_id"] == interview["id"]
    assert found["<reply@acme.example>"]["event_types"] == ["reply_received"]
    assert found["<thanks@example.com>"]["direction"] == "outbound"
    state = api.get(f"/v1/mailboxes/{mailbox['id']}").json()
    assert state["status"] == "ok" and state["last_error"] is None
    assert when(state["last_synced_at"]) == when(state["next_sync_at"]) - timedelta(seconds=60)
    assert [(f["role"], f["name"], f["last_uid"]) for f in state["folders"]] == [
        ("inbox", "INBOX", 2),
        ("sent", SENT_SPECIAL_USE, 1),
    ]
    for folder in ("INBOX", SENT_SPECIAL_USE):
        assert all("\\Seen" not in flags for flags in dovecot.flags(user, folder).values())

    # Not due again before the interval; then only what is new.
    assert worker.sync_mailboxes() == 0
    dovecot.append(user, "INBOX", reply("second"))
    clock.advance(seconds=61)
    assert worker.sync_mailboxes() == 1
    assert set(arrived(api)) == {"<reply@acme.example>", "<thanks@example.com>", "<second@acme.example>"}
    assert api.get(f"/v1/mailboxes/{mailbox['id']}").json()["folders"][0]["last_uid"] == 3


def test_sync_now_makes_it_due(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    mailbox = connect(api, dovecot, user)
    worker = make_worker()
    assert worker.sync_mailboxes() == 1
    assert worker.sync_mailboxes() == 0
    assert api.post(f"/v1/mailboxes/{mailbox['id']}/sync").status_code == 202
    assert worker.sync_mailboxes() == 1


def test_a_message_seen_by_two_ways_is_taken_in_once(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker
) -> None:
    api.interview()
    raw = reply("both")
    posted = api.client.post("/v1/mail/messages", content=raw, headers=api.headers | {"Content-Type": "message/rfc822"})
    assert posted.status_code == 201, posted.text
    dovecot.append(user, "INBOX", raw)
    connect(api, dovecot, user)
    make_worker().sync_mailboxes()
    outcomes = api.get("/v1/mail/messages").json()["data"]
    assert [item["outcome"] for item in outcomes if item["message_id"] == "<both@acme.example>"].count("applied") == 1


def test_a_refused_login_sets_error_with_the_answer_and_backs_off(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    mailbox = connect(api, dovecot, user)
    url = f"/v1/mailboxes/{mailbox['id']}"
    worker = make_worker()
    dovecot.set_password(user, "changed on the server")
    assert worker.sync_mailboxes() == 1
    state = api.get(url).json()
    assert (state["status"], state["last_error"], state["last_synced_at"]) == ("error", AUTHENTICATION_FAILED, None)
    first_wait = when(state["next_sync_at"]) - clock()
    assert timedelta(seconds=55) < first_wait <= timedelta(seconds=60)
    clock.advance(seconds=61)
    assert worker.sync_mailboxes() == 1
    second_wait = when(api.get(url).json()["next_sync_at"]) - clock()
    assert timedelta(seconds=115) < second_wait <= timedelta(seconds=120)
    assert worker.sync_mailboxes() == 0  # waiting
    # The user gives the new password: checked, kept, and synced at once.
    fixed = api.patch(url, {"password": "changed on the server"}).json()
    assert (fixed["status"], fixed["last_error"]) == ("ok", None)
    assert worker.sync_mailboxes() == 1
    assert api.get(url).json()["last_synced_at"] is not None


def test_a_server_that_is_down_is_retried_and_nothing_is_lost(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    api.interview()
    dovecot.append(user, "INBOX", reply("before"))
    mailbox = connect(api, dovecot, user)
    url = f"/v1/mailboxes/{mailbox['id']}"
    worker = make_worker()
    dovecot.stop()
    assert worker.sync_mailboxes() == 1
    state = api.get(url).json()
    assert state["status"] == "ok" and state["last_error"]  # retried, the user has nothing to fix
    assert state["folders"] == []
    dovecot.start()
    dovecot.append(user, "INBOX", reply("after"))
    clock.advance(seconds=61)
    assert worker.sync_mailboxes() == 1
    assert {"<before@acme.example>", "<after@acme.example>"} <= set(arrived(api))
    assert api.get(url).json()["last_error"] is None


def test_one_worker_at_a_time_and_a_lost_lease_writes_nothing(
    api: Api, engine: Engine, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    api.interview()
    dovecot.append(user, "INBOX", reply("leased"))
    mailbox = connect(api, dovecot, user)
    first, second = make_worker(), make_worker()
    with unit_of_work(engine, writes=True) as session:
        (claim,) = mailbox_sync.claim(session, now=clock(), limit=10, settings=first.settings)
    assert second.sync_mailboxes() == 0  # leased to the first
    clock.advance(seconds=mailbox_sync.LEASE.total_seconds() + 1)
    assert second.sync_mailboxes() == 1  # the first one's lease ran out: taken over
    folders_before = api.get(f"/v1/mailboxes/{mailbox['id']}").json()
    result = mailbox_sync.run(engine, claim, settings=first.settings, clock=clock, jitter=0.0)
    assert result.lost
    assert api.get(f"/v1/mailboxes/{mailbox['id']}").json() == folders_before
    assert list(arrived(api)) == ["<leased@acme.example>"]


def test_a_mailbox_deleted_during_its_sync_stays_deleted(
    api: Api, engine: Engine, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    dovecot.append(user, "INBOX", reply("late"))
    mailbox = connect(api, dovecot, user)
    worker = make_worker()
    with unit_of_work(engine, writes=True) as session:
        (claim,) = mailbox_sync.claim(session, now=clock(), limit=10, settings=worker.settings)
    assert api.delete(f"/v1/mailboxes/{mailbox['id']}").status_code == 204
    assert mailbox_sync.run(engine, claim, settings=worker.settings, clock=clock, jitter=0.0).lost
    with engine.connect() as connection:
        for table in ("mailboxes", "mailbox_folders"):
            count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert count == 0, table


def test_without_the_key_the_worker_says_what_to_do(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker
) -> None:
    mailbox = connect(api, dovecot, user)
    assert make_worker(secret_key=None).sync_mailboxes() == 1
    state = api.get(f"/v1/mailboxes/{mailbox['id']}").json()
    assert state["status"] == "error"
    assert "FOLLOWUP_SECRET_KEY" in state["last_error"]


def test_the_backoff_doubles_up_to_an_hour() -> None:
    interval = timedelta(seconds=60)
    waits = [mailbox_sync.backoff(failures, interval=interval, jitter=0.0) for failures in (1, 2, 3, 7, 8, 20)]
    assert waits == [timedelta(seconds=s) for s in (60, 120, 240, 3600, 3600, 3600)]
    assert mailbox_sync.backoff(1, interval=interval, jitter=1.0) == timedelta(seconds=66)


def test_a_host_is_checked_again_before_each_sync(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker
) -> None:
    """A name that resolved to a public address when the mailbox was saved may not lead
    the worker to a private one later."""
    mailbox = connect(api, dovecot, user)
    assert make_worker(mail_allow_private=False).sync_mailboxes() == 1
    state = api.get(f"/v1/mailboxes/{mailbox['id']}").json()
    assert state["status"] == "error"
    assert "private" in state["last_error"]
    assert state["folders"] == []


def test_a_stopping_worker_hands_its_claims_back(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker
) -> None:
    connect(api, dovecot, user)
    stopping = make_worker()
    stopping.stopping.set()
    assert stopping.sync_mailboxes() == 0
    assert make_worker().sync_mailboxes() == 1  # not held by the stopped one's lease


def test_new_credentials_are_synced_at_once(
    api: Api, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker
) -> None:
    mailbox = connect(api, dovecot, user)
    worker = make_worker()
    assert worker.sync_mailboxes() == 1
    assert worker.sync_mailboxes() == 0  # next in a minute
    api.patch(f"/v1/mailboxes/{mailbox['id']}", {"security": "starttls", "port": dovecot.imap_port})
    assert worker.sync_mailboxes() == 1
    assert api.get(f"/v1/mailboxes/{mailbox['id']}").json()["security"] == "starttls"


NEW_KEY = "the key after the rotation, also long enough"


@pytest.fixture
def rekey_command(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """`followup mailboxes rekey` on the test database, the keys rotated in its environment."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FOLLOWUP_SECRET_KEY", NEW_KEY)
    monkeypatch.setenv("FOLLOWUP_SECRET_KEY_PREVIOUS", SECRET_KEY)
    get_settings.cache_clear()
    yield lambda: cli.main(["mailboxes", "rekey"])
    get_settings.cache_clear()


def test_a_rotated_key_keeps_the_mailbox_syncing_and_rekey_moves_it_to_the_new_key(
    api: Api,
    dovecot: Dovecot,
    user: MailUser,
    make_worker: MakeWorker,
    clock: Clock,
    rekey_command: Callable[[], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    api.interview()
    mailbox = connect(api, dovecot, user)  # its password encrypted under SECRET_KEY
    url = f"/v1/mailboxes/{mailbox['id']}"
    new_key_only = {"secret_key": SecretStr(NEW_KEY)}
    rotated = new_key_only | {"secret_key_previous": SecretStr(SECRET_KEY)}

    # The key changed without the old one kept: the password is lost, the user is asked again.
    assert make_worker(**new_key_only).sync_mailboxes() == 1
    state = api.get(url).json()
    assert state["status"] == "error" and state["folders"] == []
    assert "give the password again" in state["last_error"]
    assert "FOLLOWUP_SECRET_KEY_PREVIOUS" in state["last_error"]

    # The old key as the previous one: read again, synced, the error gone.
    dovecot.append(user, "INBOX", reply("rotated"))
    clock.advance(seconds=61)
    assert make_worker(**rotated).sync_mailboxes() == 1
    state = api.get(url).json()
    assert (state["status"], state["last_error"]) == ("ok", None)
    assert "<rotated@acme.example>" in arrived(api)

    assert rekey_command() == 0
    out = capsys.readouterr().out
    assert "1 mailbox passwords written again under FOLLOWUP_SECRET_KEY, 0 under it already" in out
    assert "FOLLOWUP_SECRET_KEY_PREVIOUS can be removed" in out

    # The old key gone: the new one alone reads the password now.
    dovecot.append(user, "INBOX", reply("rekeyed"))
    clock.advance(seconds=61)
    assert make_worker(**new_key_only).sync_mailboxes() == 1
    state = api.get(url).json()
    assert (state["status"], state["last_error"]) == ("ok", None)
    assert "<rekeyed@acme.example>" in arrived(api)
    assert rekey_command() == 0
    assert "0 mailbox passwords written again under FOLLOWUP_SECRET_KEY, 1 under it already" in capsys.readouterr().out


def test_rekey_covers_disabled_mailboxes_and_names_the_passwords_neither_key_reads(
    api: Api,
    engine: Engine,
    dovecot: Dovecot,
    user: MailUser,
    make_worker: MakeWorker,
    rekey_command: Callable[[], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox = connect(api, dovecot, user)
    url = f"/v1/mailboxes/{mailbox['id']}"
    assert api.patch(url, {"enabled": False}).json()["status"] == "disabled"
    before = api.get(url)
    unreadable = stored_mailbox(engine, email="me@example.com")  # under no key at all
    assert rekey_command() == 1
    captured = capsys.readouterr()
    assert "1 mailbox passwords written again" in captured.out
    assert "1 mailbox passwords are read by neither" in captured.err and unreadable in captured.err
    # Nothing the API shows changed: the same representation, the same ETag.
    after = api.get(url)
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])
    # Enabled again, it syncs under the new key alone.
    api.patch(url, {"enabled": True})
    assert make_worker(secret_key=SecretStr(NEW_KEY)).sync_mailboxes() == 1
    state = api.get(url).json()
    assert (state["status"], state["last_error"]) == ("ok", None)


def test_new_connection_details_under_a_rotated_key_keep_the_stored_password_under_the_new_one(
    api: Api, app: FastAPI, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, mail_settings: Settings
) -> None:
    """A PATCH without a password logs in with the stored one: read with the previous key,
    written again with the current one."""
    mailbox = connect(api, dovecot, user)
    url = f"/v1/mailboxes/{mailbox['id']}"
    starttls = {"security": "starttls", "port": dovecot.imap_port}
    app.state.settings = mail_settings.model_copy(update={"secret_key": SecretStr(NEW_KEY)})
    refused = api.patch(url, starttls)
    assert refused.status_code == 422
    assert "FOLLOWUP_SECRET_KEY_PREVIOUS" in refused.text  # give the password again
    app.state.settings = mail_settings.model_copy(
        update={"secret_key": SecretStr(NEW_KEY), "secret_key_previous": SecretStr(SECRET_KEY)}
    )
    response = api.patch(url, starttls)
    assert response.status_code == 200, response.text
    assert make_worker(secret_key=SecretStr(NEW_KEY)).sync_mailboxes() == 1
    state = api.get(url).json()
    assert (state["status"], state["security"], state["last_error"]) == ("ok", "starttls", None)


def recorded(engine: Engine) -> dict[str, tuple[int, int]]:
    """Per Message-ID, the rows mail intake wrote (duplicates included) and the events made."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT message_id, count(*) FROM mail_messages GROUP BY message_id")).all()
        events = dict(
            connection.execute(
                text("SELECT message_id, count(*) FROM events WHERE message_id IS NOT NULL GROUP BY message_id")
            ).all()
        )
    return {message_id: (count, events.get(message_id, 0)) for message_id, count in rows}


def test_two_workers_on_one_mailbox_apply_each_message_once(
    api: Api, engine: Engine, dovecot: Dovecot, user: MailUser, make_worker: MakeWorker, clock: Clock
) -> None:
    """The second worker takes the mailbox over while the first is syncing it (its clock
    runs a lease ahead: the first one's lease looks run out to it). Both sync at once; the
    first stops at its next write, and every message is one record and one event."""
    api.interview()
    count = 150
    dovecot.append_many(user, "INBOX", [reply(f"race-{number}") for number in range(count)])
    mailbox = connect(api, dovecot, user)
    first = make_worker()
    ahead = mailbox_sync.LEASE + timedelta(seconds=1)
    second = Worker(engine, first.settings, clock=lambda: clock() + ahead, jitter=lambda: 0.0)
    failures: list[BaseException] = []

    def sync_first() -> None:
        try:
            first.sync_mailboxes()
        except BaseException as error:
            failures.append(error)
            raise

    thread = threading.Thread(target=sync_first)
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while len(recorded(engine)) < 20 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert thread.is_alive(), "the first worker finished before the second could start"
        # While the first holds the row for a write, the second's claim passes it over.
        while second.sync_mailboxes() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        thread.join(timeout=60)
    finally:
        second.close()
    assert not thread.is_alive() and not failures
    found = recorded(engine)
    assert found == {f"<race-{number}@acme.example>": (1, 1) for number in range(count)}
    # Each worker applied some: the first until the second took the mailbox over.
    with Session(engine) as session:
        times = session.exec(select(MailMessage.received_at)).all()
    taken_over_at = clock() + ahead - timedelta(minutes=1)
    by_first = [at for at in times if at < taken_over_at]
    assert 20 <= len(by_first) < count
    state = api.get(f"/v1/mailboxes/{mailbox['id']}").json()
    assert (state["status"], state["last_error"]) == ("ok", None)
    assert state["folders"][0]["last_uid"] == count
