"""The deployment files and the documentation: compose.yaml is valid and scales out, the
Dockerfile keeps its SQLite file in a volume, every setting is documented with its default,
and the README stays short, links every document, lists every action and event type, and
its curl session works against a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command
from conftest import alembic_config
from live import running_server
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.rules import Action, EventType

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ("configuration.md", "operations.md", "architecture.md", "deploy.md", "benchmarks.md", "auth.md")
README_MAX_BYTES = 8000


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"FOLLOWUP_{field.upper()}"


def table_rows(markdown: str, header: str) -> list[list[str]]:
    """The rows of the table whose first header cell is `header`, as lists of cells."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def documented_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_compose_file_runs_migrations_once_then_api_replicas_and_workers() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "api", "worker"} <= set(services)
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["command"] == ["followup", "serve"]
    assert services["worker"]["command"] == ["followup", "worker"]
    for name in ("api", "worker"):
        service = services[name]
        assert service["deploy"]["replicas"] >= 2
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["FOLLOWUP_EMBEDDED_WORKER"] == "false"
        assert set(environment) - {"DATABASE_URL"} <= {env_name(f) for f in Settings.model_fields}
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_compose_proxy_bounds_slow_and_huge_requests_below_the_api() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    proxy = compose["services"]["proxy"]
    assert "command" not in proxy  # the image's own: caddy run --config /etc/caddy/Caddyfile
    assert proxy["configs"] == [{"source": "caddyfile", "target": "/etc/caddy/Caddyfile"}]
    caddyfile = compose["configs"]["caddyfile"]["content"]
    options = dict(re.findall(r"^\s*(read_header|read_body|max_header_size) (\S+)$", caddyfile, re.MULTILINE))
    assert options == {"read_header": "10s", "read_body": "30s", "max_header_size": "8KiB"}
    defaults = Settings.model_fields
    assert int(options["read_header"].removesuffix("s")) <= defaults["header_timeout_seconds"].default
    # Go's server reads up to 4 KiB beyond max_header_size.
    assert defaults["max_header_bytes"].default > (8 + 4) * 1024
    assert re.search(r"^:8000 \{\n\s+reverse_proxy api:8000\n\}$", caddyfile, re.MULTILINE)


def test_every_setting_is_documented_with_its_default() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    rows = {row[0].strip("`"): row for row in table_rows(configuration, "variable")}
    assert set(rows) == {env_name(field) for field in Settings.model_fields}
    for field, info in Settings.model_fields.items():
        if info.default is None or info.default_factory is not None:
            continue  # computed or empty by default: described in words
        default_cell = rows[env_name(field)][1]
        assert default_cell == f"`{documented_default(info.default)}`", field


def test_deploy_guide_leaves_the_settings_to_the_configuration_page() -> None:
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert "](configuration.md)" in deploy
    assert "| variable |" not in deploy


def test_readme_stays_under_8_kb() -> None:
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move details to docs/"


def test_readme_links_every_document() -> None:
    readme = README.read_text()
    for name in DOCS:
        assert f"](docs/{name})" in readme, name
        assert (ROOT / "docs" / name).is_file(), name
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target


