"""API keys: `fu_<prefix>_<secret>`, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.auth import repository
from app.auth.cache import Verified
from app.auth.models import ApiKey
from app.auth.oidc import TokenClaims
from app.core.pagination import decode_cursor, page
from app.core.problems import NotFound
from app.users import service as user_service
from app.users.models import User

KEY_SCHEME = "fu"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _parse(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or not parts[1] or not parts[2]:
        return None
    return parts[1], key


def create(session: Session, *, user: User, name: str | None = None) -> tuple[ApiKey, str]:
    """A new key for `user`: the row, and the plain key (never stored, shown once)."""
    prefix = secrets.token_hex(6)
    plain = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=hash_key(plain))
    api_key = repository.add(session, api_key=row)
    return api_key, plain


def create_user(session: Session, *, email: str) -> tuple[User, str]:
    """A new user and its first API key."""
    user = user_service.create(session, email=email)
    _, plain = create(session, user=user, name="first key")
    return user, plain


def authenticate(session: Session, *, key: str) -> tuple[User, ApiKey] | None:
    """The user of a valid key, and the key's row."""
    parsed = _parse(key)
    if parsed is None:
        return None
    prefix, plain = parsed
    found = repository.get_with_user(session, prefix=prefix)
    if found is None:
        return None
    api_key, user = found
    return (user, api_key) if hmac.compare_digest(api_key.key_hash, hash_key(plain)) else None


def verify(session: Session, *, key: str) -> Verified | None:
    """`authenticate`, as the process's cache keeps it (the request's dependency runs it
    in a read transaction of its own when the key is not in the cache)."""
    found = authenticate(session, key=key)
    if found is None:
        return None
    user, api_key = found
    return Verified(key_id=api_key.id, key_hash=api_key.key_hash, user=user)


def token_user(session: Session, *, claims: TokenClaims, token_hash: str) -> Verified | None:
    """The user of a verified access token's subject, None when it has none yet."""
    user = user_service.get_by_subject(session, issuer=claims.issuer, subject=claims.subject)
    return None if user is None else _token_verified(user, token_hash)


def provision_token_user(session: Session, *, claims: TokenClaims, token_hash: str) -> Verified:
    """The user of a verified access token's subject, made now on its first token (in a
    write transaction: on SQLite no other writer runs between the look and the insert; on
    Postgres a concurrent first token of the same subject fails on the unique (issuer,
    subject) and the caller looks again)."""
    user = user_service.get_by_subject(session, issuer=claims.issuer, subject=claims.subject)
    if user is None:
        user = user_service.create_for_subject(
            session, issuer=claims.issuer, subject=claims.subject, email=claims.email
        )
    return _token_verified(user, token_hash)


def _token_verified(user: User, token_hash: str) -> Verified:
    return Verified(key_id="", key_hash=token_hash, user=user, bucket=f"user:{user.id}")


def list_page(session: Session, *, user: User, limit: int, cursor: str | None) -> tuple[Sequence[ApiKey], str | None]:
    start_after = None
    if cursor is not None:
        created_at, key_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, key_id)
    rows = repository.list_page(session, user_id=user.id, limit=limit, start_after=start_after)
    return page(rows, limit, lambda row: (row.created_at, row.id))


def delete(session: Session, *, user: User, key_id: str) -> None:
    api_key = repository.get(session, user_id=user.id, key_id=key_id)
    if api_key is None:
        raise NotFound("No API key with this id.")
    repository.delete(session, api_key=api_key)
