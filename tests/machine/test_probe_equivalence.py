"""The faster probe says what the ed6b6e4 probe said, field for field, on every real interpreter.

doctor/probe/target_probe.py dropped its `json`, `re`, `platform` and `importlib.util` imports
and reads ssl's facts from `_ssl` when ssl.py would be the stdlib's (scripts/bench.py pythons:
each probe's start-up is most of the command's CPU). The probe as it was before is kept
verbatim in tests/support/target_probe_ed6b6e4.source; both run the way chat-doctor runs them
(BOOTSTRAP on `-c`, the source on stdin) in the same interpreter, directory and environment,
and their parsed answers must be equal but for the timing fields.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Optional

import pytest

from doctor.probe.interpreters import _MARK, BOOTSTRAP
from tests.support.helpers import REPO
from tests.support.venvs import make_venv, pyenv_python, venv_python

OLD = (REPO / "tests" / "support" / "target_probe_ed6b6e4.source").read_bytes()
NEW = (REPO / "doctor" / "probe" / "target_probe.py").read_bytes()
SUPPORTED = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
TIMING = ("probe_ms",)  # and urllib3.import_ms: how long, never what


def _answer(python: str, source: bytes, cwd: Path, env: Dict[str, str]) -> dict:
    run = subprocess.run([python, "-c", BOOTSTRAP], check=False, input=source, capture_output=True, cwd=str(cwd),
                         env=env, timeout=60)
    lines = [line for line in run.stdout.decode("utf-8", "replace").splitlines() if line.startswith(_MARK)]
    assert len(lines) == 1, run.stderr.decode("utf-8", "replace")[-2000:]
    answer = json.loads(lines[0][len(_MARK):])
    for name in TIMING:
        answer.pop(name)
    if isinstance(answer.get("urllib3"), dict):
        answer["urllib3"].pop("import_ms", None)
    return answer


def _ca_env(tmp_path: Path) -> Dict[str, str]:
    """CA variables that exercise every path description: a bundle named twice, a hashed dir."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" * 3)
    hashed = tmp_path / "certs"
    hashed.mkdir(exist_ok=True)
    for name in ("abcdef01.0", "ABCDEF01.12", "abcdef0.0", "abcdef01.x", "README"):
        (hashed / name).write_text("x")
    return {"SSL_CERT_FILE": str(bundle), "REQUESTS_CA_BUNDLE": str(bundle), "SSL_CERT_DIR": str(hashed),
            "CURL_CA_BUNDLE": str(tmp_path / "missing.pem")}


def _compare(python: str, tmp_path: Path, cwd: Optional[Path] = None, **extra: str) -> dict:
    workdir = cwd or tmp_path / "empty"
    workdir.mkdir(exist_ok=True)
    env = dict(os.environ, **_ca_env(tmp_path), **extra)
    old, new = _answer(python, OLD, workdir, env), _answer(python, NEW, workdir, env)
    assert new == old  # every section, every field
    return new


@pytest.mark.parametrize("version", SUPPORTED)
def test_same_answer_on_every_pyenv_python(version: str, tmp_path: Path) -> None:
    answer = _compare(pyenv_python(version), tmp_path)
    assert answer["interpreter"]["version"].startswith(version + ".")
    described = {record["name"]: record for record in answer["ca_env"]}
    assert answer["ssl"]["available"] is True and described["SSL_CERT_FILE"]["cert_count"] == 3
    assert described["SSL_CERT_DIR"]["hashed_names"] == 2  # abcdef01.0 and ABCDEF01.12
    assert answer["ssl"]["verify_paths"]["cafile"] == described["SSL_CERT_FILE"]["value"]  # env shadows


def test_same_answer_on_the_system_python3(tmp_path: Path) -> None:
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        pytest.skip("no /usr/bin/python3 on this machine")
    answer = _compare(python, tmp_path)
    assert answer["ssl"]["available"] is True and answer["distributions"]


