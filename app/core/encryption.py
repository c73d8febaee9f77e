"""Secrets the service must read back (a mailbox's password), encrypted at rest with
AES-256-GCM under a key derived from `FOLLOWUP_SECRET_KEY`.

Each value is bound to what it belongs to (`context`, such as the mailbox's id): a value
copied to another row does not decrypt there. The stored form is `v1.` and the URL-safe
base64 of the 12-byte nonce followed by the ciphertext and its tag.
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


class Cipher:
    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < MIN_KEY_CHARS:
            raise ValueError(f"FOLLOWUP_SECRET_KEY must be at least {MIN_KEY_CHARS} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(secret_key.encode())
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str) -> str:
        if not token.startswith(VERSION):
            raise CannotDecrypt("not a value this service encrypted")
        try:
            raw = base64.urlsafe_b64decode(token[len(VERSION) :].encode("ascii"))
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, binascii.Error, UnicodeError, ValueError) as error:
            raise CannotDecrypt("encrypted with another key or for another owner, or altered") from error


def cipher(secret_key: str | None) -> Cipher:
    """The cipher of the configured key; MissingSecretKey without one."""
    if not secret_key:
        raise MissingSecretKey
    return Cipher(secret_key)
