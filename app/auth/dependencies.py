from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.db import SessionDep
from app.errors import Unauthorized
from app.users.models import User

# HTTPBearer gives Swagger UI's Authorize button a field for the API key.
bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", description="An API key: `fu_<prefix>_<secret>`.")


def current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    user = service.authenticate(session, key=credentials.credentials)
    if user is None:
        raise Unauthorized("The API key is not valid.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
