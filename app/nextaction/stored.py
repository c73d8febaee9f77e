"""Whether a stored next action may be served as it is. The next action, the agenda, the
calendar feed and the follow-up webhooks all ask `servable`, so they never disagree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from app.followups.schemas import NextActionPublic
from app.rules import build_policy, policy_version

# The fields of an answer; a stored result with others (an older shape) is not served.
ANSWER_FIELDS = frozenset(NextActionPublic.model_fields)


@dataclass(frozen=True)
class StoredAction:
    """The next action stored on an interview row, and what tells whether it still holds:
    when it runs out, the policy version it was computed with, and the user's policy
    overrides now (None: the defaults)."""

    result: dict[str, Any]
    expires_at: datetime | None
    policy_version: str | None
    overrides: Mapping[str, Any] | None


def version_of(overrides: Mapping[str, Any] | None) -> str:
    """The policy_version of the policy these overrides give (None: the defaults). It
    covers the rules' version too, so a deploy that changes a rule or a default changes
    it."""
    return _version_of(json.dumps(overrides, sort_keys=True) if overrides else "{}")


@lru_cache(maxsize=1024)
def _version_of(canonical_overrides: str) -> str:
    return policy_version(build_policy(json.loads(canonical_overrides), stored=True))


def utc_json(instant: datetime) -> str:
    """A time in UTC as the answers write it (pydantic's format: ISO 8601, `Z`)."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def servable(stored: StoredAction, now: datetime, *, due_at: datetime | None = None) -> dict[str, Any] | None:
    """The stored result (JSON-ready) as the engine would compute it at `now`, with `due`
    as of `due_at` (default `now`), or None when it may not be served: it ran out
    (`latest_recommended_at`, the end of a thank-you window), it was computed ahead of
    `now` (an event dated a little in the future), the user's policy or the rules changed
    since, or it was stored in another shape.

    Between writes, the engine's answer changes only in `as_of` and `due` until
    `latest_recommended_at` (tests/rules/test_properties.py checks this property), and
    every write refreshes the stored result in its own transaction. The result was written
    by the model that validated it (`refresh`), so it is served as it is, with those two
    fields set."""
    result = stored.result
    if not result or result.keys() != ANSWER_FIELDS:
        return None
    if stored.expires_at is not None and now >= stored.expires_at:
        return None
    if stored.policy_version != version_of(stored.overrides):
        return None
    try:
        as_of = datetime.fromisoformat(result["as_of"])
        earliest = result["earliest_allowed_at"]
        earliest_at = None if earliest is None else datetime.fromisoformat(earliest)
    except (TypeError, ValueError):
        return None
    if as_of > now:
        return None
    reference = now if due_at is None else due_at
    return result | {"as_of": utc_json(now), "due": earliest_at is not None and reference >= earliest_at}
