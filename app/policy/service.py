from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.db import utcnow
from app.errors import InvalidInput, ProblemError
from app.followups import service as followup_service
from app.policy import repository
from app.policy.models import PolicyOverrides
from app.policy.schemas import CataloguePublic, PolicyPublic, PolicyUpdate, RuleInfoPublic
from app.rules import Policy, PolicyError, build_policy, catalogue, policy_to_dict, policy_version
from app.users.models import User


def _overrides(session: Session, user_id: str) -> dict[str, Any]:
    row = repository.get(session, user_id=user_id)
    return dict(row.overrides) if row is not None else {}


def get_policy(session: Session, *, user_id: str) -> Policy:
    """The user's effective policy: the defaults with the user's overrides applied."""
    return build_policy(_overrides(session, user_id))


def _public(policy: Policy, overrides: Mapping[str, Any]) -> PolicyPublic:
    return PolicyPublic.model_validate(
        {**policy_to_dict(policy), "policy_version": policy_version(policy), "overridden": sorted(overrides)}
    )


def get(session: Session, *, user: User) -> PolicyPublic:
    overrides = _overrides(session, user.id)
    return _public(build_policy(overrides), overrides)


def update(session: Session, *, user: User, changes: PolicyUpdate) -> PolicyPublic:
    """Merge `changes` into the user's overrides, validate the whole policy, save it and
    refresh the stored next action of every interview of the user."""
    overrides = _overrides(session, user.id)
    for key, value in changes.model_dump(exclude_unset=True, mode="json").items():
        if value is None:
            overrides.pop(key, None)
        elif key == "role_family_days":
            overrides[key] = {**overrides.get(key, {}), **value}
        else:
            overrides[key] = value
    try:
        policy = build_policy(overrides)
    except PolicyError as error:
        raise InvalidInput(
            str(error), [ProblemError(loc=["body", *key.split(".")], msg=message) for key, message in error.problems]
        ) from None
    row = repository.get(session, user_id=user.id) or PolicyOverrides(user_id=user.id)
    row.overrides = overrides
    row.updated_at = utcnow()
    repository.save(session, row=row)
    followup_service.refresh_all(session, user_id=user.id, policy=policy)
    return _public(policy, overrides)


def rule_catalogue() -> CataloguePublic:
    found = catalogue()
    return CataloguePublic(
        version=found.version,
        rules=[
            RuleInfoPublic(id=r.id, title=r.title, explanation=r.explanation, policy_keys=list(r.policy_keys))
            for r in found.rules
        ],
        defaults=found.defaults,  # type: ignore[arg-type]
    )
