"""Audit of issue 8, "a fix command is never broken across lines": every command a fix offers is
the fix's command line (printed whole, on its own line, at any width), not words inside its text
that a narrow terminal wraps. Through the installed CLI on a real pseudo-terminal.
"""

from __future__ import annotations

import pytest

from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.terminal import run_on_pty, screen_lines

# Plain http to a host that is not this machine: config.base_url fails with base_url_insecure,
# whose second fix is the explicit override.
INSECURE = {"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": "http://api.chat-doctor.invalid/v1"}
OVERRIDE = "chat-doctor check --allow-insecure"


@pytest.mark.parametrize("columns", [40, 60])
def test_the_insecure_override_is_a_whole_command_line_at_any_width(columns: int) -> None:
    raw = run_on_pty(["check", "--offline"], INSECURE, columns)
    assert_no_key(Run(0, raw.decode("utf-8", "replace"), ""))  # before any message prints the screen
    lines = [line.strip() for line in screen_lines(raw)]
    assert "[base_url_insecure]" in "".join(lines), "\n".join(lines)
    # Broken across lines, the first half pasted alone runs `chat-doctor check` without the flag.
    assert lines.count(OVERRIDE) == 1, "\n".join(lines)


def test_the_override_is_the_fix_s_command_and_not_offered_once_given() -> None:
    run = run_subprocess(["check", "--offline", "--json"], env=INSECURE)
    assert_no_key(run)
    fixes = next(c["fixes"] for c in run.json["checks"] if c["id"] == "config.base_url")
    assert [f["command"] for f in fixes if "--allow-insecure" in (f["command"] or "")] == [OVERRIDE]
    assert not any("chat-doctor " in f["text"] for f in fixes), fixes
    allowed = run_subprocess(["check", "--offline", "--json", "--allow-insecure"], env=INSECURE)
    base = next(c for c in allowed.json["checks"] if c["id"] == "config.base_url")
    assert (base["status"], base["code"]) == ("warn", "base_url_insecure")
    assert not any("--allow-insecure" in (f["command"] or "") + f["text"] for f in base["fixes"]), base["fixes"]
