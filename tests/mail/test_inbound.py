"""The forwarding address and the inbound-mail providers: Mailgun (a route forwarding raw
MIME), Postmark (the inbound webhook with RawEmail) and a raw message signed the Standard
Webhooks way. Requests are built as each provider's documentation describes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import (
    INBOUND_MAIL_SECRET,
    MAILGUN_SIGNING_KEY,
    POSTMARK_PASSWORD,
    POSTMARK_USER,
    Api,
    assert_problem,
)
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.main import create_app

ACME = [{"name": "Ana Silva", "email": "ana@acme.example", "role": "recruiter", "is_primary": True}]


def reply(to: str, *, message_id: str = "<reply-1@mail.acme.example>", body: str = "Thanks, talk soon.") -> bytes:
    return (
        f"From: Ana Silva <ana@acme.example>\r\nTo: {to}\r\nDate: Tue, 03 Mar 2026 09:12:00 -0500\r\n"
        f"Subject: Re: Thank you\r\nMessage-ID: {message_id}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def forwarding(api: Api) -> str:
    address: str = api.get("/v1/mail/settings").json()["forwarding_address"]
    return address


def mailgun_fields(
    raw: bytes, recipient: str, *, timestamp: int | None = None, token: str = "a" * 50
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(MAILGUN_SIGNING_KEY.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": recipient,
        "sender": "ana@acme.example",
        "from": "Ana Silva <ana@acme.example>",
        "subject": "Re: Thank you",
        "body-mime": raw.decode(),
        "timestamp": stamp,
        "token": token,
        "signature": signature,
    }


def post_mailgun(client: TestClient, fields: dict[str, str], *, multipart: bool = True) -> Any:
    # The route's URL ends in `mime`, as Mailgun needs to post the raw message.
    url = "/v1/inbound-mail/mailgun?format=mime"
    if multipart:
        # Mailgun sends multipart/form-data (with attachments) or urlencoded (without).
        return client.post(url, files={name: (None, value) for name, value in fields.items()})
    return client.post(url, data=fields)


def messages(api: Api) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.get("/v1/mail/messages").json()["data"]
    return listed


# --- Mailgun -----------------------------------------------------------------------------


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
def test_a_mailgun_delivery_becomes_the_users_message(api: Api, multipart: bool) -> None:
    interview = api.interview(contacts=ACME)
    address = forwarding(api)
    response = post_mailgun(api.client, mailgun_fields(reply(address), address), multipart=multipart)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] is True
    assert (result["message"]["via"], result["message"]["interview_id"]) == ("mailgun", interview["id"])
    assert result["message"]["event_types"] == ["reply_received"]
    assert [m["via"] for m in messages(api)] == ["mailgun"]


def test_a_tagged_forwarding_address_is_the_users_too(api: Api) -> None:
    address = forwarding(api).replace("@", "+acme@")
    result = post_mailgun(api.client, mailgun_fields(reply(address), address)).json()
    assert result["accepted"] is True


def test_mailgun_replays_and_forgeries_are_refused_and_store_nothing(api: Api) -> None:
    address = forwarding(api)
    fields = mailgun_fields(reply(address), address, token="t" * 50)
    assert post_mailgun(api.client, fields).status_code == 200
    assert_problem(post_mailgun(api.client, fields), 401)  # the same token again
    old = mailgun_fields(
        reply(address, message_id="<old@x>"), address, timestamp=int(time.time()) - 301, token="o" * 50
    )
    assert_problem(post_mailgun(api.client, old), 401)
    forged = mailgun_fields(reply(address, message_id="<forged@x>"), address, token="f" * 50) | {"signature": "0" * 64}
    assert_problem(post_mailgun(api.client, forged), 401)
    tampered = mailgun_fields(reply(address, message_id="<t@x>"), address, token="g" * 50)
    tampered["token"] = "h" * 50
    assert_problem(post_mailgun(api.client, tampered), 401)
    assert len(messages(api)) == 1


def test_an_unknown_recipient_is_a_200_that_stores_nothing(api: Api) -> None:
    for address in ("u-0123456789abcdef01234567@in.followup.example", "someone@elsewhere.example"):
        response = post_mailgun(api.client, mailgun_fields(reply(address), address, token=address[:50].ljust(50, "x")))
        assert response.status_code == 200
        assert (response.json()["accepted"], response.json()["message"]) == (False, None)
    assert messages(api) == []


def test_a_form_that_cannot_be_read_is_a_422(api: Api) -> None:
    boundary = "e82e42908f89ebe2bc484f76d6a51f09"
    broken = f"--{boundary}\r\n-5.3e+16--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    assert_problem(api.client.post("/v1/inbound-mail/mailgun?format=mime", content=broken, headers=headers), 422)


def test_a_mailgun_route_without_mime_is_a_422(api: Api) -> None:
    fields = mailgun_fields(reply(forwarding(api)), forwarding(api))
    del fields["body-mime"]
    assert_problem(post_mailgun(api.client, fields), 422, ("body", "body-mime"))


# --- Postmark ----------------------------------------------------------------------------


def postmark_payload(raw: bytes, recipient: str) -> dict[str, Any]:
    """The fields of Postmark's inbound webhook (its documentation's example), with RawEmail."""
    return {
        "FromName": "Ana Silva",
        "MessageStream": "inbound",
        "From": "ana@acme.example",
        "FromFull": {"Email": "ana@acme.example", "Name": "Ana Silva", "MailboxHash": ""},
        "To": recipient,
        "ToFull": [{"Email": recipient, "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": recipient,
        "Subject": "Re: Thank you",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Tue, 3 Mar 2026 09:12:00 -0500",
        "TextBody": "Thanks, talk soon.",
        "HtmlBody": "",
        "StrippedTextReply": "Thanks, talk soon.",
        "Tag": "",
        "Headers": [{"Name": "X-Spam-Status", "Value": "No"}],
        "Attachments": [],
        "RawEmail": raw.decode(),
    }


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_postmark_delivery_with_the_right_credentials_is_taken(api: Api) -> None:
    interview = api.interview(contacts=ACME)
    address = forwarding(api)
    body = postmark_payload(reply(address), address)
    response = api.client.post("/v1/inbound-mail/postmark", json=body, headers=basic(POSTMARK_USER, POSTMARK_PASSWORD))
    assert response.status_code == 200, response.text
    outcome = response.json()["message"]
    assert (outcome["via"], outcome["interview_id"], outcome["outcome"]) == ("postmark", interview["id"], "applied")


@pytest.mark.parametrize(
    "headers",
    [{}, basic(POSTMARK_USER, "wrong"), basic("other", POSTMARK_PASSWORD), {"Authorization": "Basic !!!"}],
    ids=["none", "password", "user", "garbage"],
)
def test_postmark_without_the_credentials_is_a_401(api: Api, headers: dict[str, str]) -> None:
    address = forwarding(api)
    response = api.client.post(
        "/v1/inbound-mail/postmark", json=postmark_payload(reply(address), address), headers=headers
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Basic")
    assert messages(api) == []


def test_postmark_without_raw_email_says_which_setting_to_turn_on(api: Api) -> None:
    address = forwarding(api)
    body = postmark_payload(reply(address), address)
    del body["RawEmail"]
    response = api.client.post("/v1/inbound-mail/postmark", json=body, headers=basic(POSTMARK_USER, POSTMARK_PASSWORD))
    assert "Include raw email content" in assert_problem(response, 422, ("body", "RawEmail"))["detail"]


# --- a raw message signed the Standard Webhooks way --------------------------------------


def signed(body: bytes, *, msg_id: str = "msg_1", at: datetime | None = None) -> dict[str, str]:
    """Headers from the standardwebhooks package itself (for a UTF-8 body)."""
    when = at or datetime.now(UTC)
    signature = Webhook(INBOUND_MAIL_SECRET).sign(msg_id=msg_id, timestamp=when, data=body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "message/rfc822",
    }


def test_a_signed_raw_message_is_taken_and_a_tampered_one_refused(api: Api) -> None:
    interview = api.interview(contacts=ACME)
    raw = reply(forwarding(api))
    response = api.client.post("/v1/inbound-mail/raw", content=raw, headers=signed(raw))
    assert response.status_code == 200, response.text
    assert response.json()["message"]["interview_id"] == interview["id"]
    assert_problem(api.client.post("/v1/inbound-mail/raw", content=raw + b"x", headers=signed(raw)), 401)
    stale = signed(raw, at=datetime.fromtimestamp(time.time() - 301, UTC))
    assert_problem(api.client.post("/v1/inbound-mail/raw", content=raw, headers=stale), 401)
    assert_problem(
        api.client.post("/v1/inbound-mail/raw", content=raw, headers={"content-type": "message/rfc822"}), 401
    )
    assert len(messages(api)) == 1


def test_a_raw_message_that_is_not_utf8_is_verified_over_its_bytes(api: Api) -> None:
    raw = reply(forwarding(api), body="Grüße").replace(b"charset=utf-8", b"charset=latin-1")
    raw = raw.replace("Grüße".encode(), "Grüße".encode("latin-1"))
    assert b"\xfc" in raw
    stamp = str(int(time.time()))
    key = base64.b64decode(INBOUND_MAIL_SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, b"msg_2." + stamp.encode() + b"." + raw, hashlib.sha256).digest()
    headers = {
        "webhook-id": "msg_2",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    response = api.client.post("/v1/inbound-mail/raw", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True


# --- the forwarding address, once per message, configuration ------------------------------


def test_rotating_the_forwarding_address_retires_the_old_one(api: Api) -> None:
    old = forwarding(api)
    rotated = api.post("/v1/mail/settings/rotate-forwarding-address")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["forwarding_address"]
    assert new != old and new == forwarding(api)
    stale = post_mailgun(api.client, mailgun_fields(reply(old), old, token="s" * 50)).json()
    assert stale["accepted"] is False
    fresh = post_mailgun(api.client, mailgun_fields(reply(new), new, token="n" * 50)).json()
    assert fresh["accepted"] is True


def test_a_message_forwarded_and_posted_has_one_outcome(api: Api) -> None:
    interview = api.interview(contacts=ACME)
    address = forwarding(api)
    raw = reply(address)
    first = post_mailgun(api.client, mailgun_fields(raw, address)).json()["message"]
    again = api.client.post("/v1/mail/messages", content=raw, headers=api.headers | {"Content-Type": "message/rfc822"})
    assert again.status_code == 200
    assert (again.json()["outcome"], again.json()["duplicate_of"]) == ("duplicate", first["id"])
    assert len(api.get(f"/v1/interviews/{interview['id']}/events").json()["data"]) == 1


def test_the_forwarding_addresses_of_two_users_are_their_own(api: Api, other: Api) -> None:
    mine, theirs = forwarding(api), forwarding(other)
    assert mine != theirs
    post_mailgun(api.client, mailgun_fields(reply(theirs), theirs))
    assert messages(api) == []
    assert len(messages(other)) == 1


def test_a_provider_that_is_not_set_up_is_not_answered(tmp_path: Any) -> None:
    from alembic import command
    from conftest import alembic_config

    url = f"sqlite:///{tmp_path}/bare.db"
    command.upgrade(alembic_config(url), "head")
    app = create_app(Settings(database_url=url, embedded_worker=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("mailgun", "postmark", "raw"):
            response = client.post(
                f"/v1/inbound-mail/{path}", content=b"{}", headers={"content-type": "application/json"}
            )
            assert_problem(response, 404)
    app.state.database.dispose()


def test_a_large_message_is_taken_on_these_routes_only(api: Api) -> None:
    address = forwarding(api)
    big = reply(address, body="x" * (11 * 1024 * 1024))  # over the 10 MiB of POST /v1/mail/messages
    response = api.client.post("/v1/inbound-mail/raw", content=big, headers=signed(big))
    assert response.status_code == 200, response.text[:300]
    posted = api.client.post("/v1/mail/messages", content=big, headers=api.headers | {"Content-Type": "message/rfc822"})
    assert_problem(posted, 413)


def test_json_is_read_strictly(api: Api) -> None:
    body = json.dumps(postmark_payload(reply(forwarding(api)), forwarding(api)))
    duplicated = body[:-1] + ', "RawEmail": "x"}'
    headers = basic(POSTMARK_USER, POSTMARK_PASSWORD) | {"content-type": "application/json"}
    assert_problem(api.client.post("/v1/inbound-mail/postmark", content=duplicated, headers=headers), 422)
