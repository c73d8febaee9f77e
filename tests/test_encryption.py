"""Secrets at rest: AES-GCM under FOLLOWUP_SECRET_KEY, each bound to what it belongs to."""

from __future__ import annotations

import base64

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
    # One bit of the sealed bytes flipped (not a base64 character: the last ones may carry
    # padding bits that decoding drops).
    sealed = bytearray(base64.urlsafe_b64decode(token.removeprefix("v1.")))
    sealed[-1] ^= 1
    altered = "v1." + base64.urlsafe_b64encode(bytes(sealed)).decode("ascii")
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


OLD = "o" * 32


def test_a_rotated_key_reads_what_the_previous_one_wrote_and_writes_only_with_the_new_one() -> None:
    token = cipher(OLD).encrypt("pässwörd", context="mailbox-1")
    rotated = cipher(KEY, OLD)
    assert rotated.decrypt(token, context="mailbox-1") == "pässwörd"
    with pytest.raises(CannotDecrypt):
        cipher(KEY).decrypt(token, context="mailbox-1")
    # The previous key is never written with.
    written = rotated.encrypt("new", context="mailbox-1")
    assert cipher(KEY).decrypt(written, context="mailbox-1") == "new"
    with pytest.raises(CannotDecrypt):
        cipher(OLD).decrypt(written, context="mailbox-1")
    # Still bound to its owner under either key.
    with pytest.raises(CannotDecrypt):
        rotated.decrypt(token, context="mailbox-2")


def test_rekeyed_writes_again_under_the_new_key_only_what_the_previous_one_reads() -> None:
    rotated = cipher(KEY, OLD)
    old_token = cipher(OLD).encrypt("secret", context="m")
    new_token = rotated.rekeyed(old_token, context="m")
    assert new_token is not None and new_token != old_token
    assert cipher(KEY).decrypt(new_token, context="m") == "secret"
    assert rotated.rekeyed(new_token, context="m") is None  # under the current key already
    with pytest.raises(CannotDecrypt):
        rotated.rekeyed(cipher("x" * 32).encrypt("secret", context="m"), context="m")
    with pytest.raises(CannotDecrypt):
        cipher(KEY).rekeyed(old_token, context="m")  # no previous key: nothing reads it


def test_a_previous_key_alone_or_a_short_one_stops_the_settings() -> None:
    with pytest.raises(MissingSecretKey):
        cipher(None, OLD)
    with pytest.raises(ValidationError, match="FOLLOWUP_SECRET_KEY_PREVIOUS needs FOLLOWUP_SECRET_KEY"):
        Settings(secret_key_previous=OLD)
    with pytest.raises(ValidationError, match="secret_key_previous"):
        Settings(secret_key=KEY, secret_key_previous="too short")
    assert Settings(secret_key=KEY, secret_key_previous=OLD).secret_key_previous is not None
