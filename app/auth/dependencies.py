from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security.utils import get_authorization_scheme_param

from app.auth import service
from app.auth.cache import KeyCache, Verified
from app.core.limits import RateLimiter
from app.core.observability import RESPONSE_HEADERS_SCOPE_KEY, USER_ID_SCOPE_KEY
from app.core.problems import TooManyRequests, Unauthorized
from app.core.session import Database
from app.users.models import User

# How the OpenAPI document names the API key (app.main documents it on every operation
# that depends on current_user): Swagger UI's Authorize button gets a field for it.
SECURITY_SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = {"type": "http", "description": "An API key: `fu_<prefix>_<secret>`.", "scheme": "bearer"}


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, read as FastAPI's HTTPBearer
    reads it; None without one."""
    scheme, key = get_authorization_scheme_param(authorization)
    return key if key and scheme.lower() == "bearer" else None


async def verified(app: FastAPI, key: str) -> Verified | None:
    """`key`, verified: from the process's cache (app.auth.cache), else from the database
    (`Database.lookup`: not in a session slot, which the request may already hold). Async,
    so that a cached key costs no thread hop."""
    cache: KeyCache = app.state.key_cache
    found = cache.get(service.hash_key(key))
    if found is None:
        database: Database = app.state.database
        found = await database.lookup(partial(service.verify, key=key))
        if found is not None:
            cache.put(found)
    return found


async def current_user(request: Request) -> User:
    """The request's API key, verified (`verified`), and its rate limit.

    It reads the `Authorization` header itself, as FastAPI's HTTPBearer would, rather than
    depend on HTTPBearer: every dependency FastAPI resolves costs each request as much as
    the rest of the authentication."""
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    found = await verified(request.app, key)
    if found is None:
        raise Unauthorized("The API key is not valid.")
    request.scope[USER_ID_SCOPE_KEY] = found.user.id
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        # Keyed on the key's hash: each key has its own budget, and a key that does not
        # verify never gets a bucket.
        allowance = limiter.hit(found.key_hash)
        request.scope[RESPONSE_HEADERS_SCOPE_KEY] = allowance.raw_headers()
        if not allowance.allowed:
            raise TooManyRequests(
                f"More than {allowance.limit} requests a minute with this API key; retry in "
                f"{allowance.retry_after_seconds} s.",
                retry_after=allowance.retry_after_seconds,
            )
    return found.user


CurrentUser = Annotated[User, Depends(current_user)]
