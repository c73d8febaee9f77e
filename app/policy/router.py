from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import AUTH_RESPONSES, VALIDATION_RESPONSES
from app.policy import service
from app.policy.schemas import CataloguePublic, PolicyPublic, PolicyUpdate

router = APIRouter(prefix="/v1", tags=["policy"], responses=AUTH_RESPONSES)


@router.get("/policy", operation_id="getPolicy")
def get_policy(session: SessionDep, user: CurrentUser) -> PolicyPublic:
    """Your effective follow-up policy and its version."""
    return service.get(session, user=user)


@router.patch("/policy", operation_id="updatePolicy", responses=VALIDATION_RESPONSES)
def update_policy(session: SessionDep, user: CurrentUser, body: PolicyUpdate) -> PolicyPublic:
    """Change policy keys (null restores a default); every next action is recomputed."""
    return service.update(session, user=user, changes=body)


@router.get("/rules", operation_id="listRules", tags=["rules"])
def list_rules(user: CurrentUser) -> CataloguePublic:
    """The rule catalogue: each rule, the policy keys it reads, the defaults and the version."""
    return service.rule_catalogue()
