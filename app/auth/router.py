from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.auth import service
from app.auth.dependencies import CurrentUser
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyId, ApiKeyPublic
from app.core.etags import shown_once
from app.core.json_input import JsonRoute
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import AUTH_RESPONSES, NOT_FOUND_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep

router = APIRouter(
    route_class=JsonRoute, prefix="/v1/api-keys", tags=["api-keys"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createApiKey")
def create_api_key(
    session: SessionDep, user: CurrentUser, response: Response, body: ApiKeyCreate | None = None
) -> ApiKeyCreated:
    """Create an API key; the key is in this response only."""
    api_key, plain = service.create(session, user=user, name=body.name if body else None)
    shown_once(response)
    return ApiKeyCreated(**ApiKeyPublic.model_validate(api_key).model_dump(), key=plain)


@router.get("", operation_id="listApiKeys")
def list_api_keys(
    session: SessionDep, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ApiKeyPublic]:
    """List your API keys (never their secrets)."""
    rows, next_cursor = service.list_page(session, user=user, limit=limit, cursor=cursor)
    return Page(data=[ApiKeyPublic.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteApiKey", responses=NOT_FOUND_RESPONSES
)
def delete_api_key(request: Request, session: SessionDep, user: CurrentUser, key_id: ApiKeyId) -> Response:
    """Revoke an API key; requests with it answer 401 from now on."""
    service.delete(session, user=user, key_id=key_id)
    # This process forgets it at once; see app.auth.cache for the others.
    request.app.state.key_cache.forget(key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
