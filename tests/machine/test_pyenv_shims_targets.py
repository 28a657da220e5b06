"""pyenv shims read (doctor.probe.pyenv_shims) against this machine's real pyenv: for every
`python3*` shim and several selections (the global one, PYENV_VERSION as an exact version, a
prefix, a list, "system", a .python-version in a tmp directory), what the rules say must be what
the shim really runs (its sys.executable, or exit 127 "command not found"), and what
`pyenv which` prints where pyenv which decides the same way (no PYENV_VERSION, or exact names).
Skipped where there is no pyenv, or where its hooks are not the ones the rules know."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from doctor.probe import pyenv_shims as ps
from tests.support.venvs import pyenv_root

_NAME = re.compile(r"python3(?:\.\d+)?t?")
_WHO = "import sys; print(sys.executable)"


def _shims() -> List[ps.Shim]:
    root = pyenv_root()
    if root is None or not (root / "shims").is_dir():
        pytest.skip("this machine has no pyenv (no $PYENV_ROOT, no `pyenv root`) or no shims")
    shims = [ps.read_shim(str(path)) for path in sorted((root / "shims").iterdir()) if _NAME.fullmatch(path.name)]
    found = [shim for shim in shims if shim is not None]
    if not found:
        pytest.skip(f"{root}/shims has no python3* shim in pyenv's template")
    return found


def _installed(root: Path) -> List[str]:
    names = [p.name for p in (root / "versions").iterdir() if re.fullmatch(r"\d+\.\d+\.\d+", p.name)]
    return sorted(names, key=lambda n: tuple(int(x) for x in n.split(".")))


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYENV_VERSION", "PYENV_DIR")}
    env.update(extra)
    return env


def _runs(shim: ps.Shim, env: Dict[str, str], cwd: Path) -> str:
    """What the shim really runs: its interpreter's sys.executable, "" for pyenv's exit 127."""
    proc = subprocess.run([shim.path, "-c", _WHO], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    if proc.returncode == 127 and "command not found" in proc.stderr:
        return ""
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _which(shim: ps.Shim, env: Dict[str, str], cwd: Path) -> str:
    pyenv = shutil.which("pyenv", path=env.get("PATH")) or shim.pyenv
    proc = subprocess.run([pyenv, "which", shim.command], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _selections(root: Path, tmp_path: Path) -> List[Tuple[str, Dict[str, str], Path, bool]]:
    """(label, env, cwd, whether `pyenv which` decides as the shim does) for this machine's versions."""
    versions = _installed(root)
    if len(versions) < 2:
        pytest.skip(f"{root}/versions has fewer than two releases to select between")
    newest, oldest = versions[-1], versions[0]
    plain = tmp_path / "plain"
    plain.mkdir()
    pinned = tmp_path / "pinned" / "deep"
    pinned.mkdir(parents=True)
    (pinned.parent / ".python-version").write_text(f"# two versions\n{oldest}\n{newest}\n")
    minor = ".".join(newest.split(".")[:2])
    return [
        ("global", _env(), plain, True),
        (f"PYENV_VERSION={newest}", _env(PYENV_VERSION=newest), plain, True),
        (f"PYENV_VERSION={oldest}:{newest}", _env(PYENV_VERSION=f"{oldest}:{newest}"), plain, True),
        ("PYENV_VERSION=system", _env(PYENV_VERSION="system"), plain, True),
        (f"PYENV_VERSION={minor} (a prefix)", _env(PYENV_VERSION=minor), plain, False),
        (".python-version in a parent", _env(), pinned, True),
    ]


def test_every_shim_resolves_to_what_it_runs_under_each_selection(tmp_path: Path) -> None:
    shims = _shims()
    root = shims[0].root
    cases = [(label, shim, env, cwd, which) for label, env, cwd, which in _selections(root, tmp_path) for shim in shims]

    def check(case: Tuple[str, ps.Shim, Dict[str, str], Path, bool]) -> Optional[str]:
        label, shim, env, cwd, which = case
        mine = ps.resolve(shim, env, cwd)
        if mine.status == ps.UNCERTAIN:
            return f"{label}: {shim.command} uncertain: {mine.reason}"
        expected = mine.path if mine.status == ps.RESOLVED else ""
        runs = _runs(shim, env, cwd)
        problems = []
        if runs != expected:
            problems.append(f"{label}: {shim.command} runs {runs or 'nothing'}, the rules say {expected or 'nothing'}")
        if which and _which(shim, env, cwd) != expected:
            problems.append(f"{label}: `pyenv which {shim.command}` disagrees with {expected or 'nothing'}")
        return "; ".join(problems) or None

    hooks = {ps.resolve(shim, _env(), tmp_path).reason for shim in shims} - {""}
    if any(reason.startswith("pyenv hook") for reason in hooks):
        pytest.skip(f"this pyenv runs a hook the rules do not know ({sorted(hooks)[0]}): its shims are run instead")
    with ThreadPoolExecutor(max_workers=2) as pool:  # a shim is bash, then Python: ~0.3 s of CPU each
        wrong = [outcome for outcome in pool.map(check, cases) if outcome]
    assert not wrong, "\n".join(wrong)
    statuses = {ps.resolve(shim, _env(), tmp_path).status for shim in shims}
    assert ps.RESOLVED in statuses  # under the global selection some shim runs something


def test_pyenv_root_is_known_without_running_pyenv_and_a_wrapper_is_still_asked(tmp_path: Path) -> None:
    from doctor.probe.tool_dirs import pyenv_root as root_of

    pyenv = shutil.which("pyenv")
    if pyenv is None:
        pytest.skip("this machine has no pyenv on PATH")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    told = subprocess.run([pyenv, "root"], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert root_of(env) == Path(told.stdout.strip())  # read from pyenv's source, not asked
    wrapper = tmp_path / "bin" / "pyenv"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\necho {tmp_path}/elsewhere\n")
    wrapper.chmod(0o755)
    assert root_of({**env, "PATH": str(wrapper.parent)}) == tmp_path / "elsewhere"  # not pyenv's script: asked
