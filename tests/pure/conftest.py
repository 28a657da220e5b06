"""Pure tests: rules judged from hand-made inputs, nothing else.

A pure test opens no socket, starts no process and touches no file outside `tmp_path` (reading
the checkout's own files is allowed); threads and a fake clock are fine. It needs only the
test venv, runs anywhere in milliseconds, and is marked `pure` automatically. The fixture below
makes the first two rules structural: a pure test that opens a socket or starts a process fails.
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any, NoReturn

import pytest


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"a pure test may not {what}: move it to tests/local/ or tests/machine/")

    return refuse


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _refuse("open a socket"))
    monkeypatch.setattr(socket, "create_connection", _refuse("connect"))
    monkeypatch.setattr(socket, "getaddrinfo", _refuse("resolve a name"))
    monkeypatch.setattr(subprocess, "Popen", _refuse("start a process"))
