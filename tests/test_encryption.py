"""Secrets at rest: AES-GCM under FOLLOWUP_SECRET_KEY, each bound to what it belongs to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.encryption import CannotDecrypt, MissingSecretKey, cipher

KEY = "k" * 32


def test_a_secret_reads_back_only_with_its_key_and_owner() -> None:
    token = cipher(KEY).encrypt("pässwörd", context="mailbox-1")
    assert "pässwörd" not in token and token.startswith("v1.")
    assert cipher(KEY).decrypt(token, context="mailbox-1") == "pässwörd"
    with pytest.raises(CannotDecrypt):
        cipher(KEY).decrypt(token, context="mailbox-2")
    with pytest.raises(CannotDecrypt):
        cipher("j" * 32).decrypt(token, context="mailbox-1")
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(CannotDecrypt):
        cipher(KEY).decrypt(altered, context="mailbox-1")


def test_the_same_secret_encrypts_differently_each_time() -> None:
    assert cipher(KEY).encrypt("secret", context="a") != cipher(KEY).encrypt("secret", context="a")


def test_without_a_key_nothing_is_encrypted_and_the_error_says_what_to_set() -> None:
    with pytest.raises(MissingSecretKey, match="FOLLOWUP_SECRET_KEY is not set"):
        cipher(None)


def test_a_short_key_stops_the_settings() -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(secret_key="too short")
    assert Settings(secret_key=KEY).secret_key is not None
