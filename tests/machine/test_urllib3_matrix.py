"""python.urllib3's verdict against what `import urllib3` really does, release by release.

Real urllib3 releases in real venvs; the TLS library is simulated by the venv's
sitecustomize.py, which sets ssl.OPENSSL_VERSION / _INFO / _NUMBER at start-up (before
anything imports urllib3) from CHAT_DOCTOR_TEST_SSL. urllib3's check reads only those
three attributes, so this is exact (facts §1.4). For every cell the test runs
`chat-doctor check --offline --json --python <venv python>` and, independently, a plain
`<venv python> -c "import urllib3"`, and asserts that the verdict, the prediction and the
facts file's table all agree with reality.
"""

from __future__ import annotations

import subprocess
from typing import Dict, Optional, Tuple

import pytest

from tests.support.helpers import run_cli, run_subprocess
from tests.support.venvs import SSL_SIM_SITECUSTOMIZE, TLS_LIBRARIES, make_venv, pyenv_python, ssl_sim_env, venv_python

pytestmark = pytest.mark.slow

SITECUSTOMIZE = SSL_SIM_SITECUSTOMIZE
LIBRARIES = TLS_LIBRARIES

# urllib3 release -> interpreter (2.x releases carry Requires-Python; 3.9 for the 2.0.x
# line so 3.9 is exercised, 3.11 for the newest).
RELEASES = {
    "1.26.20": "3.9",
    "2.0.0": "3.9",  # yanked: only an explicit ==2.0.0 installs it
    "2.0.2": "3.9",
    "2.0.3": "3.9",
    "2.0.7": "3.9",
    "2.6.3": "3.9",  # the newest urllib3 pip gives Python 3.9
    "2.8.0": "3.11",
}

# facts §1.4, the table under test: library -> outcome for 1.26 / 2.0.0-2.0.2 / 2.0.3+.
FACTS_TABLE = {
    "libressl-2.8.3": ("ok", "import_error", "warning"),
    "openssl-1.0.2k": ("ok", "import_error", "import_error"),
    "openssl-1.1.0h": ("ok", "import_error", "import_error"),
    "openssl-1.1.1k": ("ok", "ok", "ok"),
    "openssl-3.x": ("ok", "ok", "ok"),
}

VERDICT = {("fail", "urllib3_ssl_import_error"): "import_error", ("warn", "urllib3_ssl_warning"): "warning",
           ("ok", None): "ok"}


def _facts_expectation(release: str, library: str) -> str:
    column = 0 if release.startswith("1.") else 1 if release in ("2.0.0", "2.0.2") else 2
    return FACTS_TABLE[library][column]


def _env(library: str, warnings: Optional[str] = None) -> Dict[str, str]:
    env = ssl_sim_env(library)
    if warnings is not None:
        env["PYTHONWARNINGS"] = warnings
    return env


def _reality(python: str, env: Dict[str, str], tmp_path) -> str:
    """What the user sees running `python -c "import urllib3"`: exit status and stderr."""
    import os

    full = dict(os.environ)
    full.update(env)
    proc = subprocess.run([python, "-c", "import urllib3"], capture_output=True, text=True, env=full,
                          cwd=str(tmp_path), timeout=60)
    if proc.returncode != 0:
        return "import_error"
    if "NotOpenSSLWarning" in proc.stderr:
        return "warning"
    return "ok"


def _venv(release: str) -> str:
    venv = make_venv(pyenv_python(RELEASES[release]), [f"urllib3=={release}"], sitecustomize=SITECUSTOMIZE)
    return str(venv_python(venv))


def _verdict(run) -> Tuple[str, dict]:  # type: ignore[no-untyped-def]
    result = run.check("python.urllib3")
    return VERDICT[(result["status"], result["code"])], result


@pytest.mark.parametrize("library", list(LIBRARIES))
@pytest.mark.parametrize("release", list(RELEASES))
def test_verdict_matches_real_import(release: str, library: str, tmp_path) -> None:
    python = _venv(release)
    env = _env(library)
    reality = _reality(python, env, tmp_path)
    # The facts file's table is what chat-doctor's knowledge encodes: it must match reality.
    assert reality == _facts_expectation(release, library), "facts §1.4 disagrees with the real import"

    run = run_cli(["check", "--offline", "--json", "--python", python], env=env)
    verdict, result = _verdict(run)
    assert verdict == reality, result
    assert result["data"]["version"] == release
    # The prediction from the table (not only the observed import) agrees with reality.
    assert result["data"]["predicted"]["outcome"] == reality, result["data"]["predicted"]
    assert result["data"]["prediction_matches"] is True
    assert result["data"]["observed"]["outcome"] == reality
    target = run.json["target"]
    expected_ssl = LIBRARIES[library][0] if LIBRARIES[library] else None
    if expected_ssl:
        assert target["ssl"] == expected_ssl
    if reality == "import_error":
        assert run.exit_code == 1


@pytest.mark.parametrize(
    ("release", "warnings", "expected"),
    [
        ("2.0.3", "error", "import_error"),  # -W error turns NotOpenSSLWarning into a failed import
        ("2.8.0", "error", "import_error"),
        ("2.6.3", "ignore:urllib3 v2", "ok"),  # the documented way to silence it (facts §1.7)
        ("2.0.7", "ignore:urllib3 v2", "ok"),  # the same prefix covers the 2.0.x wording
        ("2.6.3", "ignore::DeprecationWarning", "warning"),  # unrelated filters change nothing
    ],
)
def test_warning_filters_change_the_libressl_verdict(release: str, warnings: str, expected: str, tmp_path) -> None:
    python = _venv(release)
    env = _env("libressl-2.8.3", warnings)
    assert _reality(python, env, tmp_path) == expected
    verdict, result = _verdict(run_cli(["check", "--offline", "--json", "--python", python], env=env))
    assert verdict == expected, result
    assert result["data"]["predicted"]["outcome"] == expected


def test_libressl_warning_through_the_installed_script(tmp_path) -> None:
    """One cell end to end as a real process: the console script, JSON on stdout, exit 0."""
    python = _venv("2.8.0")
    run = run_subprocess(["check", "--offline", "--json", "--python", python], env=_env("libressl-2.8.3"))
    result = run.check("python.urllib3")
    assert (result["status"], result["code"]) == ("warn", "urllib3_ssl_warning")
    assert "LibreSSL 2.8.3" in result["summary"]
    commands = [fix["command"] or "" for fix in result["fixes"]]
    assert any('"urllib3<2"' in c and c.startswith(python) for c in commands)
    assert any("PYTHONWARNINGS" in c for c in commands)
    assert not any("disable_warnings()" in c for c in commands)
    assert run.json["target"]["ssl"] == "LibreSSL 2.8.3"
