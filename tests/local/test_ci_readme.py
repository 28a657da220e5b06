"""The README's CI examples stay true: every chat-doctor line of its GitHub Actions, GitLab CI
and one-line blocks is run with bash, as the installed script, against the local endpoint, and
leaves the files those jobs upload."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from junitparser import JUnitXml

from tests.support.helpers import CHAT_DOCTOR, REPO
from tests.support.mock_helpers import env_for, running

README = (REPO / "README.md").read_text(encoding="utf-8")
# `~/chat-doctor/bin/chat-doctor check ...`, `chat-doctor smoke ...`: the program, then the command.
_COMMAND = re.compile(r"(?:^|\s)(\S*chat-doctor) ((?:check|smoke)\b.*)$")


def ci_section() -> str:
    return README.split("\n## CI\n", 1)[1].split("\n## ", 1)[0]


def blocks() -> Dict[str, str]:
    """The section's code blocks by language: yaml (two jobs) and sh (the one-liner)."""
    found: Dict[str, str] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", ci_section(), flags=re.S):
        found[language] = found.get(language, "") + body
    return found


def command_lines() -> List[str]:
    """Every chat-doctor command of the section's blocks, as the job would run it."""
    lines = []
    for body in blocks().values():
        for line in body.splitlines():
            match = _COMMAND.search(line)
            if match:
                lines.append(f"{shlex.quote(CHAT_DOCTOR)} {match.group(2)}")
    return lines


def test_the_jobs_are_there_and_upload_the_junit_files() -> None:
    yaml = blocks()["yaml"]
    assert "actions/upload-artifact" in yaml and "if: always()" in yaml
    assert re.search(r"artifacts:\n\s+when: always\n\s+reports:\n\s+junit: chat-doctor\*\.xml", yaml)
    assert len(command_lines()) == 5  # check and smoke in each job, and the one-liner


def test_every_readme_ci_command_runs_against_the_local_endpoint(tmp_path: Path) -> None:
    # `--python python` is the job's interpreter: here the test venv's, first on PATH.
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    with running("ok") as server:
        for line in command_lines():
            proc = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                  env={**env_for(server), "PATH": path, "HOME": str(tmp_path), "NO_COLOR": "1"})
            assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
    for name in ("chat-doctor.xml", "chat-doctor-smoke.xml"):
        (suite,) = list(JUnitXml.fromfile(str(tmp_path / name)))
        assert suite.tests == len(list(suite)) > 0
        assert suite.failures == suite.errors == 0
    report = json.loads((tmp_path / "chat-doctor.json").read_text())
    assert report["exit_code"] == 0
