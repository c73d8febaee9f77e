from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app import cli
from app.core.config import get_settings
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli_database(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url  # type: ignore[misc]
    get_settings.cache_clear()


def test_users_create_prints_a_working_key_on_the_last_line(
    cli_database: str, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["users", "create", "Someone@Example.com"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("fu_")
    response = client.get("/v1/interviews", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert cli.main(["users", "create", "someone@example.com"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_users_local_creates_the_user_once(
    cli_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOLLOWUP_PORT", "8123")
    get_settings.cache_clear()
    assert cli.main(["users", "local"]) == 0
    first = capsys.readouterr().out
    assert "Swagger UI (http://127.0.0.1:8123/docs, button Authorize)" in first
    assert first.strip().splitlines()[-1].startswith("fu_")
    assert cli.main(["users", "local"]) == 0
    assert "fu_" not in capsys.readouterr().out.replace("followup keys", "")


def test_keys_create(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["keys", "create", "nobody@example.com"]) == 1
    cli.main(["users", "create", "a@example.com"])
    capsys.readouterr()
    assert cli.main(["keys", "create", "a@example.com"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("fu_")


def test_worker_once(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["worker", "--once"]) == 0
    assert "refreshed 0" in capsys.readouterr().out


def test_openapi_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["openapi"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == create_app().openapi()
    assert printed == json.loads((ROOT / "openapi" / "openapi.json").read_text())


def test_serve_runs_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    assert cli.main(["serve"]) == 0
    assert calls[0]["app"] == "app.main:app"
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.1", 8000)
    assert calls[0]["timeout_graceful_shutdown"] == 30
    assert calls[0]["http"] == "app.core.protocol:BoundedHttpToolsProtocol"


def test_users_create_on_a_database_never_migrated_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    try:
        for argv in (["users", "create", "a@example.com"], ["users", "local"], ["keys", "create", "a@example.com"]):
            assert cli.main(argv) == 1
            captured = capsys.readouterr()
            assert "alembic upgrade head" in captured.err
            assert "Traceback" not in captured.err + captured.out
    finally:
        get_settings.cache_clear()
