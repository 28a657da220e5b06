"""python.* and packages.openai through the real CLI on chat-doctor's own interpreter, and a
failing pyenv shim as the target (real interpreters of the machine: tests/machine/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

from tests.support.helpers import run_cli, run_subprocess

# --- every code through the real CLI ------------------------------------------------------------


def check(args: Sequence[str], env: Optional[dict] = None, check_id: str = "python.interpreter") -> dict:
    run = run_cli(["check", "--offline", "--json", *args], env=env)
    return run.check(check_id)


def test_cli_interpreter_ok_reports_how_it_was_selected() -> None:
    result = check([])  # no --python, no VIRTUAL_ENV: chat-doctor's own interpreter
    assert result["status"] == "ok" and result["data"]["selected_by"] == "chat-doctor's own interpreter"


# --- chat-doctor's own process stays light -----------------------------------------------------------


def test_cli_openai_ok_in_chat_doctors_own_interpreter() -> None:
    run = run_subprocess(["check", "--offline", "--json"])
    result = run.check("packages.openai")
    assert result["status"] == "ok" and result["data"]["http_library"] == "httpx2"
    assert result["data"]["version"].startswith("3.")


def test_check_offline_imports_no_heavy_module_in_chat_doctors_process(tmp_path: Path) -> None:
    """Fresh interpreter: run `check --offline --json` through the real CLI entry point,
    then list what got imported. openai/httpx/urllib3 must not be among them. (pydantic is
    not checked: typer 0.29 itself imports it to coerce option values.)"""
    script = (
        "import json, sys\n"
        "from doctor.cli import main\n"
        "sys.argv = ['chat-doctor', 'check', '--offline', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai', 'httpx', 'httpx2', 'httpcore', 'httpcore2', 'urllib3', 'requests') "
        # doctor.probe.pep508 reads this venv's Requires-Dist lines: packaging's parser stays unloaded.
        "or m in ('packaging.requirements', 'packaging.markers'))\n"
        "sys.stderr.write('HEAVY=' + json.dumps(heavy) + '\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    report = json.loads(proc.stdout)
    assert report["target"]["version"]  # the probe ran (in its own process)
    line = next(line for line in proc.stderr.splitlines() if line.startswith("HEAVY="))
    assert json.loads(line[len("HEAVY="):]) == []


PYENV_SHIM = """#!/bin/sh
cat >&2 <<'MSG'
pyenv: python3.8: command not found

The `python3.8' command exists in these Python versions:
  3.8.18

Note: See 'pyenv help global' for tips on allowing both
      python2 and python3 to be found.
MSG
exit 127
"""


def test_a_failing_pyenv_shim_keeps_its_first_line(tmp_path: Path) -> None:
    shim = tmp_path / "python3.8"
    shim.write_text(PYENV_SHIM)
    shim.chmod(0o755)
    result = run_cli(["check", "--offline", "--json", "--python", str(shim)]).check("python.interpreter")
    assert result["code"] == "probe_failed"
    assert "pyenv: python3.8: command not found" in result["summary"]  # what failed...
    assert "status 127" in result["summary"] and "python3 to be found." in result["summary"]  # ...and how it ended
