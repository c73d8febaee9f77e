from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.db import SessionDep
from app.errors import TooManyRequests, Unauthorized
from app.limits import RateLimiter
from app.observability import RESPONSE_HEADERS_SCOPE_KEY, USER_ID_SCOPE_KEY
from app.users.models import User

# HTTPBearer gives Swagger UI's Authorize button a field for the API key.
bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", description="An API key: `fu_<prefix>_<secret>`.")


def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    found = service.authenticate(session, key=credentials.credentials)
    if found is None:
        raise Unauthorized("The API key is not valid.")
    user, api_key = found
    request.scope[USER_ID_SCOPE_KEY] = user.id
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        # Keyed on the key's hash: each key has its own budget, and a key that does not
        # verify never gets a bucket.
        allowance = limiter.hit(api_key.key_hash)
        request.scope[RESPONSE_HEADERS_SCOPE_KEY] = allowance.headers()
        if not allowance.allowed:
            raise TooManyRequests(
                f"More than {allowance.limit} requests a minute with this API key; retry in "
                f"{allowance.retry_after_seconds} s.",
                retry_after=allowance.retry_after_seconds,
            )
    return user


CurrentUser = Annotated[User, Depends(current_user)]