@pytest.mark.slow
@pytest.mark.parametrize(("version", "urllib3"), [("3.12", "urllib3==2.6.3"), ("3.7", "urllib3==1.26.20")])
def test_same_answer_with_urllib3_installed(version: str, urllib3: str, tmp_path: Path) -> None:
    """urllib3's real import loads ssl itself: its warnings, version and the ssl facts agree."""
    python = str(venv_python(make_venv(pyenv_python(version), [urllib3])))
    answer = _compare(python, tmp_path)
    assert answer["urllib3"]["ok"] is True and answer["urllib3"]["version"] == urllib3.split("==")[1]
    # Warnings made errors at start-up: the filter matching runs on the user's filters.
    strict = _compare(python, tmp_path, PYTHONWARNINGS="error")
    assert strict["warnings"]["PYTHONWARNINGS"] == "error"


@pytest.mark.parametrize("version", ["3.6", "3.12"])
def test_same_answer_when_a_users_ssl_py_shadows_the_stdlib(version: str, tmp_path: Path) -> None:
    """Under -c the working directory is sys.path[0]: its ssl.py is what `import ssl` loads,
    and both probes report that module, not _ssl's facts."""
    shadow = tmp_path / "app"
    shadow.mkdir()
    (shadow / "ssl.py").write_text(
        "OPENSSL_VERSION = 'Shadow 9.9'\nOPENSSL_VERSION_INFO = (9, 9, 0, 0, 0)\nOPENSSL_VERSION_NUMBER = 9\n"
        "HAS_SNI = False\n"
        "def get_default_verify_paths():\n"
        "    import collections\n"
        "    T = collections.namedtuple('T', 'cafile capath openssl_cafile_env openssl_cafile "
        "openssl_capath_env openssl_capath')\n"
        "    return T(None, None, 'A', '/nope', 'B', '/nope')\n"
    )
    answer = _compare(pyenv_python(version), tmp_path, cwd=shadow)
    assert answer["ssl"]["version"] == "Shadow 9.9" and answer["ssl"]["has_tls13"] is False


@pytest.mark.parametrize("version", ["3.6", "3.8", "3.13"])
def test_same_import_error_on_a_python_without_ssl(version: str, tmp_path: Path) -> None:
    """A Python built without TLS: ssl.py fails at its `import _ssl`. A `_ssl` that raises, first
    on PYTHONPATH, stands in for the missing library; the reported text is the same."""
    broken = tmp_path / "no_tls"
    broken.mkdir()
    (broken / "_ssl.py").write_text("raise ImportError('libssl.so.3: cannot open shared object file')\n")
    answer = _compare(pyenv_python(version), tmp_path, PYTHONPATH=str(broken))
    assert answer["ssl"] == {"available": False,
                             "import_error": "ImportError: libssl.so.3: cannot open shared object file"}


@pytest.mark.slow
def test_pip_is_found_past_setuptools_distutils_hook(tmp_path: Path) -> None:
    """setuptools' distutils-precedence.pth puts _distutils_hack's finder first on sys.meta_path;
    before 3.12 it answers every "pip" lookup by importing traceback and walking the stack
    (10-14 ms per probe). The probe looks past it: the same pip is found, traceback never loads."""
    venv = make_venv(pyenv_python("3.10"), ["setuptools==69.5.1", "pip==24.0"])
    python = str(venv_python(venv))
    answer = _compare(python, tmp_path)
    assert answer["pip"]["version"] == "24.0" and answer["pip"]["location"]
    workdir = tmp_path / "empty"
    run = subprocess.run([python, "-X", "importtime", "-c", BOOTSTRAP], check=False, input=NEW,
                         capture_output=True, cwd=str(workdir), env=dict(os.environ), timeout=60)
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.decode("utf-8", "replace").splitlines()}
    assert "_distutils_hack" in imported  # the hook really is installed in this venv
    assert "traceback" not in imported
