"""Clients generated from openapi/openapi.json work: a Python client made by
openapi-python-client runs RULES.md's worked example against a live server, and the
TypeScript types of openapi-typescript type-check a small usage file (clients/typescript)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import debian
import pytest
from conftest import ROOT, new_user
from live import LiveServer, running_server
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SCHEMA = ROOT / "openapi" / "openapi.json"
TYPESCRIPT = ROOT / "clients" / "typescript"
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
NEW_YORK_SUMMER = timezone(timedelta(hours=-4))


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from the committed schema."""
    where = tmp_path_factory.mktemp("python-client")
    generated = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", SCHEMA, "--meta", "none"]
        + ["--output-path", where / "followup_client"],
        cwd=where,
        env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},  # it formats with ruff
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # every operation and model was generated
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("followup_client")
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.startswith("followup_client")]:
            del sys.modules[name]


@pytest.fixture
def server(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path, workers=1) as live:
        yield live


def _module(client: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{client.__name__}.{name}")


def test_the_generated_python_client_runs_the_worked_example(
    python_client: ModuleType, server: LiveServer, engine: Engine
) -> None:
    models = _module(python_client, "models")
    api = "api"
    create_interview = _module(python_client, f"{api}.interviews.create_interview")
    create_contact = _module(python_client, f"{api}.contacts.create_contact")
    create_event = _module(python_client, f"{api}.events.create_event")
    get_next_action = _module(python_client, f"{api}.follow_ups.get_next_action")
    update_policy = _module(python_client, f"{api}.policy.update_policy")
    key = new_user(engine, "generated@example.com")["Authorization"].removeprefix("Bearer ")

    with python_client.AuthenticatedClient(
        base_url=server.base_url, token=key, raise_on_unexpected_status=True
    ) as client:
        policy = update_policy.sync(client=client, body=models.PolicyUpdate(country="US"))
        assert isinstance(policy, models.PolicyPublic) and policy.country == "US"

        interview = create_interview.sync(
            client=client,
            body=models.InterviewCreate(
                company="Acme",
                role_title="Backend Engineer",
                role_family=models.RoleFamily.ENGINEERING,
                interview_at=datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK_WINTER),
                timezone="America/New_York",
                contacts=[
                    models.ContactCreate(
                        name="Ana", email="ana@example.com", role=models.Role.RECRUITER, is_primary=True
                    )
                ],
            ),
        )
        assert isinstance(interview, models.InterviewPublic), interview
        assert interview.interview_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

        ben = create_contact.sync(
            interview.id,
            client=client,
            body=models.ContactCreate(name="Ben", email="ben@example.com", role=models.Role.HIRING_MANAGER),
        )
        assert isinstance(ben, models.ContactPublic) and not ben.is_primary

        # Each type of event is a model of its own, with its fields; the answer is the same type's.
        thanks = create_event.sync(
            interview.id,
            client=client,
            body=models.ThankYouSentEventCreate(
                type_="thank_you_sent", occurred_at=datetime(2026, 3, 2, 15, 0, tzinfo=NEW_YORK_WINTER)
            ),
        )
        assert isinstance(thanks, models.ThankYouSentEvent), thanks
        timeline = create_event.sync(
            interview.id,
            client=client,
            body=models.TimelineSharedEventCreate(
                type_="timeline_shared",
                occurred_at=datetime(2026, 3, 3, 12, 0, tzinfo=NEW_YORK_WINTER),
                decision_expected_by=date(2026, 3, 6),
            ),
        )
        assert isinstance(timeline, models.TimelineSharedEvent), timeline
        assert timeline.decision_expected_by == date(2026, 3, 6)
        assert timeline.source == models.EventSource.API

        at = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK_WINTER)
        action = get_next_action.sync(interview.id, client=client, at=at)
        assert isinstance(action, models.NextActionPublic), action
        assert action.action == models.Action.SEND_STATUS_CHECK
        assert action.earliest_allowed_at == datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK_SUMMER)
        assert action.earliest_allowed_date == date(2026, 3, 9)
        assert action.contact is not None and action.contact.name == "Ana"
        assert action.expected_decision_by == date(2026, 3, 6)

        # Errors come back typed too: a problem with its status.
        missing = get_next_action.sync_detailed("no-such-interview", client=client)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.Problem) and missing.parsed.status == 404


def test_the_typescript_types_compile_a_typed_usage(tmp_path: Path) -> None:
    npm = debian.npm()
    project = tmp_path / "typescript"
    project.mkdir()
    files = ("package.json", "package-lock.json", "tsconfig.json", "usage.ts", "tsconfig.refused.json", "refused.ts")
    debian.npm_project(TYPESCRIPT, files, project)

    def run(*command: str) -> None:
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False, timeout=300)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"

    npx = str(Path(npm).with_name("npx"))
    run(npx, "openapi-typescript", str(SCHEMA), "-o", "schema.d.ts", "--default-non-nullable", "false")
    assert "send_status_check" in (project / "schema.d.ts").read_text()
    run(npx, "tsc", "--noEmit", "-p", ".")

    # The usage file's deliberate checks bite: with a sixth action in the schema it fails.
    schema = (project / "schema.d.ts").read_text()
    (project / "schema.d.ts").write_text(schema.replace('| "move_on" | "none";', '| "move_on" | "none" | "wait";', 1))
    broken = subprocess.run(
        [npx, "tsc", "--noEmit", "-p", "."], cwd=project, capture_output=True, text=True, check=False
    )
    assert broken.returncode != 0 and "usage.ts" in broken.stdout, broken.stdout

    # A timeline_shared event without its decision_expected_by does not compile, on exactly
    # the line that builds it (the usage file above compiled, with the same types).
    (project / "schema.d.ts").write_text(schema)
    refused = subprocess.run(
        [npx, "tsc", "--noEmit", "-p", "tsconfig.refused.json"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in refused.stdout.splitlines() if ": error TS" in line]
    line = next(
        number
        for number, text in enumerate((project / "refused.ts").read_text().splitlines(), start=1)
        if "const undated" in text
    )
    assert refused.returncode != 0 and len(errors) == 1, refused.stdout
    assert errors[0].startswith(f"refused.ts({line},"), refused.stdout
    assert "'decision_expected_by' is missing" in refused.stdout, refused.stdout
