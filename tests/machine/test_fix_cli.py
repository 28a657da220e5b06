"""`chat-doctor fix` on real broken interpreters, through the installed CLI.

A Python 3.11 venv whose ssl module reports OpenSSL 1.0.2k (tests.support.venvs' simulation:
urllib3's check, and pip's vendored urllib3's, read only those values) with urllib3 2.6.3 and
pip 26.3 (which vendors urllib3 2, so pip itself cannot start there, as on a real such system):
`fix --apply --yes` makes it green, a second run changes nothing, and without a terminal and
without --yes nothing changes. An externally managed (PEP 668) interpreter, one pip itself
refuses, is not touched; a pin that would break an installed package is refused, naming it.

pip runs offline from the test wheel cache (PIP_NO_INDEX, PIP_FIND_LINKS), filled once.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, Run, assert_no_key
from tests.support.terminal import pty_session
from tests.support.venvs import SSL_SIM_SITECUSTOMIZE, make_venv, pyenv_python, ssl_sim_env, venv_python, wheels_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

OLD_OPENSSL = ssl_sim_env("openssl-1.0.2k")
PACKAGES = ["pip==26.3", "openai==1.109.1", "urllib3==2.6.3"]


@pytest.fixture(scope="module")
def broken_venv() -> Path:
    python = pyenv_python("3.11")
    # The wheels the fix installs, put in the cache by building a venv that has them.
    make_venv(python, ["pip==26.0.1", "urllib3==1.26.20"])
    return make_venv(python, PACKAGES, sitecustomize=SSL_SIM_SITECUSTOMIZE)


def copy_of(venv: Path, where: Path) -> Path:
    shutil.copytree(venv, where, symlinks=True)
    return where


def fix(python: Path, *args: str, env: Dict[str, str]) -> Run:
    """The installed CLI, stdin not a terminal, with the test's environment plus `env`."""
    full = {**os.environ, "OPENAI_API_KEY": CANARY_KEY, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels_dir()), **env}
    proc = subprocess.run([CHAT_DOCTOR, "fix", "--offline", "--json", "--python", str(python), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=full, timeout=1100, check=False)
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    assert_no_key(run)
    return run


def installed(venv: Path) -> List[str]:
    """Every distribution in the environment, with its version (its .dist-info directories)."""
    return sorted(p.name for p in venv.glob("lib/python*/site-packages/*.dist-info"))


def result(report: dict, check_id: str) -> dict:
    return next(c for c in report["checks"] if c["id"] == check_id)


def test_the_plan_lists_argument_lists_and_changes_nothing(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    before = installed(venv)
    run = fix(venv, env=OLD_OPENSSL)
    assert run.exit_code == 1, run.stderr
    steps = run.json["plan"]["steps"]
    python = str(venv_python(venv))
    assert [s["argv"][-1] for s in steps] == ["pip<26.1", "urllib3<2"]
    assert steps[0]["argv"][1].endswith(".whl/pip")  # the pip bundled with the Python runs the repair
    assert steps[1]["argv"] == [python, "-m", "pip", "install", "urllib3<2"]
    assert all(shlex.split(s["command"]) == s["argv"] for s in steps)
    assert result(run.json["before"], "python.urllib3")["code"] == "urllib3_ssl_import_error"
    assert run.json["applied"] is None and installed(venv) == before


def test_without_a_terminal_and_without_yes_nothing_changes_and_exit_2(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    before = installed(venv)
    run = fix(venv, "--apply", env=OLD_OPENSSL)
    assert run.exit_code == 2
    assert "refusing to prompt without a terminal" in run.stderr and "--yes" in run.stderr
    assert run.json["applied"] is None and run.json["exit_code"] == 2
    assert installed(venv) == before


def test_old_openssl_venv_goes_green_and_a_second_run_changes_nothing(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    first = fix(venv, "--apply", "--yes", env=OLD_OPENSSL)
    assert first.exit_code == 0, first.stdout[-3000:]
    assert [step["ok"] for step in first.json["applied"]] == [True, True]
    assert result(first.json["before"], "python.urllib3")["status"] == "fail"
    after = first.json["after"]
    assert (result(after, "python.urllib3")["status"], after["exit_code"]) == ("ok", 0)
    assert result(after, "python.urllib3")["data"]["version"] == "1.26.20"
    assert first.json["remaining"]["steps"] == []
    # pip works again in the environment (the repair installed a pip vendoring urllib3 1.26).
    pip = subprocess.run([str(venv_python(venv)), "-m", "pip", "--version"], capture_output=True, text=True,
                         env={**os.environ, **OLD_OPENSSL}, timeout=120, check=False)
    assert pip.returncode == 0 and pip.stdout.startswith("pip 26.0"), pip.stderr[-500:]

    settled = installed(venv)
    second = fix(venv, "--apply", "--yes", env=OLD_OPENSSL)
    assert second.exit_code == 0, second.stdout[-3000:]
    assert second.json["plan"]["steps"] == [] and second.json["applied"] == [] and second.json["after"] is None
    assert installed(venv) == settled


def test_a_pin_that_would_break_an_installed_package_is_refused_naming_it(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    # A real installed distribution (metadata is all pip and the probe read) that needs urllib3 2.
    (site,) = venv.glob("lib/python*/site-packages")
    meta = site / "needs_urllib3_two-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: needs-urllib3-two\nVersion: 1.0\nRequires-Dist: urllib3>=2\n")
    (meta / "INSTALLER").write_text("pip\n")
    (meta / "RECORD").write_text("")
    before = installed(venv)
    run = fix(venv, "--apply", "--yes", env=OLD_OPENSSL)
    assert run.exit_code == 1, run.stdout[-3000:]
    assert run.json["plan"]["steps"] == [] and run.json["applied"] == []
    (refused,) = [u for u in run.json["plan"]["unfixable"] if u["check"] == "python.urllib3"]
    assert "needs-urllib3-two (needs urllib3>=2)" in refused["why"]
    assert installed(venv) == before


def externally_managed_copy(python: str, where: Path) -> Path:
    """A Python outside any venv whose stdlib directory holds EXTERNALLY-MANAGED, as Debian's does:
    its own executable and empty site-packages, the real stdlib linked in entry by entry."""
    real = Path(os.path.realpath(python))
    prefix = real.parents[1]
    probe = subprocess.run([str(real), "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, check=True)
    lib = probe.stdout.strip()
    stdlib = where / "lib" / lib
    (stdlib / "site-packages").mkdir(parents=True)
    for entry in (prefix / "lib" / lib).iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Managed by the chat-doctor test suite.\n")
    (where / "bin").mkdir()
    shutil.copy2(real, where / "bin" / real.name)
    return where / "bin" / real.name


def test_an_externally_managed_interpreter_is_refused_with_the_venv_commands(tmp_path: Path) -> None:
    managed = externally_managed_copy(pyenv_python("3.12"), tmp_path / "managed")
    # The premise: pip itself refuses to install into it (the host pip, run inside it).
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(managed), "install", "--dry-run",
                          "--no-index", "urllib3"], capture_output=True, text=True, timeout=300, check=False)
    assert pip.returncode != 0 and "externally-managed-environment" in pip.stdout + pip.stderr
    (site,) = (managed.parents[1] / "lib").glob("python*/site-packages")
    run = fix(managed, "--apply", "--yes", env={})
    assert run.exit_code == 1, run.stdout[-3000:]
    plan = run.json["plan"]
    assert plan["steps"] == [] and run.json["applied"] == []
    assert "PEP 668" in plan["refusal"] and "EXTERNALLY-MANAGED" in plan["refusal"]
    assert any(f["command"] and f["command"].startswith(f"{managed} -m venv .venv") for f in plan["refusal_fixes"])
    assert [u["code"] for u in plan["unfixable"] if u["check"] == "packages.openai"] == ["openai_missing"]
    assert list(site.iterdir()) == []


def test_libressl_under_urllib3_2_0_2_is_upgraded_to_a_release_that_only_warns(tmp_path: Path) -> None:
    python = pyenv_python("3.11")
    libressl = ssl_sim_env("libressl-2.8.3")
    make_venv(python, ["urllib3==2.8.0"])  # the release the upgrade lands on, in the wheel cache
    cached = make_venv(python, ["pip==26.3", "openai==1.109.1", "urllib3==2.0.2"], sitecustomize=SSL_SIM_SITECUSTOMIZE)
    venv = copy_of(cached, tmp_path / ".venv")
    run = fix(venv, "--apply", "--yes", env=libressl)
    (step,) = run.json["plan"]["steps"]  # pip 26.3's urllib3 only warns on LibreSSL: no pip repair
    assert step["argv"][-1] == "urllib3>=2.0.3" and "only warn" in step["why"]
    after = result(run.json["after"], "python.urllib3")
    assert (after["status"], after["code"], after["data"]["version"]) == ("warn", "urllib3_ssl_warning", "2.8.0")
    assert run.exit_code == 0, run.stdout[-3000:]  # a warning is left, explained, not a failure
    (explained,) = [u for u in run.json["remaining"]["unfixable"] if u["check"] == "python.urllib3"]
    assert "--pin-urllib3" in explained["why"]


def test_a_failing_step_stops_the_rest_and_exits_3(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    before = installed(venv)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    run = fix(venv, "--apply", "--yes", env={**OLD_OPENSSL, "PIP_FIND_LINKS": str(empty)})
    assert run.exit_code == 3, run.stdout[-3000:]
    (failed,) = run.json["applied"]  # the first step failed: the second never ran
    assert failed["ok"] is False and failed["exit_code"] not in (0, None)
    assert any("pip<26.1" in line or "No matching distribution" in line for line in failed["output_tail"])
    assert run.json["after"] is not None and installed(venv) == before


def on_terminal_answering(args: List[str], env: Dict[str, str], answer: bytes) -> Tuple[int, str]:
    """The installed CLI on a pseudo-terminal; `answer` is typed once the question appears."""
    full = {**os.environ, "OPENAI_API_KEY": CANARY_KEY, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels_dir()), **env}
    code, out = pty_session(args, full, prompt=b"Run these commands?", answer=answer, quiet_s=120)
    return code, out.decode(errors="replace")


def test_on_a_terminal_it_asks_once_and_no_changes_nothing(broken_venv: Path, tmp_path: Path) -> None:
    venv = copy_of(broken_venv, tmp_path / ".venv")
    before = installed(venv)
    code, screen = on_terminal_answering(["fix", "--offline", "--python", str(venv), "--apply"], OLD_OPENSSL, b"n\n")
    assert screen.count("Run these commands?") == 1
    assert code == 1 and "Nothing was changed" in screen
    assert installed(venv) == before
    assert CANARY_KEY[:20] not in screen


def test_libressl_with_warnings_as_errors_repairs_pip_and_goes_green(tmp_path: Path) -> None:
    """PYTHONWARNINGS=error turns pip 26.3's vendored urllib3 warning on LibreSSL into an error, and
    the bundled pip 23.2.1 that repairs it dies on its own DeprecationWarning under the same filter:
    fix's pip steps run with PYTHONWARNINGS=ignore (pip's warnings are not the app's)."""
    python = pyenv_python("3.11")
    strict = {**ssl_sim_env("libressl-2.8.3"), "PYTHONWARNINGS": "error"}
    make_venv(python, ["pip==26.0.1", "urllib3==1.26.20"])  # the wheels the fix installs, in the cache
    cached = make_venv(python, ["pip==26.3", "openai==1.109.1", "urllib3==2.0.2"], sitecustomize=SSL_SIM_SITECUSTOMIZE)
    venv = copy_of(cached, tmp_path / ".venv")
    run = fix(venv, "--apply", "--yes", env=strict)
    assert run.exit_code in (0, 1), run.stdout[-3000:]  # no step failed (3)
    assert all(a["ok"] for a in run.json["applied"]), run.json["applied"]
    argvs = [s["argv"] for s in run.json["plan"]["steps"]]
    assert argvs and argvs[0][-1] == "pip<26.1", argvs  # the repair comes first
    after = result(run.json["after"], "python.urllib3")
    assert after["status"] in ("ok", "warn"), after
