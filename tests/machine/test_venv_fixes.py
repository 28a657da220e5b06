"""Every fix that changes a Python environment is run for real, exactly as chat-doctor prints
it (`bash -c` on the JSON `fixes[].command`), on a throwaway copy of a real venv, and must
succeed: the command exits 0 and a second `chat-doctor check` no longer reports the problem.

The interpreter rebuild (openai_sdk_capped, python_eol, TLS problems) is checked step by step:
the new environment is built beside the old one, which stays untouched until the switch.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from tests.support.helpers import run_subprocess
from tests.support.venvs import SSL_SIM_SITECUSTOMIZE, make_venv, needs_pyenv_command, pyenv_python, ssl_sim_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def throwaway_copy(venv: Path, where: Path) -> Path:
    """A copy of a cached venv at `where`, with its own pip (the fixes run `<venv>/bin/python -m pip`)."""
    shutil.copytree(venv, where, symlinks=True)
    subprocess.run([str(where / "bin" / "python"), "-m", "ensurepip"], check=True, capture_output=True,
                   env=_env(), timeout=300)
    return where


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    env.update(extra or {})
    return env


def report(python: Path, env: Optional[Dict[str, str]] = None) -> dict:
    return run_subprocess(["check", "--offline", "--json", "--python", str(python)], env=env).json


def result_of(document: dict, check_id: str) -> dict:
    return next(c for c in document["checks"] if c["id"] == check_id)


def run_fix(command: str, cwd: Path, env: Optional[Dict[str, str]] = None) -> None:
    """Run a printed fix the way a user pastes it into bash."""
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=_env(env), timeout=600)
    assert proc.returncode == 0, f"{command}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


def version_of(python: Path, module: str) -> str:
    return subprocess.run([str(python), "-c", f"import sys, {module}; print({module}.__version__)"],
                          capture_output=True, text=True, check=True, env=_env()).stdout.strip()


# --- openai_sdk_capped: rebuild beside, verify, then switch ------------------------------------


def test_capped_venv_is_rebuilt_beside_the_old_one_and_switched_only_after_it_works(tmp_path: Path) -> None:
    old_python = pyenv_python("3.9")
    pyenv_python("3.13")  # the interpreter the fix moves to (pyenv's, as the printed fix says)
    needs_pyenv_command()
    # Pins chosen for 3.9, including the capped openai the fix means to upgrade.
    cached = make_venv(old_python, ["openai==1.55.3", "typer==0.9.0"])
    venv = throwaway_copy(cached, tmp_path / "app" / ".venv")
    python = venv / "bin" / "python"
    result = result_of(report(venv), "python.interpreter")
    assert (result["status"], result["code"]) == ("warn", "openai_sdk_capped")
    texts = " ".join(f["text"] for f in result["fixes"])
    assert "Python 3.9 is the problem" in texts and "OpenSSL" not in texts  # the real problem, named
    commands = [f["command"] for f in result["fixes"] if f["command"]]
    assert not any("--clear" in c or "requirements-freeze" in c for c in commands)
    (rebuild,) = [c for c in commands if "pyenv prefix" in c]
    (switch,) = [c for c in commands if c.startswith("mv ")]

    run_fix(rebuild, tmp_path)
    assert version_of(python, "openai") == "1.55.3"  # the old environment is untouched...
    fresh = Path(str(venv) + ".new") / "bin" / "python"
    assert int(version_of(fresh, "openai").split(".")[0]) >= 3  # ...the new one has the current openai
    version_of(fresh, "typer")  # and the user's other top-level package, at a version for 3.13

    run_fix(switch, tmp_path)
    assert subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                          text=True, check=True).stdout.strip() == "(3, 13)"
    assert int(version_of(python, "openai").split(".")[0]) >= 3
    # Its scripts hold the right path (a renamed venv's would point at .venv.new).
    subprocess.run([str(venv / "bin" / "pip"), "--version"], check=True, capture_output=True)
    assert version_of(Path(str(venv) + ".old") / "bin" / "python", "openai") == "1.55.3"  # the old one, kept
    assert not Path(str(venv) + ".new").exists()
    assert result_of(report(venv), "python.interpreter")["status"] == "ok"


def test_a_plain_interpreter_gets_a_new_project_venv(tmp_path: Path) -> None:
    old_python = pyenv_python("3.9")
    pyenv_python("3.13")
    needs_pyenv_command()
    result = result_of(report(Path(old_python)), "python.interpreter")
    assert result["code"] == "openai_sdk_capped"
    (create,) = [f["command"] for f in result["fixes"] if f["command"] and "pyenv prefix" in f["command"]]
    run_fix(create, tmp_path)
    assert int(version_of(tmp_path / ".venv" / "bin" / "python", "openai").split(".")[0]) >= 3


def test_uv_variant_runs_where_uv_is_installed(tmp_path: Path) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is not installed here; its commands differ from pyenv's only in the interpreter expression")
    cached = make_venv(pyenv_python("3.9"), ["openai==1.55.3"])
    venv = throwaway_copy(cached, tmp_path / ".venv")
    result = result_of(report(venv), "python.interpreter")
    (rebuild,) = [f["command"] for f in result["fixes"] if f["command"] and "uv python find" in f["command"]]
    run_fix(rebuild, tmp_path)


# --- pip fixes inside the target ---------------------------------------------------------------

# The newest pip chat-doctor knows (doctor.knowledge.pip_vendor: 26.1+ vendor urllib3 2), pinned so the cached
# venv is the same on every run; an OpenSSL 1.0.2k Python (tests.support.venvs' simulation) refuses it.
NEWEST_PIP = "pip==26.3"
OLD_OPENSSL = ssl_sim_env("openssl-1.0.2k")

# (case, python line, packages, env for chat-doctor and the fix, check, code, a word every command
# that is run must contain). Each printed pip command runs on its own fresh copy.
CASES = [
    ("openai_missing", "3.12", ["httpx==0.28.1"], {}, "packages.openai", "openai_missing"),
    ("openai_legacy", "3.12", ["openai==0.28.1"], {}, "packages.openai", "openai_legacy"),
    ("known_bad_combination", "3.12", ["openai==1.55.2", "httpx==0.28.1"], {}, "packages.openai", "dependency_conflict"),
    ("urllib3_on_libressl", "3.11", ["urllib3==2.0.2"], ssl_sim_env("libressl-2.8.3"), "python.urllib3",
     "urllib3_ssl_import_error"),
    ("socks_without_socksio", "3.12", ["openai==1.55.3"], {"ALL_PROXY": "socks5://127.0.0.1:9"}, "config.proxy",
     "proxy_socks_unsupported"),
    # pip 26.3 vendors urllib3 2.8.0, so on OpenSSL 1.0.2k the target's own pip cannot install: each printed
    # pip command first restores pip<26.1 with the pip wheel bundled with the Python (ensurepip's).
    ("urllib3_pin_with_pip_26_on_old_openssl", "3.11", [NEWEST_PIP, "urllib3==2.6.3"], OLD_OPENSSL,
     "python.urllib3", "urllib3_ssl_import_error"),
    ("openai_missing_with_pip_26_on_old_openssl", "3.11", [NEWEST_PIP], OLD_OPENSSL, "packages.openai",
     "openai_missing"),
    # On LibreSSL pip 26.3's urllib3 only warns, unless PYTHONWARNINGS=error makes that an error: then the
    # pip commands run with PYTHONWARNINGS=ignore (the bundled pip would die on its own DeprecationWarning).
    ("urllib3_pin_with_pip_26_on_libressl_warnings_as_errors", "3.11", [NEWEST_PIP, "urllib3==2.6.3"],
     {**ssl_sim_env("libressl-2.8.3"), "PYTHONWARNINGS": "error"}, "python.urllib3", "urllib3_ssl_import_error"),
]


def pip_commands(fixes: Sequence[dict]) -> List[str]:
    return [f["command"] for f in fixes if f["command"] and " -m pip install" in f["command"]
            and "-m venv" not in f["command"]]


@pytest.mark.parametrize("case, minor, packages, env, check_id, code", CASES, ids=[c[0] for c in CASES])
def test_every_pip_fix_succeeds_and_removes_the_problem(tmp_path: Path, case: str, minor: str, packages: list,
                                                        env: dict, check_id: str, code: str) -> None:
    sitecustomize = SSL_SIM_SITECUSTOMIZE if env.get("CHAT_DOCTOR_TEST_SSL") else None
    cached = make_venv(pyenv_python(minor), packages, sitecustomize=sitecustomize)
    first = throwaway_copy(cached, tmp_path / "probe" / ".venv")
    result = result_of(report(first, env), check_id)
    assert result["code"] == code, result
    commands = pip_commands(result["fixes"])
    assert commands, result["fixes"]
    for index in range(len(commands)):
        venv = throwaway_copy(cached, tmp_path / f"fix{index}" / ".venv")
        command = pip_commands(result_of(report(venv, env), check_id)["fixes"])[index]  # as printed for this copy
        assert str(venv) in command
        run_fix(command, tmp_path, env)
        after = result_of(report(venv, env), check_id)
        assert after["code"] != code or after["status"] != result["status"], (command, after)


def pip_run(python: Path, *args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True, env=_env(env), timeout=600,
                          check=False)


def test_pip_26_on_old_openssl_cannot_install_until_the_printed_repair_runs(tmp_path: Path) -> None:
    cached = make_venv(pyenv_python("3.11"), [NEWEST_PIP, "urllib3==2.6.3"], sitecustomize=SSL_SIM_SITECUSTOMIZE)
    venv = throwaway_copy(cached, tmp_path / ".venv")
    python = venv / "bin" / "python"
    # The premise, for real: pip 26.3 starts (--version never imports its urllib3) but cannot install.
    assert pip_run(python, "--version", env=OLD_OPENSSL).stdout.startswith("pip 26.3 ")
    broken = pip_run(python, "install", "urllib3<2", env=OLD_OPENSSL)
    assert broken.returncode == 1 and "pip/_vendor/urllib3/__init__.py" in broken.stderr
    assert ("ImportError: urllib3 v2 only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with "
            "'OpenSSL 1.0.2k-fips  26 Jan 2017'. See: https://github.com/urllib3/urllib3/issues/2168") in broken.stderr
    # `python -m ensurepip --upgrade` is no way out: the installed pip is newer than the bundled one.
    subprocess.run([str(python), "-m", "ensurepip", "--upgrade"], capture_output=True, env=_env(OLD_OPENSSL),
                   timeout=300, check=True)
    assert pip_run(python, "--version", env=OLD_OPENSSL).stdout.startswith("pip 26.3 ")

    result = result_of(report(venv, OLD_OPENSSL), "python.urllib3")
    assert result["data"]["pip"]["cannot_start"] is True and result["data"]["pip"]["version"] == "26.3"
    assert any(d.startswith("this Python's pip 26.3 cannot install anything") for d in result["details"])
    (command,) = [c for c in pip_commands(result["fixes"]) if '"urllib3<2"' in c]
    words = shlex.split(command)
    assert words[0] == "PYTHONWARNINGS=ignore"  # the bundled pip's own warnings, under a user's error filter
    assert words[1] == str(python) and words[2].endswith(".whl/pip") and "/ensurepip/_bundled/pip-" in words[2]
    assert words[3:6] == ["install", "pip<26.1", "&&"]

    run_fix(command, tmp_path, OLD_OPENSSL)
    version = pip_run(python, "--version", env=OLD_OPENSSL).stdout
    assert version.startswith("pip 26.0"), version  # the last pip vendoring urllib3 1.26
    after = result_of(report(venv, OLD_OPENSSL), "python.urllib3")
    assert (after["status"], after["code"]) == ("ok", None), after
    assert after["data"]["pip"]["cannot_start"] is False
