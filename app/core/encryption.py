"""Secrets the service must read back (a mailbox's password), encrypted at rest with
AES-256-GCM under a key derived from `FOLLOWUP_SECRET_KEY`.

Each value is bound to what it belongs to (`context`, such as the mailbox's id): a value
copied to another row does not decrypt there. The stored form is `v1.` and the URL-safe
base64 of the 12-byte nonce followed by the ciphertext and its tag.

Keys are rotated with a previous key (`FOLLOWUP_SECRET_KEY_PREVIOUS`): values are read with
the current key, else the previous one, and always written with the current one; `rekeyed`
gives a value read with the previous key again under the current one.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1."
NONCE_BYTES = 12
# A key shorter than this is refused: HKDF spreads the key's entropy, it does not add any.
MIN_KEY_CHARS = 32
KEY_INFO = b"followup: secrets at rest, v1"


class MissingSecretKey(RuntimeError):
    """No key is configured: nothing can be encrypted or decrypted."""

    def __init__(self) -> None:
        super().__init__(
            "FOLLOWUP_SECRET_KEY is not set: the service cannot store secrets such as mailbox passwords. "
            f"Set it to a random value of at least {MIN_KEY_CHARS} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))') and keep it: "
            "what was encrypted with a key can only be read with it."
        )


class CannotDecrypt(ValueError):
    """The value was encrypted with another key, for another context, or was altered."""


def _aead(secret_key: str, setting: str) -> AESGCM:
    if len(secret_key) < MIN_KEY_CHARS:
        raise ValueError(f"{setting} must be at least {MIN_KEY_CHARS} characters")
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(secret_key.encode()))


def _open(aead: AESGCM, token: str, context: str) -> str:
    if not token.startswith(VERSION):
        raise CannotDecrypt("not a value this service encrypted")
    try:
        raw = base64.urlsafe_b64decode(token[len(VERSION) :].encode("ascii"))
        return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, binascii.Error, UnicodeError, ValueError) as error:
        raise CannotDecrypt("encrypted with another key or for another owner, or altered") from error


class Cipher:
    def __init__(self, secret_key: str, previous_key: str | None = None) -> None:
        self._aead = _aead(secret_key, "FOLLOWUP_SECRET_KEY")
        self._previous = _aead(previous_key, "FOLLOWUP_SECRET_KEY_PREVIOUS") if previous_key else None

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str) -> str:
        """The value, read with the current key, else with the previous one."""
        try:
            return _open(self._aead, token, context)
        except CannotDecrypt:
            if self._previous is None:
                raise
            return _open(self._previous, token, context)

    def rekeyed(self, token: str, *, context: str) -> str | None:
        """`token` encrypted again with the current key when only the previous key reads it;
        None when the current key reads it already. CannotDecrypt when neither does."""
        try:
            _open(self._aead, token, context)
        except CannotDecrypt:
            if self._previous is None:
                raise
            return self.encrypt(_open(self._previous, token, context), context=context)
        return None


def cipher(secret_key: str | None, previous_key: str | None = None) -> Cipher:
    """The cipher of the configured keys; MissingSecretKey without a current one (a previous
    key alone only reads, and nothing could be written)."""
    if not secret_key:
        raise MissingSecretKey
    return Cipher(secret_key, previous_key)
