from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentUser
from app.core.json_input import JsonRoute
from app.core.problems import AUTH_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep
from app.followups.schemas import NextActionPublic
from app.simulate import service
from app.simulate.schemas import SimulateRequest

router = APIRouter(
    route_class=JsonRoute, prefix="/v1", tags=["simulate"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


@router.post("/simulate", operation_id="simulateNextAction")
def simulate(session: SessionDep, user: CurrentUser, body: SimulateRequest) -> NextActionPublic:
    """What-if: the next action for an interview, contacts and events sent in the body. Stores nothing."""
    return service.simulate(session, user=user, body=body)
