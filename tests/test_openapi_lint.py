"""The committed openapi/openapi.json passes Redocly's `recommended` ruleset and Spectral's
`spectral:oas` with no error and no warning, no rule turned off: the linters that client
generators and API portals run on it. Both are pinned in openapi/lint."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import debian
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

SCHEMA = ROOT / "openapi" / "openapi.json"
LINT = ROOT / "openapi" / "lint"
# Redocly CLI reports usage and looks for a newer release unless told not to; neither
# belongs in a test run.
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


@pytest.fixture(scope="module")
def linters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with the pinned linters installed (`npm ci`), and their configuration."""
    files = ("package.json", "package-lock.json", "redocly.yaml", ".spectral.yaml")
    project = debian.npm_project(LINT, files, tmp_path_factory.mktemp("openapi-lint"))
    yield project


def _run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / "node_modules" / ".bin" / command[0]), *command[1:]],
        cwd=project,
        env=os.environ | QUIET,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def redocly(project: Path, document: Path) -> list[dict[str, Any]]:
    """Redocly's errors and warnings (it exits 0 on warnings, so its report is read)."""
    done = _run(project, "redocly", "lint", "--config", "redocly.yaml", "--format=json", str(document))
    assert done.stdout.lstrip().startswith("{"), done.stdout + done.stderr
    report = json.loads(done.stdout)
    return [problem for problem in report["problems"] if problem["severity"] in ("error", "warn")]


def spectral(project: Path, document: Path) -> list[dict[str, Any]]:
    """Spectral's errors (severity 0) and warnings (1)."""
    # To a file: on standard output an empty report is followed by a sentence.
    report = project / "spectral-report.json"
    report.unlink(missing_ok=True)
    done = _run(
        project,
        "spectral",
        "lint",
        "--ruleset",
        ".spectral.yaml",
        "--format=json",
        "--output",
        str(report),
        str(document),
    )
    assert done.returncode in (0, 1) and report.exists(), done.stdout + done.stderr
    results: list[dict[str, Any]] = json.loads(report.read_text())
    return [result for result in results if result["severity"] <= 1]


def _summary(problems: list[dict[str, Any]]) -> list[str]:
    """Each problem as its rule, its message and where (a JSON pointer or path)."""
    return [
        f"{problem.get('ruleId') or problem.get('code')}: {problem['message']} at "
        + (problem["location"][0]["pointer"] if "location" in problem else "/".join(map(str, problem["path"])))
        for problem in problems
    ]


def test_redocly_recommended_finds_nothing(linters: Path) -> None:
    assert _summary(redocly(linters, SCHEMA)) == []


def test_spectral_oas_finds_nothing(linters: Path) -> None:
    assert _summary(spectral(linters, SCHEMA)) == []


def test_both_linters_report_a_flawed_document(linters: Path, tmp_path: Path) -> None:
    """The two tests above can fail: a document without servers, and with a tag that
    operations use left undefined, is reported by both."""
    schema = json.loads(SCHEMA.read_text())
    del schema["servers"]
    schema["tags"] = schema["tags"][1:]
    flawed = tmp_path / "openapi.json"
    flawed.write_text(json.dumps(schema))
    assert "no-empty-servers" in {problem["ruleId"] for problem in redocly(linters, flawed)}
    assert {"oas3-api-servers", "operation-tag-defined"} <= {result["code"] for result in spectral(linters, flawed)}
