"""The spinner names the checks still running, not the last one finished (on a real pty)."""

from __future__ import annotations

import re

from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY
from tests.support.terminal import run_on_pty

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_spinner_names_the_check_that_is_still_running() -> None:
    # The `slow` endpoint holds its answers for 4 s: api.auth (GET /models) is the check left
    # running while every other check has finished (the interpreter probe too, even on a loaded
    # machine) or waits for it.
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=4000)) as server:
        raw = run_on_pty(["check", "--timeout", "8"],
                         {"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url}, 100)
    screen = _ANSI.sub("", raw.decode("utf-8", "replace"))
    frames = [line for part in screen.split("\n") for line in part.split("\r") if "checking" in line]
    assert any("checking api.auth" in frame for frame in frames), frames[-5:]
    assert "checked " not in screen
    assert CANARY_KEY[:20] not in screen
