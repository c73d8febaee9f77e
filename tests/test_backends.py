"""The suite runs on both databases unless FOLLOWUP_TEST_BACKENDS narrows it: without a
Postgres server that half is skipped with a message, unless CI=true, where it fails."""

from __future__ import annotations

import conftest
import pytest
from live import free_port


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "POSTGRES_SERVER", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres")


def test_without_a_server_the_postgres_half_is_skipped(no_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Postgres half skipped: no server at"):
        next(conftest._postgres_database())


def test_in_ci_a_missing_server_fails_the_run(no_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Postgres half skipped: no server at"):
        next(conftest._postgres_database())


def test_both_backends_unless_narrowed() -> None:
    assert conftest.selected_backends(None) == ["sqlite", "postgres"]
    assert conftest.selected_backends(" ") == ["sqlite", "postgres"]
    assert conftest.selected_backends(",") == ["sqlite", "postgres"]
    assert conftest.selected_backends("sqlite") == ["sqlite"]
    assert conftest.selected_backends(" postgres , sqlite,") == ["sqlite", "postgres"]


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown backend\(s\) \['mysql'\]"):
        conftest.selected_backends("sqlite,mysql")
