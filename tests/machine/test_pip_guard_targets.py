"""The pip guard on python.certs' and config.proxy's fixes, on a real target whose pip cannot start.

A Python 3.11 venv whose ssl module reports OpenSSL 1.0.2k (tests.support.venvs' simulation:
pip's vendored urllib3 reads only those values; no CPython that pip 26.1+ runs on, 3.10 and
newer, builds against an OpenSSL that old, so a real one does not exist) with pip 26.3 (vendors
urllib3 2) and requests without its dependencies (so certifi is missing) and no socksio. The
real CLI prints each check's fix; pasted whole into bash it succeeds, and its pip command alone
(what was printed before the guard) fails with urllib3's ImportError. pip runs offline from the
test wheel cache (PIP_NO_INDEX, PIP_FIND_LINKS), filled once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from tests.support.helpers import CANARY_KEY, assert_no_key, run_subprocess
from tests.support.venvs import SSL_SIM_SITECUSTOMIZE, make_venv, pyenv_python, ssl_sim_env, venv_python, wheels_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

OLD_OPENSSL = ssl_sim_env("openssl-1.0.2k")
SOCKS = {"ALL_PROXY": "socks5://127.0.0.1:9"}  # discard port: nothing should go through it anyway
REFUSED = "urllib3 v2 only supports OpenSSL 1.1.1+"
BASH = shutil.which("bash") or "/bin/bash"  # where the user pastes the fix


@pytest.fixture(scope="module")
def refused_pip_venv() -> Path:
    python = pyenv_python("3.11")
    # The wheels the fixes install (pip<26.1, certifi, socksio), put in the cache by building venvs with them.
    make_venv(python, ["pip==26.0.1", "urllib3==1.26.20"])
    make_venv(python, ["certifi==2026.7.22"])
    make_venv(python, ["socksio==1.0.0"])
    return make_venv(python, ["pip==26.3", "requests==2.32.5"], sitecustomize=SSL_SIM_SITECUSTOMIZE, no_deps=True)


def shell_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The pasting user's shell: the simulated TLS library, pip offline from the test cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **OLD_OPENSSL, **extra, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels_dir()),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def paste(command: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([BASH, "-c", command], capture_output=True, text=True, env=env, timeout=900, check=False)


def imports(python: Path, module: str) -> bool:
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, env=shell_env({}),
                           timeout=60, check=False)
    return probe.returncode == 0


@pytest.mark.parametrize("check_id, code, module, extra", [
    ("python.certs", "certifi_unusable", "certifi", {}),
    ("config.proxy", "proxy_socks_unsupported", "socksio", SOCKS),
])
def test_the_printed_fix_pasted_whole_installs_where_the_pip_command_alone_fails(
        refused_pip_venv: Path, tmp_path: Path, check_id: str, code: str, module: str, extra: Dict[str, str]) -> None:
    venv = tmp_path / "venv"
    shutil.copytree(refused_pip_venv, venv, symlinks=True)
    python = venv_python(venv)
    assert not imports(python, module)

    run = run_subprocess(["check", "--offline", "--json", "--python", str(python)],
                         env={**OLD_OPENSSL, **extra, "OPENAI_API_KEY": CANARY_KEY}, timeout=300)
    assert_no_key(run)
    result = run.check(check_id)
    assert (result["status"], result["code"]) == ("fail", code), result
    assert any(d.startswith("this Python's pip 26.3 cannot install anything") for d in result["details"])
    (command,) = [f["command"] for f in result["fixes"] if f["command"] and f" -m pip install {module}" in f["command"]]
    repair, unguarded = command.split(" && ", 1)
    assert repair.endswith('-none-any.whl/pip install "pip<26.1"'), command

    # What was printed before the guard: the target's own pip dies at import, nothing installed.
    alone = paste(unguarded, shell_env(extra))
    assert alone.returncode != 0 and REFUSED in alone.stderr, alone
    assert not imports(python, module)

    whole = paste(command, shell_env(extra))
    assert whole.returncode == 0, whole
    assert imports(python, module)
    pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True,
                         env=shell_env({}), timeout=60, check=False)
    assert pip.stdout.startswith("pip 26.0.1 "), pip  # the repair's pip, which vendors urllib3 1.26

    again = run_subprocess(["check", "--offline", "--json", "--python", str(python)],
                           env={**OLD_OPENSSL, **extra, "OPENAI_API_KEY": CANARY_KEY}, timeout=300)
    assert again.check(check_id)["code"] != code
