"""python.* checks: every code through the real CLI on real interpreters of this machine and real
venvs (the rules themselves: tests/pure/test_python_rules.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import pytest

from tests.support.helpers import run_cli, run_subprocess
from tests.support.venvs import (
    SSL_SIM_SITECUSTOMIZE,
    make_venv,
    pyenv_python,
    ssl_sim_env,
    venv_python,
)

# --- every code through the real CLI ------------------------------------------------------------


def check(args: Sequence[str], env: Optional[dict] = None, check_id: str = "python.interpreter") -> dict:
    run = run_cli(["check", "--offline", "--json", *args], env=env)
    return run.check(check_id)


def test_cli_virtual_env_selects_the_target(tmp_path: Path) -> None:
    venv = make_venv(pyenv_python("3.12"))
    result = check([], env={"VIRTUAL_ENV": str(venv)})
    assert result["data"]["selected_by"] == "VIRTUAL_ENV" and result["data"]["python"].startswith(str(venv))
    assert result["data"]["is_venv"] is True


def test_cli_python_eol() -> None:
    result = check(["--python", pyenv_python("3.10")])
    assert (result["status"], result["code"]) == ("warn", "python_eol")


def test_cli_openai_sdk_capped_on_39() -> None:
    result = check(["--python", pyenv_python("3.9")])
    assert (result["status"], result["code"]) == ("warn", "openai_sdk_capped") and "2.48.0" in result["summary"]


@pytest.mark.parametrize("version", ["3.6", "2.7"])
def test_cli_python_36_is_a_hard_failure_like_27_with_no_pip_install_openai(version: str) -> None:
    python = pyenv_python(version)
    run = run_cli(["check", "--offline", "--json", "--python", python])
    interpreter = run.check("python.interpreter")
    assert (interpreter["status"], interpreter["code"]) == ("fail", "python_too_old")
    assert run.check("packages.openai")["status"] == "skip"  # nothing else is judged, as for 2.7
    commands = [f["command"] or "" for c in run.json["checks"] for f in c["fixes"]]
    assert not any("pip install" in command and "openai" in command for command in commands), commands
    assert run.exit_code == 1


@pytest.mark.slow
def test_cli_ssl_missing() -> None:
    venv = make_venv(pyenv_python("3.11"), sitecustomize="import sys\nsys.modules['ssl'] = None  # as if built without OpenSSL\n")
    run = run_cli(["check", "--offline", "--json", "--python", str(venv_python(venv))])
    result = run.check("python.ssl")
    assert (result["status"], result["code"]) == ("fail", "ssl_missing")
    assert run.json["target"]["ssl"] is None and run.exit_code == 1


@pytest.mark.slow
def test_cli_ssl_library_outdated_and_libressl() -> None:
    venv = make_venv(pyenv_python("3.9"), ["urllib3==2.0.7"], sitecustomize=SSL_SIM_SITECUSTOMIZE)
    python = str(venv_python(venv))
    result = check(["--python", python], env=ssl_sim_env("openssl-1.0.2k"), check_id="python.ssl")
    assert (result["status"], result["code"]) == ("warn", "ssl_library_outdated")
    result = check(["--python", python], env=ssl_sim_env("libressl-2.8.3"), check_id="python.ssl")
    assert result["status"] == "ok" and result["summary"].startswith("LibreSSL 2.8.3")


@pytest.mark.slow
def test_cli_urllib3_ssl_import_error_as_a_process() -> None:
    venv = make_venv(pyenv_python("3.9"), ["urllib3==2.0.2"], sitecustomize=SSL_SIM_SITECUSTOMIZE)
    python = str(venv_python(venv))
    run = run_subprocess(["check", "--offline", "--json", "--python", python], env=ssl_sim_env("libressl-2.8.3"))
    result = run.check("python.urllib3")
    assert (result["status"], result["code"]) == ("fail", "urllib3_ssl_import_error")
    assert "compiled with LibreSSL 2.8.3" in "\n".join(result["details"])
    assert run.exit_code == 1


@pytest.mark.slow
def test_cli_urllib3_import_failed() -> None:
    broken = "import sys\nsys.modules['urllib3.exceptions'] = None  # a half-removed install\n"
    venv = make_venv(pyenv_python("3.11"), ["urllib3==2.8.0"], sitecustomize=broken)
    result = check(["--python", str(venv_python(venv))], check_id="python.urllib3")
    assert (result["status"], result["code"]) == ("fail", "urllib3_import_failed")
    assert "urllib3.exceptions" in result["summary"]


def test_cli_ca_path_missing(tmp_path: Path) -> None:
    result = check(["--python", pyenv_python("3.12")], env={"SSL_CERT_FILE": str(tmp_path / "nope.pem")},
                   check_id="python.certs")
    assert (result["status"], result["code"]) == ("fail", "ca_path_missing")
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    result = check(["--python", pyenv_python("3.12")], env={"REQUESTS_CA_BUNDLE": str(empty)}, check_id="python.certs")
    assert result["code"] == "ca_path_missing" and "no PEM certificate" in result["summary"]
    result = check(["--python", pyenv_python("3.12")], env={"PIP_CERT": str(tmp_path / "gone.pem")}, check_id="python.certs")
    assert (result["status"], result["code"]) == ("warn", "ca_path_missing")


@pytest.mark.slow
def test_cli_certifi_unusable() -> None:
    venv = make_venv(pyenv_python("3.11"), ["requests==2.32.5"], no_deps=True)
    result = check(["--python", str(venv_python(venv))], check_id="python.certs")
    assert (result["status"], result["code"]) == ("fail", "certifi_unusable")
    assert "requests" in result["summary"]


# What a python.org macOS build reports before "Install Certificates.command" ran (facts
# §4.1), simulated in a real interpreter: platform, framework executable, and the missing
# compiled-in CA file. Only the values the probe reads are replaced.
MACOS_PYTHON_ORG = '''\
import ssl, sys
sys.platform = "darwin"
sys.executable = "/Library/Frameworks/Python.framework/Versions/3.11/bin/python3"
_paths = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE",
    "/Library/Frameworks/Python.framework/Versions/3.11/etc/openssl/cert.pem", "SSL_CERT_DIR",
    "/Library/Frameworks/Python.framework/Versions/3.11/etc/openssl/certs")
ssl.get_default_verify_paths = lambda: _paths
'''


@pytest.mark.slow
def test_cli_macos_certificates_not_installed() -> None:
    venv = make_venv(pyenv_python("3.11"), sitecustomize=MACOS_PYTHON_ORG)
    result = check(["--python", str(venv_python(venv))], check_id="python.certs")
    assert (result["status"], result["code"]) == ("warn", "macos_certificates_not_installed")
    assert result["fixes"][0]["command"] == 'open "/Applications/Python 3.11/Install Certificates.command"'
