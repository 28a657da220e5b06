"""The interpreter probe, run for real on every Python 3.6-3.13 and 2.7 this machine has (found
through pyenv or PATH: tests/support/venvs.py), compared with what each says about itself."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from doctor.probe.facts import InterpreterFacts
from doctor.probe.interpreters import run_probe
from tests.support.helpers import PROBED_CHECKS, run_cli
from tests.support.venvs import pyenv_python

SUPPORTED = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def _probe(python: str, env: "dict | None" = None, timeout: float = 30) -> InterpreterFacts:
    return run_probe(python, dict(os.environ, **(env or {})), timeout)


def _truth(python: str) -> dict:
    """What the interpreter says about itself when asked directly (any Python from 2.7 on)."""
    code = ("import json, platform, ssl, sys; print(json.dumps({'version': platform.python_version(),"
            " 'ssl': ssl.OPENSSL_VERSION, 'ssl_major': ssl.OPENSSL_VERSION_INFO[0], 'platform': sys.platform}))")
    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("version", SUPPORTED)
def test_probe_runs_on_every_supported_python(version: str) -> None:
    python = pyenv_python(version)
    truth = _truth(python)
    facts = _probe(python)
    assert facts.python_version == truth["version"] and truth["version"].startswith(version + ".")
    assert not facts.too_old and not facts.section_errors
    assert facts.implementation == "CPython"
    assert facts.version_info[:2] == tuple(int(x) for x in version.split("."))
    assert facts.ssl.available and facts.ssl_version == truth["ssl"]
    assert facts.ssl.version_info[0] == truth["ssl_major"]
    assert facts.marker_env["python_version"] == version
    assert facts.marker_env["sys_platform"] == truth["platform"]
    assert facts.distribution("pip") is not None  # every pyenv Python ships pip
    assert not facts.is_venv and os.path.realpath(facts.executable) == os.path.realpath(python)


def test_python_27_gets_a_clear_answer_not_garbage() -> None:
    python = pyenv_python("2.7")
    facts = _probe(python)
    assert facts.too_old and facts.python_version == _truth(python)["version"]
    assert facts.ssl_version and facts.ssl_version.startswith("OpenSSL")


def test_python_27_through_the_cli_is_python_too_old() -> None:
    python = pyenv_python("2.7")
    version = _truth(python)["version"]
    run = run_cli(["check", "--offline", "--json", "--python", python])
    assert run.exit_code == 1
    result = run.check("python.interpreter")
    assert (result["status"], result["code"]) == ("fail", "python_too_old")
    assert version in result["summary"] and "too old" in result["summary"]
    assert run.json["target"]["version"] == version
    for check_id in PROBED_CHECKS[1:]:
        assert run.check(check_id)["status"] == "skip"


def test_probe_sees_the_users_environment_not_an_isolated_one(tmp_path: Path) -> None:
    """No -I/-E: PYTHONPATH (and so user site dirs, PYTHONWARNINGS) reach the probe."""
    extra = tmp_path / "extra"
    (extra / "fakepkg-1.2.dist-info").mkdir(parents=True)
    (extra / "fakepkg-1.2.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: FakePkg\nVersion: 1.2\nRequires-Dist: urllib3>=2\n"
        "Requires-Dist: colorama; sys_platform == \"win32\"\n\nLong description: Name: wrong\n"
    )
    (extra / "oldpkg.egg-info").mkdir()
    (extra / "oldpkg.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: oldpkg\nVersion: 0.3\n")
    (extra / "oldpkg.egg-info" / "requires.txt").write_text("requests>=2\n\n[socks]\nPySocks\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n")
    facts = _probe(pyenv_python("3.12"), {"PYTHONPATH": str(extra), "PYTHONWARNINGS": "error::DeprecationWarning",
                                             "SSL_CERT_FILE": "/nonexistent/ca.pem"})
    fake = facts.distribution("fakepkg")
    assert fake is not None and fake.version == "1.2" and fake.name == "FakePkg"
    assert fake.requires == ("urllib3>=2", 'colorama; sys_platform == "win32"')
    old = facts.distribution("oldpkg")
    assert old is not None and old.requires == (
        "requests>=2", 'PySocks; extra == "socks"', 'importlib-metadata; (python_version < "3.8")')
    assert facts.pythonwarnings == "error::DeprecationWarning"
    (ca,) = [v for v in facts.ca_env if v.name == "SSL_CERT_FILE"]
    assert ca.value == "/nonexistent/ca.pem" and not ca.path.exists


def test_a_stray_module_in_the_current_directory_cannot_shadow(tmp_path: Path) -> None:
    """The probe runs in an empty directory: an ssl.py/urllib3.py here is not imported."""
    (tmp_path / "ssl.py").write_text("raise SystemExit('shadowed ssl')\n")
    (tmp_path / "urllib3.py").write_text("raise SystemExit('shadowed urllib3')\n")
    run = run_cli(["check", "--offline", "--json", "--python", pyenv_python("3.11")])
    assert run.check("python.ssl")["status"] == "ok"
    assert run.check("python.interpreter")["code"] != "probe_failed"


def test_probe_wall_time_is_small() -> None:
    """Printed for the performance notes; bounded generously so slow CI machines pass."""
    timings = {}
    for version in ("3.11", "3.6"):
        _probe(pyenv_python(version))  # warm the OS cache
        started = time.perf_counter()
        facts = _probe(pyenv_python(version))
        timings[version] = (round((time.perf_counter() - started) * 1000), facts.probe_ms)
    print("probe wall ms, in-probe ms:", timings)
    assert all(wall < 5000 for wall, _ in timings.values())
