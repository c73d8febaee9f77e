"""Tests that read ../shared get it through conftest.shared_file: without it they skip with
a message, unless CI=true, where they fail."""

from __future__ import annotations

import re
from pathlib import Path

import conftest
import pytest


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(conftest, "SHARED", tmp_path)
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "article.txt").write_text("text")
    return tmp_path


def test_a_file_that_is_there_is_returned(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert conftest.shared_file("reference/article.txt") == shared / "reference" / "article.txt"


def test_without_the_file_the_test_is_skipped(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=re.escape("missing.txt not found: the test needs ../shared")):
        conftest.shared_file("reference/missing.txt")


@pytest.mark.parametrize("relative", ["reference/missing.txt", "reference"])
def test_in_ci_a_missing_file_fails_the_test(shared: Path, monkeypatch: pytest.MonkeyPatch, relative: str) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=re.escape("not found: the test needs ../shared")):
        conftest.shared_file(relative)
