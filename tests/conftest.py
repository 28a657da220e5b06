"""Shared fixtures: an isolated environment for every test, and ways to run the real CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.helpers import ISOLATED_VARS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's keys, proxies, CA settings or virtual environment.

    The process-wide CA variables this machine sets (SSL_CERT_FILE and friends) are removed
    too: chat-doctor diagnoses them, so each test decides what they are.
    """
    for name in list(os.environ):
        if name.upper() in ISOLATED_VARS or name.upper().startswith(("OPENAI_", "AZURE_OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def python_exe() -> str:
    return sys.executable
