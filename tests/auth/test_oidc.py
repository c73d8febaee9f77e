"""OpenID Connect access tokens, from a real OpenID Provider (npm's oidc-provider, see
tests/oidc/): accepted when valid, with the subject's user made on its first token;
refused with RFC 6750's 401 otherwise; the provider's key rotation and outage."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pytest
from conftest import new_user
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from oidc.fixtures import oidc_settings
from oidc.provider import OTHER_AUDIENCE, OpenIdProvider, signing_key
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from app.users.models import User

pytestmark = pytest.mark.slow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def users(engine: Engine) -> list[User]:
    with Session(engine) as session:
        return list(session.scalars(select(User).order_by(User.created_at)))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(payload + "==")),
    )


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The access token is not valid."


def test_a_valid_token_is_accepted_and_its_subject_gets_a_user(
    oidc_client: TestClient, provider: OpenIdProvider, engine: Engine
) -> None:
    assert users(engine) == []
    token = provider.token("script")

    response = oidc_client.get("/v1/interviews", headers=bearer(token))

    assert response.status_code == 200, response.text
    [user] = users(engine)
    assert (user.oidc_issuer, user.oidc_subject, user.email) == (provider.issuer, "script", "script@clients.example")
    # The same token again, and another token of the same subject: the same user.
    created = oidc_client.post("/v1/interviews", json=interview(), headers=bearer(token))
    assert created.status_code == 201, created.text
    listed = oidc_client.get("/v1/interviews", headers=bearer(provider.token("script")))
    assert [row["id"] for row in listed.json()["data"]] == [created.json()["id"]]
    assert [row.id for row in users(engine)] == [user.id]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_tokens_signed_with_elliptic_curves_are_accepted(
    oidc_installed: Any, database_url: str, engine: Engine, alg: str
) -> None:
    provider = OpenIdProvider(oidc_installed, [signing_key("curve", alg)], alg=alg).start()
    try:
        token = provider.token("script")
        assert segments(token)[0]["alg"] == alg
        app = create_app(oidc_settings(database_url, provider))
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/v1/interviews", headers=bearer(token)).status_code == 200
        app.state.database.engine.dispose()
    finally:
        provider.stop()


def interview() -> dict[str, Any]:
    return {
        "company": "Acme",
        "role_title": "Backend Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
        "timezone": "America/New_York",
    }


def _expired(provider: OpenIdProvider, client: TestClient) -> str:
    token = provider.token("short-lived")
    # Valid while it lasts (and so remembered by the process) ...
    assert client.get("/v1/interviews", headers=bearer(token)).status_code == 200
    exp = segments(token)[1]["exp"]
    time.sleep(max(0.0, exp - time.time()) + 1.1)
    # ... but never beyond its expiry.
    return token


def _wrong_audience(provider: OpenIdProvider, client: TestClient) -> str:
    token = provider.token("script", resource=OTHER_AUDIENCE)
    assert segments(token)[1]["aud"] == OTHER_AUDIENCE
    return token


def _tampered(provider: OpenIdProvider, client: TestClient) -> str:
    header, payload, signature = provider.token("script").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "robot"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def _alg_none(provider: OpenIdProvider, client: TestClient) -> str:
    header, claims = segments(provider.token("script"))
    return f"{b64(json.dumps(header | {'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}."


def _hmac_with_the_public_key(provider: OpenIdProvider, client: TestClient) -> str:
    header, claims = segments(provider.token("script"))
    public = RSAAlgorithm.from_jwk(json.dumps(provider.keys[0])).public_key()  # type: ignore[union-attr]
    for secret in (
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        json.dumps(provider.keys[0]).encode(),
    ):
        signing_input = f"{b64(json.dumps(header | {'alg': 'HS256'}).encode())}.{b64(json.dumps(claims).encode())}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64(signature)}"
        assert_invalid_token(client.get("/v1/interviews", headers=bearer(token)))
    return token


def _without_exp(provider: OpenIdProvider, client: TestClient) -> str:
    """Signed with the provider's own key, but with no expiry."""
    header, claims = segments(provider.token("script"))
    del claims["exp"]
    return jwt.encode(claims, RSAAlgorithm.from_jwk(json.dumps(provider.keys[0])), "RS256", headers=header)


def _not_yet_valid(provider: OpenIdProvider, client: TestClient) -> str:
    """Signed with the provider's own key, valid only from two minutes on."""
    header, claims = segments(provider.token("script"))
    claims["nbf"] = int(time.time()) + 120
    return jwt.encode(claims, RSAAlgorithm.from_jwk(json.dumps(provider.keys[0])), "RS256", headers=header)


