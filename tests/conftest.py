"""Shared fixtures: an isolated environment for every test, and real certificates.

Each test's folder says what it needs (tests/pure, tests/local, tests/machine: see their
conftest.py) and marks it so: `-m pure`, `-m "not machine"`. Helpers live in tests/support.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support.helpers import ISOLATED_VARS, REPO
from tests.support.tls_certs import TlsMaterial

# Property tests (tests/pure/test_fuzz_*.py): no example database (nothing written outside
# tmp_path, and a run does not depend on the last one), no deadline (a loaded 2-core CI machine
# is slow, never wrong), and 200 examples a property, so each file runs in seconds.
# Derandomized: the same examples every run, so CI passes or fails on the code, not on the draw
# (a random draw once found a new redaction corner in a CI rehearsal; see the stop notes).
# `HYPOTHESIS_PROFILE=deep` digs longer, with fresh random examples, when fuzzing by hand.
hypothesis_settings.register_profile("chat-doctor", database=None, deadline=None, max_examples=200, derandomize=True)
hypothesis_settings.register_profile("deep", parent=hypothesis_settings.get_profile("chat-doctor"), max_examples=5000,
                                     derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chat-doctor"))

# Folder under tests/ -> the marker every test in it gets (registered in pyproject.toml).
_KINDS = ("pure", "local", "machine")


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


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """Real certificates (tests/support/tls_certs.py), made once per module."""
    return TlsMaterial(tmp_path_factory.mktemp("tls"))


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Every test is marked with the kind its folder stands for; a test outside them is refused."""
    tests = Path(__file__).resolve().parent
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(tests).parts[0]
        if folder not in _KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in tests/pure, tests/local or tests/machine")
        item.add_marker(getattr(pytest.mark, folder))
