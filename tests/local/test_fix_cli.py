"""`chat-doctor fix` through the real CLI on chat-doctor's own (healthy) interpreter: key, URL and
network findings are never "fixed", each is listed with why and what to do; the JSON document
and the exit codes hold. Package fixes on real broken venvs: tests/machine/test_fix_cli.py."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.support.fault_peers import free_port
from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, assert_no_key, run_subprocess


def test_key_url_and_network_findings_are_listed_as_not_fixable_with_what_to_do() -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    run = run_subprocess(["fix", "--json", "--python", sys.executable, "--base-url", closed, "--timeout", "2",
                          "--apply", "--yes"])
    assert run.exit_code == 1, run.output
    document = run.json
    assert document["schema"] == "chat-doctor.fix/1" and document["before"]["schema"] == "chat-doctor.report/1"
    plan = document["plan"]
    assert plan["steps"] == [] and plan["refusal"] is None
    left = {(u["check"], u["code"]): u for u in plan["unfixable"]}
    key = left[("config.api_key", "api_key_missing")]
    tcp = left[("net.tcp", "connection_refused")]
    for item in (key, tcp):
        assert "never changes your key, URL" in item["why"] and item["todo"] and item["todo"][0]["text"]
    assert document["applied"] == [] and document["after"] is None  # nothing to run, nothing re-checked


def test_plan_only_on_a_healthy_interpreter_with_a_key_is_nothing_to_do_and_exit_0() -> None:
    run = run_subprocess(["fix", "--offline", "--python", sys.executable], env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 0, run.output
    assert "Nothing to do" in run.stdout
    assert_no_key(run)


def test_yes_without_apply_is_a_usage_error() -> None:
    run = run_subprocess(["fix", "--yes", "--offline"])
    assert run.exit_code == 2 and "--yes only applies with --apply" in run.stderr


def test_a_target_that_floods_its_output_gives_a_plan_in_bounded_time(tmp_path: Path) -> None:
    flood = tmp_path / "python"
    flood.write_text("#!/bin/sh\nexec yes 'not a python'\n")
    flood.chmod(flood.stat().st_mode | stat.S_IXUSR)
    started = time.monotonic()
    run = run_subprocess(["fix", "--offline", "--json", "--timeout", "2", "--python", str(flood), "--apply", "--yes"],
                         env={"OPENAI_API_KEY": CANARY_KEY}, timeout=120)
    elapsed = time.monotonic() - started
    assert run.exit_code == 1, run.output[-2000:]
    assert "Traceback" not in run.output
    plan = run.json["plan"]
    assert plan["steps"] == [] and run.json["applied"] == []
    assert ("python.interpreter", "probe_failed") in {(u["check"], u["code"]) for u in plan["unfixable"]}
    assert elapsed < 60  # the probe and the fix's own question each stop at their 2 s floor


def test_apply_without_a_named_target_refuses_to_change_chat_doctors_own_environment() -> None:
    # No --python and no active venv: the target would be chat-doctor's own interpreter.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    proc = subprocess.run([CHAT_DOCTOR, "fix", "--offline", "--apply", "--yes"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "chat-doctor's own interpreter" in proc.stderr and "--python PATH" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
