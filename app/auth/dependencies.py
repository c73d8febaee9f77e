from __future__ import annotations

import time
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.exc import IntegrityError

from app.auth import service
from app.auth.cache import KeyCache, Verified
from app.auth.oidc import InvalidToken, TokenVerifier, looks_like_jwt
from app.core.limits import RateLimiter
from app.core.observability import RESPONSE_HEADERS_SCOPE_KEY, USER_ID_SCOPE_KEY
from app.core.problems import TooManyRequests, Unauthorized
from app.core.session import Database
from app.users.models import User

# How the OpenAPI document names the API key or token (app.main documents it on every
# operation that depends on current_user): Swagger UI's Authorize button gets a field for it.
SECURITY_SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = {
    "type": "http",
    "description": "An API key, `fu_<prefix>_<secret>`, or an access token of the identity provider the "
    "service trusts (FOLLOWUP_OIDC_ISSUER).",
    "scheme": "bearer",
}


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


async def token_verified(app: FastAPI, verifier: TokenVerifier, token: str) -> Verified:
    """An OpenID Connect access token, verified (app.auth.oidc), and its subject's user,
    made on the subject's first token; remembered in the process's cache for at most what
    the token has left to live."""
    cache: KeyCache = app.state.key_cache
    token_hash = service.hash_key(token)
    found = cache.get(token_hash)
    if found is not None:
        return found
    # In a worker thread: it may fetch the provider's keys.
    claims = await anyio.to_thread.run_sync(verifier.verify, token)
    if claims is None:
        raise InvalidToken("The access token is not valid.")
    database: Database = app.state.database
    found = await database.lookup(partial(service.token_user, claims=claims, token_hash=token_hash))
    if found is None:
        try:
            found = await database.lookup(
                partial(service.provision_token_user, claims=claims, token_hash=token_hash), writes=True
            )
        except IntegrityError:
            # Another request made the same subject's user in the meantime.
            found = await database.lookup(partial(service.token_user, claims=claims, token_hash=token_hash))
            if found is None:
                raise
    cache.put(found, at_most_seconds=claims.expires_at - time.time())
    return found


async def current_user(request: Request) -> User:
    """The request's API key or OpenID Connect access token, verified (`verified`,
    `token_verified`), and its rate limit.

    It reads the `Authorization` header itself, as FastAPI's HTTPBearer would, rather than
    depend on HTTPBearer: every dependency FastAPI resolves costs each request as much as
    the rest of the authentication."""
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    oidc: TokenVerifier | None = request.app.state.oidc
    found: Verified | None
    # What the client sent, in the words of the problems it may get.
    credential = "API key"
    if oidc is not None and looks_like_jwt(key):
        credential = "access token"
        found = await token_verified(request.app, oidc, key)
    else:
        found = await verified(request.app, key)
    if found is None:
        raise Unauthorized(f"The {credential} is not valid.")
    request.scope[USER_ID_SCOPE_KEY] = found.user.id
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        # Keyed on the key's hash (a token's user): each key has its own budget, and a key
        # that does not verify never gets a bucket.
        allowance = limiter.hit(found.rate_bucket)
        request.scope[RESPONSE_HEADERS_SCOPE_KEY] = allowance.raw_headers()
        if not allowance.allowed:
            raise TooManyRequests(
                f"More than {allowance.limit} requests a minute with this {credential}; retry in "
                f"{allowance.retry_after_seconds} s.",
                retry_after=allowance.retry_after_seconds,
            )
    return found.user


CurrentUser = Annotated[User, Depends(current_user)]
