"""packages.openai: each code through the real CLI on real interpreters and real venvs (real
openai releases and their real dependency metadata)."""

from __future__ import annotations

import pytest

from tests.support.helpers import run_cli
from tests.support.venvs import make_venv, pyenv_python, venv_python


def test_cli_openai_missing() -> None:
    run = run_cli(["check", "--offline", "--json", "--python", pyenv_python("3.12")])
    result = run.check("packages.openai")
    assert (result["status"], result["code"]) == ("fail", "openai_missing")
    assert run.exit_code == 1


@pytest.mark.slow
def test_cli_openai_legacy() -> None:
    venv = make_venv(pyenv_python("3.11"), ["openai==0.28.1"])
    run = run_cli(["check", "--offline", "--json", "--python", str(venv_python(venv))])
    result = run.check("packages.openai")
    assert (result["status"], result["code"]) == ("warn", "openai_legacy")
    assert result["data"]["http_library"] == "requests"
    # 0.x pulls urllib3 in through requests; python.urllib3 names the chain.
    urllib3 = run.check("python.urllib3")["data"]
    assert "openai -> requests -> urllib3" in urllib3["pulled_in_by"] and urllib3["openai_uses_urllib3"] is True


@pytest.mark.slow
def test_cli_dependency_conflict_known_bad_combination() -> None:
    venv = make_venv(pyenv_python("3.11"), ["openai==1.55.2", "httpx==0.28.1"])
    run = run_cli(["check", "--offline", "--json", "--python", str(venv_python(venv))])
    result = run.check("packages.openai")
    assert (result["status"], result["code"]) == ("fail", "dependency_conflict")
    assert "'proxies'" in result["summary"]
    assert run.exit_code == 1


@pytest.mark.slow
def test_cli_dependency_conflict_missing_requirements() -> None:
    venv = make_venv(pyenv_python("3.11"), ["openai==1.55.3"], no_deps=True)
    result = run_cli(["check", "--offline", "--json", "--python", str(venv_python(venv))]).check("packages.openai")
    assert (result["status"], result["code"]) == ("fail", "dependency_conflict")
    assert "httpx<1,>=0.23.0, which is not installed" in result["summary"] + " ".join(result["details"])
