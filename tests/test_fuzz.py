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
        # Every check is on (the default); these tell the checks what this API answers.
        "checks": {
            # Input that no JSON Schema can judge is refused with a 422 naming it: a cursor is
            # opaque and must come from a previous page; a time zone must exist in the IANA
            # database; a subdivision must belong to the country; an event's fields depend on
            # its type (RULES.md); a URL must be https on a public address. A 422 is then the
            # right answer to "schema-valid" data, and the check takes it as one. So is a 412 to a
            # made-up `If-Match` (it cannot match the current ETag), as a 404 is to a made-up id.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "409", "412", "422"]},
        },
    }
)


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
    case.call_and_validate(headers=fuzz_headers)


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
