from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.core.columns import utcnow
from app.core.etags import NONE, Preconditions, Tagged, make_etag
from app.core.problems import InvalidInput, ProblemError
from app.nextaction import refresh
from app.policy import repository
from app.policy.models import PolicyOverrides
from app.policy.schemas import CataloguePublic, PolicyPublic, PolicyUpdate, RuleInfoPublic
from app.rules import Policy, PolicyError, build_policy, catalogue, policy_to_dict, policy_version
from app.users import repository as user_repository
from app.users.models import User


def _etag(user_id: str, row: PolicyOverrides | None, policy: Policy) -> str:
    # The policy_version covers what the row does not: new rules or defaults.
    return make_etag("policy", user_id, row.version if row is not None else 0, policy_version(policy))


def _public(policy: Policy, overrides: Mapping[str, Any]) -> PolicyPublic:
    return PolicyPublic.model_validate(
        {**policy_to_dict(policy), "policy_version": policy_version(policy), "overridden": sorted(overrides)}
    )


def get(session: Session, *, user: User) -> Tagged[PolicyPublic]:
    row = repository.get(session, user_id=user.id)
    overrides = dict(row.overrides) if row is not None else {}
    policy = build_policy(overrides, stored=True)
    return Tagged(_public(policy, overrides), _etag(user.id, row, policy))


def update(
    session: Session, *, user: User, changes: PolicyUpdate, preconditions: Preconditions = NONE
) -> Tagged[PolicyPublic]:
    """Merge `changes` into the user's overrides, validate the whole policy, save it and
    refresh the stored next action of every interview of the user."""
    user_repository.lock(session, user_id=user.id)
    current = repository.get(session, user_id=user.id)
    overrides = dict(current.overrides) if current is not None else {}
    preconditions.check(_etag(user.id, current, build_policy(overrides, stored=True)), what="policy")
    changed = changes.model_dump(exclude_unset=True, mode="json")
    for key, value in changed.items():
        if value is None:
            overrides.pop(key, None)
        elif key == "role_family_days":
            overrides[key] = {**overrides.get(key, {}), **value}
        else:
            overrides[key] = value
    try:
        # A time zone kept from before is read as stored; a new one is checked in full.
        policy = build_policy(overrides, stored="timezone" not in changed)
    except PolicyError as error:
        raise InvalidInput(
            str(error), [ProblemError(loc=["body", *key.split(".")], msg=message) for key, message in error.problems]
        ) from None
    if current is None:
        row = PolicyOverrides(user_id=user.id, overrides=overrides)
    else:
        row = current
        row.overrides = overrides
        row.version += 1
    row.updated_at = utcnow()
    repository.save(session, row=row)
    refresh.refresh_all(session, user_id=user.id, policy=policy)
    return Tagged(_public(policy, overrides), _etag(user.id, row, policy))


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
