from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse

from app.auth.dependencies import CurrentUser
from app.core.json_input import JsonRoute
from app.core.problems import AUTH_RESPONSES
from app.core.session import SessionDep
from app.me import service
from app.me.schemas import MePublic

router = APIRouter(route_class=JsonRoute, prefix="/v1/me", tags=["me"], responses=AUTH_RESPONSES)

EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "Everything of yours, as one JSON document sent as it is read: "
        '`{"format": "followup-export/1", "exported_at": …, "tables": {"interviews": [...], ...}}`, '
        "one list of rows per table; secrets (API keys, signing secrets, mailbox passwords, the "
        "calendar feed's token) are left out.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get("", operation_id="getMe")
def get_me(session: SessionDep, user: CurrentUser) -> MePublic:
    """Who you are to the service: your id, email and how you sign in."""
    return service.me(session, user=user)


@router.get("/export", operation_id="exportMe", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
def export_me(request: Request, user: CurrentUser) -> StreamingResponse:
    """Everything the service holds of yours, as one JSON document."""
    engine = request.app.state.database.engine
    return StreamingResponse(
        service.export(engine, user_id=user.id),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="followup-export.json"', "Cache-Control": "no-store"},
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteMe")
def delete_me(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Erase yourself and everything of yours; your API keys stop working at once."""
    service.erase(session, user=user)
    # This process forgets the user's keys and tokens at once; see app.auth.cache for the others.
    request.app.state.key_cache.forget_user(user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
