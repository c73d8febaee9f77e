from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import Api
from mail.dovecot import HOST, Dovecot, MailUser

from app.core.config import Settings

Requests = dict[str, tuple[str, Any]]


@pytest.fixture
def mailbox_requests(dovecot: Dovecot, mail_user: MailUser, mail_settings: Settings) -> Callable[[Api], Requests]:
    """The mailboxes' POSTs, against a real Dovecot: connecting one logs in to it."""

    def prepare(api: Api) -> Requests:
        body = {"host": HOST, "port": dovecot.imaps_port, "username": mail_user.username}
        body["password"] = mail_user.password
        mailbox = api.post("/v1/mailboxes", body).json()
        return {
            "createMailbox": ("/v1/mailboxes", body),
            "syncMailbox": (f"/v1/mailboxes/{mailbox['id']}/sync", None),
        }

    return prepare
