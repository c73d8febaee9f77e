"""Limits that protect the service from its clients: request bodies of at most 1 MiB and
a request rate per API key.

The body limit is a pure ASGI middleware, so every route has it, the ATS receiver (which
reads the raw body for its signature) included. The rate limit is applied where the API
key is known: the authentication dependency calls `RateLimiter.hit` once the key is
verified, so unknown keys cannot fill the table and one user's keys do not share a budget.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

MAX_BODY_BYTES = 1024 * 1024
# On every answer to a request with a valid API key (the IETF draft's names, then the older
# X- ones).
RATE_LIMIT_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)
# The same names as they go on the wire (ASGI headers are lower-case bytes).
_RAW_NAMES = {name: name.lower().encode("latin-1") for name in (*RATE_LIMIT_HEADERS, "Retry-After")}
TOO_LARGE_DETAIL = f"The request body may have at most {MAX_BODY_BYTES} bytes (1 MiB)."


def limit_for(path: str, larger: Mapping[str, int]) -> int:
    """The most bytes a request body to `path` may have: the limit of the first of
    `larger`'s prefixes it starts with, else MAX_BODY_BYTES."""
    return next((size for prefix, size in larger.items() if path.startswith(prefix)), MAX_BODY_BYTES)


def too_large(limit: int) -> str:
    if limit == MAX_BODY_BYTES:
        return TOO_LARGE_DETAIL
    return f"The request body may have at most {limit} bytes ({limit / 1024 / 1024:g} MiB)."


class BodyLimitMiddleware:
    """Refuses a body over `limit` bytes with 413: at once when Content-Length says so,
    else as soon as the bytes received so far pass the limit (a chunked body), by raising
    from `receive` in the route that reads it, before the rest is read. Paths under one of
    `larger`'s prefixes (raw email messages) have that limit instead."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = limit
        self.larger = tuple((larger or {}).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((size for prefix, size in self.larger if path.startswith(prefix)), self.default)
        detail = too_large(limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await problem_response(413, detail)(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException from the body through as it is; the
                    # error handlers render it as a problem.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Allowance:
    """The outcome of one request against its key's bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until one request is allowed (0 when allowed)

    def headers(self) -> dict[str, str]:
        reset = str(self.reset_seconds)
        headers = {
            # IETF draft "RateLimit header fields for HTTP": reset in seconds from now.
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": reset,
            # The older, widespread names; the reset as a Unix time, as GitHub sends it.
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(time.time() + self.reset_seconds)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers()` as ASGI response headers, for app.core.observability to add."""
        return [(_RAW_NAMES[name], value.encode("latin-1")) for name, value in self.headers().items()]


class RateLimiter:
    """A token bucket per key, in this process: `per_minute` requests a minute on average,
    with bursts of up to `per_minute`. With several processes or replicas each has its own
    buckets, so the limit applies per process (see the README)."""

    # Full buckets idle this long are dropped, so the table holds only recent keys.
    IDLE_SECONDS = 600.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.Lock()
        self.next_sweep = clock() + self.IDLE_SECONDS

    def hit(self, key: str) -> Allowance:
        now = self.clock()
        with self.lock:
            if now >= self.next_sweep:
                self._sweep(now)
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket(tokens=float(self.per_minute), updated=now)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            missing = self.per_minute - bucket.tokens
            return Allowance(
                allowed=allowed,
                limit=self.per_minute,
                remaining=int(bucket.tokens),
                reset_seconds=math.ceil(missing / self.rate),
                retry_after_seconds=0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / self.rate)),
            )

    def _sweep(self, now: float) -> None:
        idle = [key for key, bucket in self.buckets.items() if now - bucket.updated > self.IDLE_SECONDS]
        for key in idle:
            del self.buckets[key]
        self.next_sweep = now + self.IDLE_SECONDS
