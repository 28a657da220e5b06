"""Text flags that are not UTF-8 (bytes a shell passed through as lone surrogates) are usage
errors, not a crash and not a finding blamed on the key."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.helpers import CHAT_DOCTOR


@pytest.mark.parametrize("args", [
    ["smoke", "--prompt", b"caf\xff"],
    ["smoke", "--model", b"gpt\xff"],
    ["check", "--offline", "--model", b"gpt\xff"],
    ["check", "--offline", "--base-url", b"http://h\xff/v1"],
])
def test_a_flag_that_is_not_utf8_is_a_one_line_usage_error(args: list) -> None:
    argv = [os.fsencode(CHAT_DOCTOR), *(a if isinstance(a, bytes) else a.encode() for a in args)]
    env = {**os.environ, "OPENAI_API_KEY": "sk-proj-abcdefghijklmnopqrstuvwxyz012345"}
    run = subprocess.run(argv, capture_output=True, timeout=60, env=env)
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 2, stderr
    assert stderr.count("\n") == 1 and "not valid UTF-8" in stderr
    assert "Traceback" not in stderr and run.stdout == b""


@pytest.mark.parametrize("args", [
    ["check", "--offline"], ["smoke"], ["fix", "--offline"], ["report"], ["check", "--offline", "--json"],
])
def test_an_empty_python_is_a_usage_error_on_every_command_that_takes_it(args: list) -> None:
    """`--python "$UNSET"` names no interpreter: it must not quietly inspect $VIRTUAL_ENV instead."""
    env = {**os.environ, "OPENAI_API_KEY": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
           "VIRTUAL_ENV": os.path.dirname(os.path.dirname(CHAT_DOCTOR))}
    run = subprocess.run([CHAT_DOCTOR, *args, "--python", ""], capture_output=True, text=True, timeout=60, env=env,
                         check=False)
    assert run.returncode == 2, (run.stdout[-400:], run.stderr)
    assert run.stderr.count("\n") == 1 and "--python is empty" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
