"""Schemathesis against the app in-process, on SQLite and on Postgres (the `app` fixture is
parametrized by backend): every operation of the published schema (`openapi/openapi.json`,
which test_cli keeps equal to the app's) with valid and invalid data, then sequences of
calls that follow the links between operations (the stateful phase), with every check.

A fixed seed and `derandomize` make each run the same cases; `FUZZ_EXAMPLES` examples per
operation (at least 50)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import ROOT, new_user
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import Engine

from app.models import metadata

pytestmark = pytest.mark.slow

SEED = 20260302
FUZZ_EXAMPLES = max(50, int(os.environ.get("FOLLOWUP_FUZZ_EXAMPLES", "50")))
STATEFUL_SCENARIOS = 60
STATEFUL_STEPS = 8

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "base-url": "http://localhost",
        "generation": {"mode": "all", "deterministic": True, "max-examples": FUZZ_EXAMPLES},
        # Every check is on (the default). Data the schema calls valid must be accepted: a 2xx,
        # or the answer to a made-up id (404), key (401), ETag (412) or a state the data does
        # not fit (409). A 422 is not on the list: `accepts_schema_valid_data` below lets
        # through only the refusals that no JSON Schema can express, each named with its reason.
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "409", "412"]}},
    }
)

# What a schema cannot say, by where the problem points (its `loc`) and what it says. A
# schema-valid request refused for anything else fails the test.
BEYOND_ANY_SCHEMA: tuple[tuple[tuple[str | int, ...], str, str], ...] = (
    (("query", "cursor"), "", "a cursor is opaque: only one the service issued (a next_cursor) is valid"),
    (
        ("header", "Idempotency-Key"),
        "another request body",
        "a key may be reused only with the same body: a property of two requests, not of one",
    ),
    (("body", "contact_id"), "No contact", "an id inside a body must name a contact of this user's interview"),
    (("body", "integration_id"), "No integration", "an id inside a body must name an integration of this user"),
    (
        ("body", "from_message_id"),
        "message",
        "an id inside a body must name a stored invite of this user, not yet applied to an interview",
    ),
    (("body", "occurred_at"), "in the future", "an event cannot be dated ahead of now, which moves"),
    (
        ("body", "subdivision"),
        "unknown subdivision",
        "a subdivision must belong to the country of this body or of the stored policy",
    ),
    (
        ("body", "url"),
        "non-public address",
        "a webhook URL's host must be public, which only resolving it tells",
    ),
    (("body", "url"), "localhost", "a webhook URL's host must be public: localhost is not"),
    (
        ("body", "url"),
        "not a valid name",
        "a host name is at most 253 characters: a pattern says it only with a look-ahead no generator draws from",
    ),
    (("body",), "not an email message", "a schema cannot tell whether bytes parse as an RFC 5322 message"),
)


def _excused(error: dict[str, Any]) -> bool:
    loc = tuple(error.get("loc", ()))
    message = str(error.get("msg", ""))
    return any(loc[-len(where) :] == where and says in message for where, says, _reason in BEYOND_ANY_SCHEMA)


def accepts_schema_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' `positive_data_acceptance`, except for the refusals of BEYOND_ANY_SCHEMA."""
    if response.status_code == 422 and case.meta is not None and case.meta.generation.mode.is_positive:
        errors = response.json().get("errors") or []
        if errors and all(_excused(error) for error in errors):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS: dict[str, Any] = {
    "excluded_checks": [positive_data_acceptance],
    "additional_checks": [accepts_schema_valid_data],
}


class CurrentApp:
    """The app of the backend under test: the schema is loaded once, at collection, and
    its requests (and those the checks send themselves) go to whichever app is current."""

    target: FastAPI | None = None
    requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "the fuzz tests set the app first"
        self.requests += scope["type"] == "http"
        await self.target(scope, receive, send)


CURRENT_APP = CurrentApp()


@st.composite
def raw_messages(draw: st.DrawFn) -> bytes:
    """Bodies for `message/rfc822`: messages with generated headers and text, and bytes that
    may not be a message at all (a 422)."""
    header = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=60)
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    lines = [f"{name}: {draw(header)}" for name in draw(st.lists(st.sampled_from(MAIL_HEADERS), max_size=8))]
    body = draw(st.text(max_size=200))
    return ("\r\n".join(["From: Ana <ana@example.com>", *lines, "", body])).encode("utf-8", "surrogateescape")


MAIL_HEADERS = ["To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "List-Id"]
schemathesis.openapi.media_type("message/rfc822", raw_messages())
schema = schemathesis.openapi.from_path(ROOT / "openapi" / "openapi.json", config=CONFIG)
schema.app = CURRENT_APP
HYPOTHESIS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_headers(app: FastAPI, engine: Engine) -> Iterator[dict[str, str]]:
    CURRENT_APP.target = app
    yield new_user(engine, "fuzz@example.com")
    CURRENT_APP.target = None


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_holds_up(case: Any, app: FastAPI, fuzz_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=fuzz_headers, **CHECKS)


def test_sequences_of_calls_hold_up(engine: Engine, fuzz_headers: dict[str, str]) -> None:
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Each scenario starts from the same state (the fuzz user and its key), so that
            # the same calls get the same answers: Hypothesis requires it.
            with engine.begin() as connection:
                for table in reversed(metadata.sorted_tables):
                    if table.name not in ("users", "api_keys"):
                        connection.execute(table.delete())

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": fuzz_headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, **CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    before = CURRENT_APP.requests
    Workflow.run(
        settings=settings(
            HYPOTHESIS,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            # A failure is reported as found, not shrunk: a replay gets new ids from the
            # database, so it is never quite the same run.
            phases=[Phase.explicit, Phase.generate],
        )
    )
    # Scenarios of several linked calls each ran (with the checks' own requests).
    assert CURRENT_APP.requests - before > 4 * STATEFUL_SCENARIOS
