"""chat-doctor itself installed for real under Python 3.9 (the macOS system Python's version).

Two installs: what pip picks today for 3.9 (older releases than on 3.11: typer 0.23,
openai 2.x, urllib3 2.6), and every runtime dependency at the lower bound pyproject.toml
declares, so those bounds are versions the suite has actually run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from tests.support.helpers import REPO, run_subprocess
from tests.support.venvs import pyenv_python

pytestmark = pytest.mark.slow



def _lower_bounds() -> List[str]:
    """`name==lower` for every runtime dependency, read from pyproject.toml."""
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ImportError:  # pragma: no cover  # the suite runs on 3.11+, tomllib is stdlib there
        pytest.skip("needs Python 3.11+ to read pyproject.toml")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert lower, f"{requirement.name} has no lower bound"
        pins.append(f"{requirement.name}=={lower[0]}")
    return pins


def _install(venv: Path, constraints: List[str], tmp_path: Path) -> Path:
    subprocess.run([pyenv_python("3.9"), "-m", "venv", str(venv)], check=True)
    args = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if constraints:
        constraint_file = tmp_path / "constraints.txt"
        constraint_file.write_text("\n".join(constraints) + "\n")
        args += ["--constraint", str(constraint_file)]
    subprocess.run([*args, str(REPO)], check=True, capture_output=True, timeout=600)
    return venv / "bin" / "chat-doctor"


def _installed(venv: Path) -> dict:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    return {row["name"].lower(): row["version"] for row in json.loads(out)}


@pytest.fixture(scope="module", params=["newest-for-3.9", "lower-bounds"])
def py39_chat_doctor(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp(request.param)
    constraints = _lower_bounds() if request.param == "lower-bounds" else []
    exe = _install(tmp / "venv", constraints, tmp)
    return request.param, exe, _installed(tmp / "venv"), constraints


def test_runs_on_python_39(py39_chat_doctor) -> None:  # type: ignore[no-untyped-def]
    flavour, exe, installed, constraints = py39_chat_doctor
    from packaging.version import Version

    for pin in constraints:
        name, version = pin.split("==")
        assert Version(installed[name]) == Version(version), f"{name}: wanted {version}, got {installed[name]}"
    assert run_subprocess(["--version"], executable=str(exe)).stdout.strip() == "chat-doctor 0.1.0"

    run = run_subprocess(["check", "--offline", "--json"], executable=str(exe))
    document = run.json
    assert document["exit_code"] == run.exit_code
    assert document["target"]["python"].endswith("/bin/python")
    crashed = [c for c in document["checks"] if c["status"] == "error"]
    assert not crashed, crashed

    human = run_subprocess(["check", "--offline"], executable=str(exe))
    assert "Traceback" not in human.output and human.exit_code == document["exit_code"]

    usage = run_subprocess(["check", "--timeout", "-1"], executable=str(exe))
    assert usage.exit_code == 2 and "Traceback" not in usage.output


def test_lower_bounds_include_urllib3_1x() -> None:
    # chat-doctor must install beside the `urllib3<2` pin it recommends.
    assert any(pin.startswith("urllib3==1.") for pin in _lower_bounds())
    assert sys.version_info >= (3, 9)