def _unknown_key(provider: OpenIdProvider, client: TestClient) -> str:
    _, claims = segments(provider.token("script"))
    stranger = signing_key("stranger")
    return jwt.encode(claims, RSAAlgorithm.from_jwk(json.dumps(stranger)), "RS256", headers={"kid": "first"})


INVALID: dict[str, Callable[[OpenIdProvider, TestClient], str]] = {
    "expired": _expired,
    "wrong audience": _wrong_audience,
    "tampered": _tampered,
    "alg none": _alg_none,
    "HS256 signed with the public key": _hmac_with_the_public_key,
    "no exp": _without_exp,
    "nbf to come": _not_yet_valid,
    "signed by another key under the provider's kid": _unknown_key,
    "not a JWT": lambda provider, client: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
}


@pytest.mark.parametrize("make", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_token_is_refused_as_rfc_6750_says(
    oidc_client: TestClient, provider: OpenIdProvider, engine: Engine, make: Callable[[OpenIdProvider, TestClient], str]
) -> None:
    token = make(provider, oidc_client)
    before = {user.id for user in users(engine)}

    assert_invalid_token(oidc_client.get("/v1/interviews", headers=bearer(token)))

    # No user was made for the subject of a token that did not verify.
    assert {user.id for user in users(engine)} == before


def test_a_token_of_another_issuer_with_the_same_keys_is_refused(
    oidc_client: TestClient, provider: OpenIdProvider, oidc_installed: Any, engine: Engine
) -> None:
    impostor = OpenIdProvider(oidc_installed, provider.keys).start()
    try:
        token = impostor.token("script")
        assert segments(token)[0]["kid"] == segments(provider.token("script"))[0]["kid"]
        assert_invalid_token(oidc_client.get("/v1/interviews", headers=bearer(token)))
    finally:
        impostor.stop()
    assert users(engine) == []


def test_keys_rotated_at_the_provider_are_fetched_without_a_restart(
    oidc_client: TestClient, oidc_app: FastAPI, provider: OpenIdProvider
) -> None:
    assert oidc_client.get("/v1/interviews", headers=bearer(provider.token())).status_code == 200
    keys = oidc_app.state.oidc.keys
    assert keys.fetches == 1

    # The provider signs with a new key from now on and still publishes the old one.
    provider.stop()
    provider.keys = [signing_key("second"), *provider.keys]
    provider.start()
    rotated = provider.token()
    assert segments(rotated)[0]["kid"] == "second"

    # Within a minute of the last fetch, an unknown key id fetches nothing.
    assert_invalid_token(oidc_client.get("/v1/interviews", headers=bearer(rotated)))
    assert keys.fetches == 1
    # A minute later, it fetches the keys again, once, and the new key verifies.
    keys.clock = lambda: time.monotonic() + 61
    assert oidc_client.get("/v1/interviews", headers=bearer(rotated)).status_code == 200
    assert oidc_client.get("/v1/interviews", headers=bearer(provider.token())).status_code == 200
    assert keys.fetches == 2


def test_while_the_provider_is_down_its_cached_keys_keep_verifying(
    oidc_client: TestClient, oidc_app: FastAPI, provider: OpenIdProvider
) -> None:
    first, second, third = provider.token(), provider.token("robot"), provider.token()
    assert oidc_client.get("/v1/interviews", headers=bearer(first)).status_code == 200
    provider.stop()

    assert oidc_client.get("/v1/interviews", headers=bearer(second)).status_code == 200
    # A token with a key id it does not know is refused, not an error, and the failed
    # fetch leaves the kept keys in place.
    _, claims = segments(first)
    stranger = signing_key("unknown")
    unknown = jwt.encode(claims, RSAAlgorithm.from_jwk(json.dumps(stranger)), "RS256", headers={"kid": "unknown"})
    oidc_app.state.oidc.keys.clock = lambda: time.monotonic() + 61
    assert_invalid_token(oidc_client.get("/v1/interviews", headers=bearer(unknown)))
    assert oidc_client.get("/v1/interviews", headers=bearer(third)).status_code == 200


def test_two_subjects_never_see_each_others_data(oidc_client: TestClient, provider: OpenIdProvider) -> None:
    mine, theirs = bearer(provider.token("script")), bearer(provider.token("robot"))
    created = oidc_client.post("/v1/interviews", json=interview(), headers=mine)
    assert created.status_code == 201, created.text
    interview_id = created.json()["id"]

    assert oidc_client.get("/v1/interviews", headers=theirs).json()["data"] == []
    assert oidc_client.get(f"/v1/interviews/{interview_id}", headers=theirs).status_code == 404
    assert oidc_client.delete(f"/v1/interviews/{interview_id}", headers=theirs).status_code == 404
    assert oidc_client.get(f"/v1/interviews/{interview_id}", headers=mine).status_code == 200


def test_api_keys_work_beside_tokens_and_a_token_user_may_make_one(
    oidc_client: TestClient, provider: OpenIdProvider, engine: Engine
) -> None:
    assert oidc_client.get("/v1/interviews", headers=new_user(engine, "keys@example.com")).status_code == 200
    token = bearer(provider.token("script"))
    created = oidc_client.post("/v1/api-keys", json={"name": "script"}, headers=token)
    assert created.status_code == 201, created.text
    interview_id = oidc_client.post("/v1/interviews", json=interview(), headers=token).json()["id"]
    by_key = oidc_client.get(f"/v1/interviews/{interview_id}", headers=bearer(created.json()["key"]))
    assert by_key.status_code == 200


def test_the_rate_limit_speaks_of_the_access_token_it_counts(
    database_url: str, engine: Engine, provider: OpenIdProvider
) -> None:
    application = create_app(oidc_settings(database_url, provider, rate_limit_per_minute=2))
    token = provider.token("script")
    try:
        with TestClient(application) as client:
            answers = [client.get("/v1/interviews", headers=bearer(token)) for _ in range(3)]
    finally:
        application.state.database.engine.dispose()
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert "2 requests a minute with this access token;" in answers[2].json()["detail"]


def test_users_of_different_subjects_may_share_an_email(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(User(email="same@example.com", oidc_issuer="https://a.example", oidc_subject="1"))
        session.add(User(email="same@example.com", oidc_issuer="https://b.example", oidc_subject="1"))
        session.commit()
    assert len(users(engine)) == 2


def test_without_an_issuer_a_token_is_just_an_invalid_key(client: TestClient, provider: OpenIdProvider) -> None:
    response = client.get("/v1/interviews", headers=bearer(provider.token()))
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not valid."


def test_me_names_the_subject_and_erasing_it_leaves_a_later_token_a_new_empty_user(
    oidc_client: TestClient, provider: OpenIdProvider, engine: Engine
) -> None:
    token = bearer(provider.token("script"))
    me = oidc_client.get("/v1/me", headers=token).json()
    assert me["oidc"] == {"issuer": provider.issuer, "subject": "script"}
    assert me["email"] == "script@clients.example"
    assert oidc_client.post("/v1/interviews", json=interview(), headers=token).status_code == 201

    assert oidc_client.delete("/v1/me", headers=token).status_code == 204

    # The same token (remembered by the process until now) and a new one of the same
    # subject: a new user, with nothing.
    again = oidc_client.get("/v1/me", headers=token).json()
    assert again["id"] != me["id"] and again["oidc"] == me["oidc"]
    assert oidc_client.get("/v1/interviews", headers=bearer(provider.token("script"))).json()["data"] == []
    assert [user.id for user in users(engine)] == [again["id"]]


def test_first_tokens_of_a_subject_at_once_make_one_user(
    oidc_client: TestClient, provider: OpenIdProvider, engine: Engine
) -> None:
    tokens = [provider.token("robot") for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda token: oidc_client.get("/v1/me", headers=bearer(token)).status_code, tokens))
    assert statuses == [200] * 8
    assert [(user.oidc_subject, user.email) for user in users(engine)] == [("robot", "robot@clients.example")]


@pytest.mark.parametrize(
    "fields",
    [
        {"oidc_issuer": "https://idp.example.com/"},
        {"oidc_issuer": "https://idp.example.com/", "oidc_audience": "https://api.example", "oidc_leeway_seconds": 61},
    ],
    ids=["an issuer without an audience", "a leeway over a minute"],
)
def test_settings_refuse_what_would_accept_too_much(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(fields)


def test_a_fetch_from_a_provider_that_hangs_holds_up_no_token_of_a_known_key(
    oidc_client: TestClient, oidc_app: FastAPI, provider: OpenIdProvider
) -> None:
    first, second = provider.token(), provider.token("robot")
    assert oidc_client.get("/v1/interviews", headers=bearer(first)).status_code == 200
    provider.stop()
    # The provider's address now accepts connections and never answers.
    with socket.create_server(("127.0.0.1", provider.port)):
        keys = oidc_app.state.oidc.keys
        keys.clock = lambda: time.monotonic() + 61
        _, claims = segments(first)
        stranger = jwt.encode(
            claims, RSAAlgorithm.from_jwk(json.dumps(signing_key("new"))), "RS256", headers={"kid": "new"}
        )
        with ThreadPoolExecutor(max_workers=1) as pool:
            fetching = pool.submit(lambda: oidc_client.get("/v1/interviews", headers=bearer(stranger)).status_code)
            while keys.fetches < 2:
                time.sleep(0.01)
            started = time.monotonic()
            assert oidc_client.get("/v1/interviews", headers=bearer(second)).status_code == 200
            assert time.monotonic() - started < 1
            assert fetching.result() == 401
