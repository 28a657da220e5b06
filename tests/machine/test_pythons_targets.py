"""`chat-doctor pythons` on this machine's real interpreters (found through tests.support.venvs),
laid out as asdf installs in tmp_path so only they are in the table beside the fixed system
places: each row must report what its interpreter says about itself."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from doctor.knowledge import pythons
from tests.support.helpers import run_subprocess
from tests.support.venvs import find_python, pyenv_python

VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

# What an interpreter says about itself, on any Python from 2.7 on.
_TRUTH = ("import json, platform, ssl, sys; print(json.dumps({'version': platform.python_version(),"
          " 'ssl': ssl.OPENSSL_VERSION, 'platform': sys.platform}))")


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, dict]:
    """One `pythons --json` run over every interpreter found; rows by release line (and the
    whole document under "_document")."""
    home = tmp_path_factory.mktemp("home")
    found = {version: find_python(version) for version in VERSIONS}
    for version, python in found.items():
        if python is not None:
            install = home / ".asdf" / "installs" / "python" / version / "bin"
            install.mkdir(parents=True)
            (install / "python").symlink_to(python)
    empty = tmp_path_factory.mktemp("empty")
    env = {"PATH": str(empty), "HOME": str(home), "PYENV_ROOT": str(empty)}
    run = run_subprocess(["pythons", "--json", "--timeout", "30"], env=env, cwd=str(empty), timeout=120)
    document = json.loads(run.stdout)
    assert run.exit_code == document["exit_code"]
    rows = {row["path"]: row for row in document["interpreters"]}
    by_version = {version: rows[str(home / ".asdf/installs/python" / version / "bin/python")]
                  for version, python in found.items() if python is not None}
    return {**by_version, "_document": document}


@pytest.mark.parametrize("version", VERSIONS)
def test_each_row_reports_what_its_interpreter_says_about_itself(survey: Dict[str, dict], version: str) -> None:
    python = pyenv_python(version)  # skips with the reason when this machine has none
    truth = json.loads(subprocess.run([python, "-c", _TRUTH], capture_output=True, text=True, check=True).stdout)
    row = survey[version]
    assert row["probed"] and row["found_by"][0] == "asdf"
    assert row["version"] == truth["version"] and row["tls"] == truth["ssl"]
    assert row["platform"] == truth["platform"] or version == "2.7"  # 2.7 answers the short probe only
    assert os.path.realpath(row["executable"]) == os.path.realpath(python)
    minor = tuple(int(part) for part in version.split("."))
    assert row["eol_date"] == pythons.eol_date(minor).isoformat()  # type: ignore[union-attr]  # every line tested is in the table
    assert row["urllib3"]["pip"]["version"] == pythons.newest_urllib3(minor)  # type: ignore[arg-type]  # a (major, minor) pair
    cap = pythons.openai_cap(minor)  # type: ignore[arg-type]  # a (major, minor) pair
    assert row["openai"]["newest"] == (cap.version if cap else pythons.OPENAI_CURRENT)
    if minor < pythons.OPENAI_CURRENT_MIN_PYTHON:
        assert not row["recommendable"]


@pytest.mark.slow
def test_the_printed_command_makes_a_venv_of_the_recommended_interpreter(survey: Dict[str, dict], tmp_path: Path) -> None:
    document = survey["_document"]
    recommendation = document["recommendation"]
    if recommendation is None:
        pytest.skip("none of this machine's interpreters is 3.10+, supported today and on OpenSSL")
    create = recommendation["commands"][0]
    assert create.startswith(f"mkdir {recommendation['venv_dir']} && ")
    made = subprocess.run(["bash", "-c", create], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    venv_python = tmp_path / recommendation["venv_dir"] / "bin" / "python"
    answer = subprocess.run([str(venv_python), "-c", "import platform, sys; print(platform.python_version(), sys.prefix != sys.base_prefix)"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert answer == [recommendation["version"], "True"]
