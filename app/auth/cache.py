"""Verified API keys, remembered in the process for a few seconds.

Every request authenticates, and most of them come from a few keys (a phone polling its
home screen). A key that verified against the database is kept here, under the SHA-256
hash of the key as presented, for `ttl` seconds: the next requests with it need neither a
query nor a worker thread. Revoking a key (`DELETE /v1/api-keys/{id}`) forgets it at once
in the process that served the DELETE; other processes of the same deployment keep
accepting it until their entry runs out, `FOLLOWUP_AUTH_CACHE_SECONDS` at most (0 turns
the cache off).

Verified OpenID Connect access tokens are kept here too, under the hash of the token, for
no longer than the token has left to live.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.users.models import User


@dataclass(frozen=True)
class Verified:
    """A key that verified: its row's id and hash (the rate limit's bucket), and its user
    (detached from any session; routes read its attributes only). For an access token:
    no row id, the token's hash, and the rate limit's bucket is the user's (a frontend's
    tokens change every hour or so, its user does not)."""

    key_id: str
    key_hash: str
    user: User
    bucket: str | None = None

    @property
    def rate_bucket(self) -> str:
        return self.bucket or self.key_hash


class KeyCache:
    """An LRU of verified keys with a time to live, safe to share between threads."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Verified]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key_hash: str) -> Verified | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is None:
                return None
            expires, verified = entry
            if self.clock() >= expires:
                del self._entries[key_hash]
                return None
            self._entries.move_to_end(key_hash)
            return verified

    def put(self, verified: Verified, *, at_most_seconds: float | None = None) -> None:
        """Keep `verified` for `ttl` seconds, or `at_most_seconds` when that is shorter
        (what an access token has left to live)."""
        ttl = self.ttl if at_most_seconds is None else min(self.ttl, at_most_seconds)
        if not self.enabled or ttl <= 0:
            return
        with self._lock:
            self._entries[verified.key_hash] = (self.clock() + ttl, verified)
            self._entries.move_to_end(verified.key_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, key_id: str) -> None:
        """Drop the key with this row id (it was revoked)."""
        with self._lock:
            for key_hash in [h for h, (_, v) in self._entries.items() if v.key_id == key_id]:
                del self._entries[key_hash]

    def forget_user(self, user_id: str) -> None:
        """Drop every key and token of this user (it was erased)."""
        with self._lock:
            for key_hash in [h for h, (_, v) in self._entries.items() if v.user.id == user_id]:
                del self._entries[key_hash]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
