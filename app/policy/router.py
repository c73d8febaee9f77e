from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth.dependencies import CurrentUser
from app.core.etags import READ_RESPONSES, IfMatch, IfNoneMatch, send
from app.core.json_input import JsonRoute
from app.core.problems import AUTH_RESPONSES, NOT_MODIFIED_RESPONSES, PRECONDITION_RESPONSES, VALIDATION_RESPONSES
from app.core.session import SessionDep
from app.policy import service
from app.policy.schemas import CataloguePublic, PolicyPublic, PolicyUpdate

router = APIRouter(route_class=JsonRoute, prefix="/v1", tags=["policy"], responses=AUTH_RESPONSES)


@router.get(
    "/policy",
    operation_id="getPolicy",
    responses=READ_RESPONSES | NOT_MODIFIED_RESPONSES | VALIDATION_RESPONSES,
)
def get_policy(
    session: SessionDep, user: CurrentUser, response: Response, if_none_match: IfNoneMatch = None
) -> PolicyPublic:
    """Your effective follow-up policy and its version; the `ETag` header names this version."""
    return send(response, service.get(session, user=user), if_none_match)


@router.patch(
    "/policy",
    operation_id="updatePolicy",
    responses=READ_RESPONSES | VALIDATION_RESPONSES | PRECONDITION_RESPONSES,
)
def update_policy(
    session: SessionDep, user: CurrentUser, body: PolicyUpdate, response: Response, preconditions: IfMatch
) -> PolicyPublic:
    """Change policy keys (null restores a default); every next action is recomputed. With
    `If-Match`, only if nobody changed the policy since you read that ETag (else 412)."""
    return send(response, service.update(session, user=user, changes=body, preconditions=preconditions))


@router.get("/rules", operation_id="listRules", tags=["rules"])
def list_rules(user: CurrentUser) -> CataloguePublic:
    """The rule catalogue: each rule, the policy keys it reads, the defaults and the version."""
    return service.rule_catalogue()
