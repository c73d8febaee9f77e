"""`followup serve` as deployed, configured by its environment, with a real Dovecot: a
mailbox connected over HTTP is synced by the server's own worker, and the reply in it
reaches the interview."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conftest import new_user
from live import running_server
from mail.dovecot import HOST, SECRET_KEY, SENT_SPECIAL_USE, Dovecot, MailUser, message
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.slow

WAIT_SECONDS = 30


def test_a_connected_mailbox_is_synced_by_the_servers_worker(
    database_url: str,
    engine: Engine,
    dovecot: Dovecot,
    mail_user: MailUser,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test's CA, trusted the way an operator trusts a private one.
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))
    headers = new_user(engine, "me@example.com")
    dovecot.create(mail_user, SENT_SPECIAL_USE)
    dovecot.append(mail_user, "INBOX", message(message_id="<live@acme.example>", sender="Ana <ana@example.com>"))
    with (
        running_server(
            database_url,
            tmp_path,
            workers=1,
            embedded_worker="true",
            worker_interval_seconds="0.5",
            secret_key=SECRET_KEY,
            mail_allow_private="true",
        ) as live,
        httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as http,
    ):
        interview = http.post(
            "/v1/interviews",
            json={
                "company": "Acme",
                "role_title": "Backend Engineer",
                "role_family": "engineering",
                "interview_at": "2026-03-02T10:00:00-05:00",
                "timezone": "America/New_York",
                "contacts": [{"name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True}],
            },
        ).json()
        connected = http.post(
            "/v1/mailboxes",
            json={
                "host": HOST,
                "port": dovecot.imaps_port,
                "username": mail_user.username,
                "password": mail_user.password,
            },
        )
        assert connected.status_code == 201, connected.text
        url = f"/v1/mailboxes/{connected.json()['id']}"
        deadline = time.monotonic() + WAIT_SECONDS
        state = connected.json()
        while state["last_synced_at"] is None and time.monotonic() < deadline:
            time.sleep(0.2)
            state = http.get(url).json()
        assert state["status"] == "ok" and state["last_synced_at"] is not None, state
        arrived = http.get("/v1/mail/messages").json()["data"]
        assert [(item["message_id"], item["via"], item["interview_id"]) for item in arrived] == [
            ("<live@acme.example>", "imap", interview["id"])
        ]
        assert [folder["role"] for folder in state["folders"]] == ["inbox", "sent"]
    assert "Traceback" not in live.output(), live.output()
