"""/v1/mailboxes against a real Dovecot: connecting checks the login, the password is kept
encrypted and never shown, each user sees only their own, a delete takes the credentials
with it; on both databases."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

from conftest import Api, assert_problem
from fastapi import FastAPI
from mail.dovecot import HOST, Dovecot, MailUser
from sqlalchemy import Engine, text

from app.core.config import Settings
from app.mailboxes import service
from mailboxes.support import stored_mailbox

AUTHENTICATION_FAILED = "[AUTHENTICATIONFAILED] Authentication failed."


def body(dovecot: Dovecot, user: MailUser, **fields: Any) -> dict[str, Any]:
    return {
        "host": HOST,
        "port": dovecot.imaps_port,
        "username": user.username,
        "password": user.password,
    } | fields


def connect(api: Api, dovecot: Dovecot, user: MailUser, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/mailboxes", body(dovecot, user, **fields))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def stored(engine: Engine, mailbox_id: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM mailboxes WHERE id = :id"), {"id": mailbox_id})
        return [dict(row._mapping) for row in rows]


def test_connecting_checks_the_login_and_never_shows_the_password(
    api: Api, engine: Engine, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    response = api.post("/v1/mailboxes", body(dovecot, mail_user))
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    created = response.json()
    assert mail_user.password not in response.text
    assert "password" not in created
    assert created | {"id": None, "created_at": None, "updated_at": None, "next_sync_at": None} == {
        "id": None,
        "host": HOST,
        "port": dovecot.imaps_port,
        "security": "tls",
        "username": mail_user.username,
        "status": "ok",
        "last_error": None,
        "last_synced_at": None,
        "next_sync_at": None,
        "folders": [],
        "created_at": None,
        "updated_at": None,
    }
    # Due at once: the first sync is the worker's next pass.
    assert created["next_sync_at"] == created["created_at"]
    for url in ("/v1/mailboxes", f"/v1/mailboxes/{created['id']}"):
        assert mail_user.password not in api.get(url).text
    # At rest, only the ciphertext.
    (row,) = stored(engine, created["id"])
    assert row["password_encrypted"].startswith("v1.")
    assert mail_user.password not in row["password_encrypted"]


def test_starttls_and_the_default_port(
    api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    created = connect(api, dovecot, mail_user, security="starttls", port=dovecot.imap_port)
    assert (created["security"], created["port"]) == ("starttls", dovecot.imap_port)
    # Without a port, the security's usual one: nothing listens there in the tests.
    response = api.post("/v1/mailboxes", body(dovecot, mail_user, port=None) | {"security": "starttls"})
    problem = assert_problem(response, 422, ("body",))
    assert ":143" in problem["detail"] or "refused" in problem["detail"].lower(), problem


def test_a_refused_login_is_a_422_with_the_servers_answer_and_stores_nothing(
    api: Api, engine: Engine, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    response = api.post("/v1/mailboxes", body(dovecot, mail_user, password="wrong"))
    problem = assert_problem(response, 422, ("body",))
    assert problem["detail"] == f"The server refused the login: {AUTHENTICATION_FAILED}"
    assert api.get("/v1/mailboxes").json()["data"] == []


def test_an_untrusted_certificate_is_refused(
    api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings, monkeypatch: Any
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    problem = assert_problem(api.post("/v1/mailboxes", body(dovecot, mail_user)), 422, ("body",))
    assert "certificate" in problem["detail"]


def test_without_a_secret_key_connecting_is_refused_with_what_to_set(
    api: Api, app: FastAPI, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    app.state.settings = mail_settings.model_copy(update={"secret_key": None})
    problem = assert_problem(api.post("/v1/mailboxes", body(dovecot, mail_user)), 409)
    assert "FOLLOWUP_SECRET_KEY is not set" in problem["detail"]
    app.state.settings = mail_settings
    assert api.get("/v1/mailboxes").json()["data"] == []


def test_private_addresses_are_refused_unless_allowed(
    api: Api, app: FastAPI, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    app.state.settings = mail_settings.model_copy(update={"mail_allow_private": False})
    for host in (HOST, "localhost", "[::1]", "10.0.0.8"):
        problem = assert_problem(api.post("/v1/mailboxes", body(dovecot, mail_user, host=host)), 422, ("body", "host"))
        assert "private" in problem["detail"], problem


def test_list_get_and_one_user_never_sees_anothers(
    api: Api, other: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    mine = [connect(api, dovecot, mail_user) for _ in range(3)]
    theirs = connect(other, dovecot, dovecot.add_user())
    first = api.get("/v1/mailboxes", params={"limit": 2}).json()
    second = api.get("/v1/mailboxes", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in first["data"] + second["data"]] == [m["id"] for m in mine]
    assert second["next_cursor"] is None
    assert [m["id"] for m in other.get("/v1/mailboxes").json()["data"]] == [theirs["id"]]
    mailbox_id = mine[0]["id"]
    got = api.get(f"/v1/mailboxes/{mailbox_id}")
    assert got.status_code == 200 and got.json() == mine[0]
    unchanged = api.client.get(
        f"/v1/mailboxes/{mailbox_id}", headers=api.headers | {"If-None-Match": got.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    for method, url, payload in (
        ("GET", f"/v1/mailboxes/{mailbox_id}", None),
        ("PATCH", f"/v1/mailboxes/{mailbox_id}", {"enabled": False}),
        ("POST", f"/v1/mailboxes/{mailbox_id}/sync", None),
        ("DELETE", f"/v1/mailboxes/{mailbox_id}", None),
    ):
        assert_problem(other.client.request(method, url, json=payload, headers=other.headers), 404)
    assert api.get(f"/v1/mailboxes/{mailbox_id}").json() == mine[0]
    assert_problem(api.get(f"/v1/mailboxes/{uuid.uuid4()}"), 404)


def test_a_new_password_is_checked_before_it_is_kept(
    api: Api, engine: Engine, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    created = connect(api, dovecot, mail_user)
    url = f"/v1/mailboxes/{created['id']}"
    (before,) = stored(engine, created["id"])
    problem = assert_problem(api.patch(url, {"password": "wrong"}), 422, ("body",))
    assert AUTHENTICATION_FAILED in problem["detail"]
    assert stored(engine, created["id"]) == [before]
    changed = api.patch(url, {"password": mail_user.password})
    assert changed.status_code == 200, changed.text
    (after,) = stored(engine, created["id"])
    assert after["password_encrypted"] != before["password_encrypted"]  # a fresh nonce
    # Another field alone is checked with the stored password.
    assert api.patch(url, {"security": "starttls", "port": dovecot.imap_port}).json()["security"] == "starttls"


def test_disable_enable_and_sync_now(api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings) -> None:
    created = connect(api, dovecot, mail_user)
    url = f"/v1/mailboxes/{created['id']}"
    disabled = api.patch(url, {"enabled": False}).json()
    assert (disabled["status"], disabled["next_sync_at"]) == ("disabled", None)
    assert_problem(api.post(f"{url}/sync"), 409)
    enabled = api.patch(url, {"enabled": True}).json()
    assert enabled["status"] == "ok" and enabled["next_sync_at"] is not None
    accepted = api.post(f"{url}/sync")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "ok"
    assert_problem(api.patch(url, {}), 422)
    assert_problem(api.patch(url, {"enabled": None}), 422, ("body", "enabled"))


def test_if_match_guards_changes(api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings) -> None:
    created = connect(api, dovecot, mail_user)
    url = f"/v1/mailboxes/{created['id']}"
    etag = api.get(url).headers["ETag"]
    changed = api.client.patch(url, json={"enabled": False}, headers=api.headers | {"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    stale = api.client.patch(url, json={"enabled": True}, headers=api.headers | {"If-Match": etag})
    assert_problem(stale, 412)
    assert_problem(api.client.delete(url, headers=api.headers | {"If-Match": etag}), 412)


def test_delete_takes_the_credentials_at_once(
    api: Api, engine: Engine, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    created = connect(api, dovecot, mail_user)
    assert api.delete(f"/v1/mailboxes/{created['id']}").status_code == 204
    assert stored(engine, created["id"]) == []
    assert_problem(api.get(f"/v1/mailboxes/{created['id']}"), 404)
    assert_problem(api.delete(f"/v1/mailboxes/{created['id']}"), 404)


def test_an_idempotency_key_connects_once(
    api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    headers = api.headers | {"Idempotency-Key": str(uuid.uuid4())}
    first = api.client.post("/v1/mailboxes", json=body(dovecot, mail_user), headers=headers)
    again = api.client.post("/v1/mailboxes", json=body(dovecot, mail_user), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(api.get("/v1/mailboxes").json()["data"]) == 1


def test_bodies_are_checked(api: Api, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings) -> None:
    for wrong, loc in (
        ({"security": "none"}, ("body", "security")),
        ({"port": 0}, ("body", "port")),
        ({"host": "imap.example.com/x"}, ("body", "host")),
        ({"password": ""}, ("body", "password")),
        ({"unknown": 1}, ("body", "unknown")),
    ):
        assert_problem(api.post("/v1/mailboxes", body(dovecot, mail_user) | wrong), 422, loc)


def test_a_user_has_at_most_ten_mailboxes(
    api: Api, engine: Engine, dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings
) -> None:
    for _ in range(10):
        stored_mailbox(engine, email="me@example.com")
    problem = assert_problem(api.post("/v1/mailboxes", body(dovecot, mail_user)), 409)
    assert "10 mailboxes" in problem["detail"]


def test_no_lock_is_held_while_the_server_answers(
    api: Api, engine: Engine, mail_settings: Settings, monkeypatch: Any
) -> None:
    """While a PATCH waits for a slow IMAP server, other requests still write (on SQLite a
    writing request's first statement takes the database's write lock)."""
    monkeypatch.setattr(service, "CHECK_TIMEOUT_SECONDS", 2.0)
    answers: dict[str, Any] = {}
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(4)
        mailbox_id = stored_mailbox(engine, email="me@example.com", host=HOST, port=silent.getsockname()[1])

        def change_password() -> None:
            answers["patch"] = api.patch(f"/v1/mailboxes/{mailbox_id}", {"password": "a new one"})

        waiting = threading.Thread(target=change_password)
        waiting.start()
        time.sleep(0.5)  # the PATCH now waits for the server's first words
        started = time.monotonic()
        api.interview()
        took = time.monotonic() - started
        waiting.join(10)
    assert "patch" in answers and time.monotonic() - started < 10
    assert_problem(answers["patch"], 422, ("body",))
    assert took < 1.0, f"a write waited {took:.1f} s for the login check"