def heading_anchors(markdown: str) -> set[str]:
    """The anchors a Markdown renderer gives the headings (GitHub's rule), code excluded."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    headings = re.findall(r"^#+ (.+)$", prose, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_documents_link_only_to_files_and_sections_that_exist() -> None:
    for name in DOCS:
        text = (ROOT / "docs" / name).read_text()
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            linked = ROOT / "docs" / (target or name)
            assert linked.exists(), f"{name} links to {target}"
            if anchor:
                assert anchor in heading_anchors(linked.read_text()), f"{name} links to {target}#{anchor}"


def test_readme_tables_list_every_action_and_event_type() -> None:
    readme = README.read_text()
    schemas = json.loads((ROOT / "openapi" / "openapi.json").read_text())["components"]["schemas"]
    actions = [row[0].strip("`") for row in table_rows(readme, "`action`")]
    event_types = [row[0].strip("`") for row in table_rows(readme, "`type`")]
    assert actions == [action.value for action in Action] == schemas["Action"]["enum"]
    assert event_types == [event_type.value for event_type in EventType]
    # The schema has one body per type, told apart by `type`.
    create = json.loads((ROOT / "openapi" / "openapi.json").read_text())["paths"][
        "/v1/interviews/{interview_id}/events"
    ]
    mapping = create["post"]["requestBody"]["content"]["application/json"]["schema"]["discriminator"]["mapping"]
    assert list(mapping) == event_types
    assert all(schemas[ref.rsplit("/", 1)[1]]["properties"]["type"]["const"] == kind for kind, ref in mapping.items())
    for row in table_rows(readme, "`action`") + table_rows(readme, "`type`"):
        assert len(row) == 2 and row[1], row  # every value has its meaning


def test_dockerfile_keeps_the_sqlite_file_in_the_documented_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    database_url = re.search(r"DATABASE_URL=(\S+)", dockerfile)
    volume = re.search(r"^VOLUME (\S+)$", dockerfile, re.MULTILINE)
    assert database_url is not None and volume is not None
    database = make_url(database_url.group(1)).database
    assert database is not None and Path(database).parent == Path(volume.group(1))
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert f"-v followup-data:{volume.group(1)}" in deploy
    assert "docker exec followup followup users create" in deploy


def readme_session() -> str:
    blocks = re.findall(r"^```sh\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    sessions = [block for block in blocks if "curl" in block]
    assert len(sessions) == 1
    return str(sessions[0])


@pytest.mark.slow
def test_the_readme_curl_session_runs_as_written(tmp_path: Path) -> None:
    """The session of the README, unchanged, in a directory laid out like the repository
    after `make run` (a database with the local user, `.venv/bin/followup`)."""
    if shutil.which("bash") is None or shutil.which("curl") is None or shutil.which("python3") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the README's session needs bash, curl and python3")
        pytest.skip("the README's session needs bash, curl and python3")
    database_url = f"sqlite:///{tmp_path / 'followup.db'}"
    command.upgrade(alembic_config(database_url), "head")
    followup = tmp_path / ".venv" / "bin" / "followup"
    followup.parent.mkdir(parents=True)
    followup.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app "$@"\n')
    followup.chmod(followup.stat().st_mode | stat.S_IXUSR)
    env = os.environ | {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(followup), "users", "local"], cwd=tmp_path, env=env, check=True, capture_output=True)

    with running_server(database_url, tmp_path, workers=1) as server:
        port = server.base_url.rsplit(":", 1)[1]
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", readme_session()],
            cwd=tmp_path,
            env=env | {"FOLLOWUP_PORT": port},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    interview_id, *answers = json_documents(done.stdout)
    thank_you, timeline, next_action, agenda, from_mail, after_mail = answers
    assert [thank_you["type"], timeline["type"]] == ["thank_you_sent", "timeline_shared"]
    assert next_action["interview_id"] == interview_id
    assert (next_action["action"], next_action["contact"]["name"]) == ("send_status_check", "Ana")
    assert next_action["earliest_allowed_at"] == "2026-03-09T09:00:00-04:00"
    assert [item["interview"]["id"] for item in agenda["data"]] == [interview_id]
    # Step 6: the out-of-office, posted as a raw message, moves the next check past her return.
    assert (from_mail["kind"], from_mail["outcome"], from_mail["interview_id"]) == (
        "auto_reply",
        "applied",
        interview_id,
    )
    assert after_mail["earliest_allowed_at"] == "2026-03-17T09:00:00-04:00"
    # The answers the README shows in its comments are the ones the server gives.
    before, mail_step = readme_session().split("# 6.", 1)
    for session, answer in ((before, next_action), (mail_step, from_mail)):
        shown = re.findall(r'"(\w+)": "([^"]*)"', "".join(re.findall(r"^# .*$", session, re.MULTILINE)))
        assert shown
        for key, value in shown:
            assert answer.get(key, (answer.get("contact") or {}).get(key)) == value, key


def json_documents(output: str) -> list[Any]:
    """The interview id printed first, then the JSON documents printed one after another."""
    first_line, rest = output.split("\n", 1)
    documents: list[Any] = [first_line.strip()]
    decoder = json.JSONDecoder()
    position = 0
    while rest[position:].strip():
        position += len(rest[position:]) - len(rest[position:].lstrip())
        document, position = decoder.raw_decode(rest, position)
        documents.append(document)
    return documents
