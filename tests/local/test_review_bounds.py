"""Bounds a review found missing: the probe's output size, --max-tokens, and control characters
in the last-resort traceback and in mock-server's errors (README, "Exit codes", "Security")."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import List

import pytest

from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, run_subprocess
from tests.support.mock_helpers import running

# A healthy key, so the only failure of an offline check is the one under test.
ENV = {"OPENAI_API_KEY": CANARY_KEY}

# Runs the CLI and reports its peak RSS. A fresh process, so RUSAGE_CHILDREN holds that one
# child alone (the test runner's own earlier children would count otherwise).
PEAK_RSS = r"""
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""
MAX_RSS_KB = 200 * 1024


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KB on Linux (bytes on macOS)")
@pytest.mark.parametrize("redirect", ["", " >&2"], ids=["stdout", "stderr"])
def test_a_flooding_interpreter_is_killed_before_memory_grows(tmp_path: Path, redirect: str) -> None:
    # Without the cap, `cat /dev/zero` read until the timeout reached 2.2 GB in 3 s.
    fake = tmp_path / "fakepy"
    fake.write_text(f"#!/bin/sh\nexec cat /dev/zero{redirect}\n")
    fake.chmod(0o755)
    args = ["-c", PEAK_RSS, CHAT_DOCTOR, "check", "--offline", "--json", "--python", str(fake), "--timeout", "3"]
    helper = run_subprocess(args, env=ENV, executable=sys.executable)
    assert helper.exit_code == 0, helper.output
    measured = json.loads(helper.stdout)
    assert measured["maxrss_kb"] < MAX_RSS_KB, measured["maxrss_kb"]
    assert measured["rc"] == 1, measured["stderr"]
    interpreter = next(c for c in json.loads(measured["stdout"])["checks"] if c["id"] == "python.interpreter")
    assert interpreter["code"] == "probe_failed"
    assert "too large" in interpreter["summary"]
    assert ("stderr" if redirect else "stdout") in interpreter["summary"]


def test_a_real_interpreter_still_answers_under_the_cap() -> None:
    run = run_subprocess(["check", "--offline", "--json", "--python", sys.executable], env=ENV)
    interpreter = next(c for c in run.json["checks"] if c["id"] == "python.interpreter")
    assert interpreter["status"] == "ok", interpreter


@pytest.mark.parametrize("args", [
    ["smoke", "--max-tokens", "1000000000000"],  # once: unexpected OverflowError, exit 3
    ["smoke", "--max-tokens", "100000000"],  # once: a run bound of about 290 days
    ["smoke", "--max-tokens", "100001"],
    ["smoke", "--max-tokens", "0"],
    ["check", "--smoke", "--max-tokens", "100001"],
])
def test_max_tokens_out_of_bounds_is_a_one_line_usage_error(args: List[str]) -> None:
    # A loopback URL nothing listens on: were the value accepted, nothing leaves the machine.
    run = run_subprocess([*args, "--base-url", "http://127.0.0.1:9/v1"], env=ENV)
    assert run.exit_code == 2, run.output
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--max-tokens" in run.stderr and "between 1 and 100000" in run.stderr
    assert "unexpected" not in run.stderr and "Traceback" not in run.stderr


def test_the_largest_max_tokens_is_accepted_and_runs() -> None:
    with running("ok") as server:
        run = run_subprocess(["smoke", "--json", "--max-tokens", "100000", "--runs", "100", "--timeout", "600",
                              "--base-url", server.base_url], env=ENV, timeout=120)
    assert run.exit_code == 0, run.output
    assert run.check("stream.chat")["status"] == "ok"


def test_the_backstop_wait_cannot_overflow_for_any_accepted_value() -> None:
    # The largest deadline the flags allow fits the wait; a larger one (a future bound) is clamped.
    from doctor.knowledge.diagnoses import ok
    from doctor.runner import Check, Context, run_checks
    from doctor.session import deadline_s
    from doctor.settings import MAX_RUNS, MAX_SECONDS, MAX_TOKENS, Settings, SmokeOptions

    largest = Settings(timeout_s=MAX_SECONDS, smoke=SmokeOptions(max_tokens=MAX_TOKENS, runs=MAX_RUNS))
    assert deadline_s(largest) < threading.TIMEOUT_MAX
    from tests.support.helpers import plan_for

    check = Check("a.quick", "quick", lambda ctx: ok("a.quick", "done"), lambda result: result)
    (result,) = run_checks([check], Context(plan_for(Settings(env={})), {}), deadline_s=1e300)
    assert (result.status.value, result.summary) == ("ok", "done")


def test_the_verbose_traceback_escapes_control_characters(tmp_path: Path) -> None:
    # doctor.process.run, the CLI's own wrapper, around a command whose exception quotes a
    # terminal escape (no honest CLI path raises with user text in the message).
    script = tmp_path / "boom.py"
    script.write_text(
        "import sys, typer\n"
        "from doctor import process\n"
        "app = typer.Typer()\n"
        "@app.command()\n"
        "def boom(verbose: bool = typer.Option(False, '-v')) -> None:\n"
        "    raise ValueError('title \\x1b]0;PWN\\x07 here\\r')\n"
        "sys.exit(process.run(app, sys.argv))\n"
    )
    proc = subprocess.run([sys.executable, str(script), "-v"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr and "\r" not in proc.stderr
    assert "ValueError: title \\x1b]0;PWN\\x07 here\\r" in proc.stderr


def test_mock_server_errors_escape_control_characters() -> None:
    run = run_subprocess(["mock-server", "--tls-cert", "/tmp/\x1b]0;PWN\x07"], timeout=30)
    assert run.exit_code == 2, run.output
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert "cannot read /tmp/\\x1b]0;PWN\\x07: no such file" in run.stderr
