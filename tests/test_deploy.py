"""The deployment files: compose.yaml is valid and scales out; every setting is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"FOLLOWUP_{field.upper()}"


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


def test_every_setting_is_documented() -> None:
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for field in Settings.model_fields:
        assert f"`{env_name(field)}`" in deploy, field
        assert f"`{env_name(field)}`" in readme, field
