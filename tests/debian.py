"""Debian packages the tests need (a browser, Node.js): installed under CI when missing,
as the README's test command promises; elsewhere the test is skipped with the command to run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def ensure(*commands: str, packages: tuple[str, ...], what: str) -> None:
    """Make every one of `commands` available, installing `packages` under CI."""
    if all(shutil.which(command) for command in commands):
        return
    if os.environ.get("CI") != "true":
        install = " ".join(packages)
        pytest.skip(f"{what} is not installed (apt-get install {install}); CI installs it and runs this test")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages],
        check=True,
        env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
    )
    missing = [command for command in commands if shutil.which(command) is None]
    assert not missing, f"{missing} still missing after installing {packages}"


def npm() -> str:
    """npm, with the Node.js it runs on."""
    ensure("npm", "node", packages=("nodejs", "npm"), what="Node.js with npm")
    found = shutil.which("npm")
    assert found is not None
    return found


def npm_project(source: Path, names: tuple[str, ...], where: Path) -> Path:
    """`names` from `source` copied to `where` (a package.json and its lock among them), and
    the packages installed exactly as locked (`npm ci`)."""
    for name in names:
        shutil.copy(source / name, where / name)
    done = subprocess.run(
        [npm(), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return where
